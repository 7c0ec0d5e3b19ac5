"""Our ServiceMonitors against prometheus-operator's real CRD, not only our trimmed copy.

The Python classes in imports/ are generated from a trimmed copy of the CRD
(imports/crds/servicemonitor.yaml, see imports/crds/README.md): the real one is
1000+ lines, and the charts use a handful of its fields. These tests show the trimmed
copy is safe, against the real CRD that `scripts/setup.sh --test` takes from the
prometheus-operator Go module (pinned there) into .tools/crds/:

- every ServiceMonitor the examples synthesize, and every one `helm template`
  renders with metrics on (on a port of their own or on the app port, with the
  default or a changed path), is valid under the real CRD's v1 schema, strictly
  (a field the real CRD does not declare is an error);
- the trimmed copy is a subset of the real one: every field it declares is declared
  there with the same type (and a subset of its enum), under the same names.

tests/e2e installs the same real CRD on the API server (tests/e2e/conftest.py).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import EXAMPLE_CHARTS, ROOT, installed_crds, render

REAL_CRD = ROOT / ".tools" / "crds" / "monitoring.coreos.com_servicemonitors.yaml"
TRIMMED_CRD = ROOT / "imports" / "crds" / "servicemonitor.yaml"
VERSION = "v1"
CUSTOM_PATH = "/internal/prometheus"
# RFC 1123 subdomain: what the API server requires of a custom resource's name.
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# Where the trimmed copy is knowingly looser than the real CRD: (path, what), each with why
# it is safe. The subset test fails when an entry no longer differs, so this stays exact.
KNOWN_DRIFT = {
    # The generated ServiceMonitor class takes `spec` as optional; the real CRD requires it.
    # Safe: the charts always set a spec, and every ServiceMonitor they emit is validated
    # against the real CRD below (its `required` included).
    ("(root)", "required: spec"),
}


def real_crd_path() -> Path:
    """The real CRD from scripts/setup.sh --test; missing fails in CI, skips locally."""
    (path,) = installed_crds(REAL_CRD.name)
    return path


@pytest.fixture(scope="module")
def real_crd() -> dict:
    return yaml.safe_load(real_crd_path().read_text())


@pytest.fixture(scope="module")
def trimmed_crd() -> dict:
    return yaml.safe_load(TRIMMED_CRD.read_text())


def served_schema(crd: dict) -> dict:
    """The openAPIV3Schema of the CRD's v1 version."""
    (version,) = (v for v in crd["spec"]["versions"] if v["name"] == VERSION)
    return version["schema"]["openAPIV3Schema"]


# --- strict validation -------------------------------------------------------------


def strict(schema: dict) -> dict:
    """The CRD's OpenAPI v3 schema as a JSON Schema that refuses what the API server would drop.

    JSON Schema allows properties a schema does not declare; the API server prunes them
    from a custom resource (only warning about them) unless the schema says
    `x-kubernetes-preserve-unknown-fields`. A field of ours the real CRD does not know would
    be dropped on the way to Prometheus, which is drift the trimmed copy cannot show. So
    every object schema that declares `properties` and says nothing about other keys gets
    `additionalProperties: false`.

    Kubernetes extensions JSON Schema does not know are made explicit:
    `x-kubernetes-int-or-string: true` accepts an integer or a string (and nothing else,
    whatever `anyOf` says), `nullable: true` also accepts null. `format`s such as int64 are
    not checked (jsonschema ignores them without a format checker).
    """
    node = copy.deepcopy(schema)
    _make_strict(node)
    return node


def _make_strict(node: dict) -> None:
    if node.get("x-kubernetes-int-or-string"):
        node.pop("anyOf", None)
        node["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        node["type"] = [*types, "null"]
    if "properties" in node and "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        node["additionalProperties"] = False
    for child in node.get("properties", {}).values():
        _make_strict(child)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            _make_strict(node[key])
    for key in ("anyOf", "allOf", "oneOf"):
        for child in node.get(key, []):
            _make_strict(child)


def problems(obj: dict, crd: dict) -> list[str]:
    """Why the API server, under this CRD, would refuse `obj` or drop part of it."""
    names, group = crd["spec"]["names"], crd["spec"]["group"]
    found = []
    if obj.get("apiVersion") != f"{group}/{VERSION}":
        found.append(f"apiVersion: {obj.get('apiVersion')!r}, not {group}/{VERSION}")
    if obj.get("kind") != names["kind"]:
        found.append(f"kind: {obj.get('kind')!r}, not {names['kind']}")
    name = (obj.get("metadata") or {}).get("name")
    if not isinstance(name, str) or len(name) > 253 or not DNS_SUBDOMAIN.fullmatch(name):
        found.append(f"metadata.name: {name!r} is not a DNS subdomain")
    validator = jsonschema.Draft4Validator(strict(served_schema(crd)))
    for error in sorted(validator.iter_errors(obj), key=lambda e: e.json_path):
        found.append(f"{error.json_path}: {error.message}")
    return found


def assert_valid(objects: list[dict], crd: dict, where: str) -> None:
    found = [f"{where} {o['kind']}/{o['metadata']['name']}: {p}" for o in objects for p in problems(o, crd)]
    assert not found, "not valid under the real ServiceMonitor CRD:\n" + "\n".join(found)


def service_monitors(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o.get("kind") == "ServiceMonitor"]


def test_synthesized_service_monitors_are_valid_under_the_real_crd(example_builds, real_crd):
    monitors = {name: service_monitors(build.objects) for name, build in example_builds.items()}
    assert any(monitors.values()), "no example synthesizes a ServiceMonitor: nothing was checked"
    for name, objects in monitors.items():
        assert_valid(objects, real_crd, name)


def metrics_apps(example_builds) -> list[tuple[str, str, str, dict]]:
    """(chart, domain, app key, app values) of every example api with a metrics setting
    (ServiceMonitors scrape a Service, which only apis have)."""
    return [
        (chart, build.model.domain, key, values)
        for chart in EXAMPLE_CHARTS
        for build in [example_builds[chart]]
        for key, values in build.model.values[build.model.domain]["apps"].items()
        if "metrics" in values and values["type"] == "api"
    ]


# What each render sets on every app with metrics, besides switching them on.
RENDERS = {
    "own-port": lambda values: [f"metrics.port={9091 if values['port'] == 9090 else 9090}"],  # the endpoint scrapes "metrics"
    "app-port": lambda values: [f"metrics.port={values['port']}"],  # the endpoint scrapes "http"
    "changed-path": lambda values: [f"metrics.path={CUSTOM_PATH}"],
}


@pytest.mark.helm
@pytest.mark.parametrize("case", RENDERS)
def test_rendered_service_monitors_are_valid_under_the_real_crd(helm, example_out, example_builds, real_crd, case):
    apps = metrics_apps(example_builds)
    assert apps, "no example app has metrics: nothing to render"
    for chart in sorted({chart for chart, *_ in apps}):
        sets = [
            f"{domain}.apps.{key}.{setting}"
            for c, domain, key, values in apps
            if c == chart
            for setting in ("enabled=true", "metrics.enabled=true", *RENDERS[case](values))
        ]
        monitors = service_monitors(render(helm, example_out / "charts" / chart, *(a for s in sets for a in ("--set", s))))
        assert len(monitors) == sum(c == chart for c, *_ in apps), f"{chart}: one ServiceMonitor per app with metrics"
        assert_valid(monitors, real_crd, f"{helm.name} {chart} ({case})")
        endpoints = [e for m in monitors for e in m["spec"]["endpoints"]]
        if case == "own-port":
            assert {e["port"] for e in endpoints} == {"metrics"}, f"{chart}: metrics on a port of their own scrape it"
        if case == "app-port":
            assert {e["port"] for e in endpoints} == {"http"}, f"{chart}: metrics on the app port scrape it"
        if case == "changed-path":
            assert {e["path"] for e in endpoints} == {CUSTOM_PATH}


def test_strict_validation_refuses_what_the_server_would_drop_or_refuse(example_builds, real_crd):
    """The checks above can fail: an unknown field anywhere, a wrong type, a value the
    real CRD's pattern refuses, a bad name; and int-or-string takes only those two."""
    (monitor, *_) = (o for b in example_builds.values() for o in service_monitors(b.objects))
    assert problems(monitor, real_crd) == []

    def mutated(change) -> dict:
        obj = copy.deepcopy(monitor)
        change(obj)
        return obj

    cases = {
        "$.spec.endpoints[0]": lambda o: o["spec"]["endpoints"][0].update(scrapeInterval="30s"),  # `interval` misspelt
        "$.spec": lambda o: o["spec"].update(podTargetLabelz=["x"]),
        "$.spec.selector": lambda o: o["spec"]["selector"].update(matchLabel={"a": "b"}),
        "$": lambda o: o.update(specs={}),  # a typo at the top
        "$.spec.endpoints[0].port": lambda o: o["spec"]["endpoints"][0].update(port=9090),
        "$.spec.endpoints[0].interval": lambda o: o["spec"]["endpoints"][0].update(interval="30 seconds"),
        "$.spec.endpoints[0].scheme": lambda o: o["spec"]["endpoints"][0].update(scheme="grpc"),
        "$.spec.endpoints[0].targetPort": lambda o: o["spec"]["endpoints"][0].update(targetPort=1.5),
        "metadata.name": lambda o: o["metadata"].update(name="Hello_API"),
        "apiVersion": lambda o: o.update(apiVersion="monitoring.coreos.com/v1beta1"),
    }
    for path, change in cases.items():
        found = problems(mutated(change), real_crd)
        assert found and all(p.startswith(f"{path}: ") for p in found), f"{path}: {found}"
    for target_port in (8080, "http"):
        assert problems(mutated(lambda o, t=target_port: o["spec"]["endpoints"][0].update(targetPort=t)), real_crd) == []


# --- the trimmed copy is a subset of the real CRD ---------------------------------


def _type(node: dict):
    return "int-or-string" if node.get("x-kubernetes-int-or-string") else node.get("type")


def _children(node: dict, path: str):
    """(path, schema) of the fields a schema declares: properties, array items, map values."""
    for name, child in node.get("properties", {}).items():
        yield (f"{path}.{name}" if path != "(root)" else name), child
    if isinstance(node.get("items"), dict):
        yield f"{path}[]", node["items"]
    if isinstance(node.get("additionalProperties"), dict):
        yield f"{path}.*", node["additionalProperties"]


def differences(trimmed: dict, real: dict, path: str = "(root)") -> list[tuple[str, str]]:
    """(path, what) wherever the trimmed schema declares what the real one does not."""
    found = []
    if _type(trimmed) != _type(real):
        found.append((path, f"type {_type(trimmed)}, real CRD: {_type(real)}"))
    if "enum" in trimmed:
        extra = [v for v in trimmed["enum"] if v not in real.get("enum", trimmed["enum"])]
        if "enum" not in real:
            found.append((path, f"enum {trimmed['enum']}, real CRD: no enum"))
        elif extra:
            found.append((path, f"enum values {extra} not in the real CRD's {real['enum']}"))
    # Fields the real CRD requires the trimmed one must require too, or the generated
    # classes let us leave them out.
    found += [(path, f"required: {name}") for name in real.get("required", []) if name not in trimmed.get("required", [])]
    real_children = dict(_children(real, path))
    for child_path, child in _children(trimmed, path):
        if child_path not in real_children:
            found.append((child_path, "not declared by the real CRD"))
        else:
            found += differences(child, real_children[child_path], child_path)
    return found


def test_trimmed_crd_is_a_subset_of_the_real_one(trimmed_crd, real_crd):
    found = set(differences(served_schema(trimmed_crd), served_schema(real_crd)))
    unexplained = sorted(found - KNOWN_DRIFT)
    assert not unexplained, "imports/crds/servicemonitor.yaml drifted from the real CRD:\n" + "\n".join(f"{p}: {w}" for p, w in unexplained)
    gone = sorted(KNOWN_DRIFT - found)
    assert not gone, f"KNOWN_DRIFT lists differences there are no longer: {gone}"


def test_trimmed_crd_has_the_real_names(trimmed_crd, real_crd):
    trimmed, real = trimmed_crd["spec"], real_crd["spec"]
    assert trimmed_crd["metadata"]["name"] == real_crd["metadata"]["name"]
    assert (trimmed["group"], trimmed["scope"]) == (real["group"], real["scope"])
    for key in ("kind", "listKind", "plural", "singular"):
        assert trimmed["names"][key] == real["names"][key], f"spec.names.{key}"

    def versions(spec):
        return {v["name"]: (v["served"], v["storage"]) for v in spec["versions"]}

    assert versions(trimmed) == {VERSION: (True, True)}
    assert versions(real)[VERSION] == (True, True), "the real CRD serves and stores v1"
