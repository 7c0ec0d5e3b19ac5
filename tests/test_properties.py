"""Property tests: generated valid specs build, render and validate; mutated specs fail cleanly.

Profiles (HYPOTHESIS_PROFILE): `ci` (default; derandomized, no example database,
200 valid specs, 300 mutated and 300 junk ones) and `local` (random, 1000 and
2000 each), both defined in strategies.py. Valid specs
are built in-process and each chart is rendered with real Helm 3 and 4 (the two
run in parallel), which dominates the time: about a minute in CI on 2 cores.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils as kv
import pytest
import yaml
from conftest import HELMS, ROOT, by_identity, run_cli, run_helm, strip_release_fields, tool
from hypothesis import Phase, given, settings
from referencing import Registry, Resource
from strategies import INVALID_EXAMPLES, MUTATIONS, PROFILE, VALID_EXAMPLES, invalid_spec, junk_spec, valid_spec

from constructs_lib.manifests import load_documents
from constructs_lib.pipeline import build_all
from constructs_lib.spec.errors import SpecError
from constructs_lib.spec.parse import parse_spec

K8S_VERSIONS = ("1.28", "1.37")
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
CUSTOM_GROUPS = ("monitoring.coreos.com", "gateway.networking.k8s.io")
CRDS = {
    (crd["spec"]["group"], crd["spec"]["names"]["kind"]): crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for crd in (yaml.safe_load(p.read_text()) for p in sorted((ROOT / "imports" / "crds").glob("*.yaml")))
}


@cache
def k8s_validator(kind: str, api_version: str, version: str) -> jsonschema.protocols.Validator:
    """What kubernetes_validate.validate(obj, version, strict=True) builds on every call, built once.

    Same schema files, same draft and registry; the test below checks it agrees with
    the library on a sample. Without the cache the schemas are parsed again for
    every object (15 ms each), which would double the suite's time.
    """
    schema_version = [v for v in kv.all_versions() if kv.major_minor(v) <= version][-1]
    folder = f"kubernetes-json-schema/v{schema_version}-local-strict"
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = kv.schema_contents(f"{folder}/{kind.lower()}-{api}.json", version)
    definitions = kv.schema_contents(f"{folder}/_definitions.json", version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@cache
def crd_validator(group: str, kind: str) -> jsonschema.protocols.Validator:
    """Custom resources (ServiceMonitor): the schema of the CRD we import the class from."""
    schema = CRDS[(group, kind)]
    return jsonschema.validators.validator_for(schema)(schema)


def check_schema(obj: dict, version: str) -> None:
    group = obj["apiVersion"].rpartition("/")[0]
    if (group, obj["kind"]) in CRDS:
        crd_validator(group, obj["kind"]).validate(obj)
    else:
        k8s_validator(obj["kind"], obj["apiVersion"], version).validate(obj)


def check_objects(objects: list[dict]) -> None:
    """Names, strict schemas and the port rules the apiserver enforces beyond the schema."""
    names = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names)), Counter(names).most_common(3)
    for kind, name in names:
        assert len(name) <= 63 and DNS_1123_LABEL.match(name), (kind, name)
        if kind == "Service":
            assert DNS_1035_LABEL.match(name), name
    for obj in objects:
        for version in K8S_VERSIONS:
            check_schema(obj, version)
        pod = obj.get("spec", {}).get("template", {}).get("spec")
        for container in (pod or {}).get("containers", []):
            ports = container.get("ports", [])
            assert len({p["containerPort"] for p in ports}) == len(ports), ports
            assert len({p["name"] for p in ports}) == len(ports), ports
            env = [e["name"] for e in container.get("env", [])]
            assert len(env) == len(set(env)), env
        if obj["kind"] == "Service":
            ports = obj["spec"]["ports"]
            assert len({p["port"] for p in ports}) == len(ports), ports


def render_both(package: Path) -> dict[str, list[dict]]:
    """`helm template` of one chart with Helm 3 and Helm 4 at once."""
    helms = [tool(h) for h in HELMS]

    def one(helm):
        out = run_helm(helm, "template", "release", package, "--namespace", "apps").stdout
        return load_documents(out)

    with ThreadPoolExecutor(len(helms)) as pool:
        return dict(zip(HELMS, pool.map(one, helms), strict=True))


def test_cached_validator_agrees_with_kubernetes_validate(example_builds):
    bad = None
    for build in example_builds.values():
        for obj in build.objects:
            if obj["apiVersion"].rpartition("/")[0] in CUSTOM_GROUPS:  # custom resources: not in kubernetes_validate
                continue
            for version in K8S_VERSIONS:
                kubernetes_validate.validate(obj, version, strict=True)
                k8s_validator(obj["kind"], obj["apiVersion"], version).validate(obj)
            if "spec" in obj:
                bad = {**obj, "spec": {**obj["spec"], "unknownField": 1}}
    for version in K8S_VERSIONS:
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(bad, version, strict=True)
        with pytest.raises(jsonschema.ValidationError):
            k8s_validator(bad["kind"], bad["apiVersion"], version).validate(bad)


def test_generated_valid_specs_synthesize_render_and_validate():
    ran = []

    @settings(PROFILE, max_examples=VALID_EXAMPLES)
    @given(valid_spec())
    def check(doc):
        try:
            models = parse_spec(doc, "generated.yaml")
        except SpecError as exc:
            raise AssertionError(f"valid spec refused:\n{exc}") from None
        builds = build_all(models)
        with tempfile.TemporaryDirectory() as tmp:
            for build in builds:
                check_objects(build.objects)
                package = Path(tmp) / build.package_name
                package.write_bytes(build.package)
                synth = by_identity(build.objects)
                for helm, rendered in render_both(package).items():
                    rendered = by_identity([strip_release_fields(o) for o in rendered])
                    assert rendered.keys() == synth.keys(), (helm, sorted(rendered.keys() ^ synth.keys()))
                    for key, obj in synth.items():
                        assert rendered[key] == obj, (helm, key)
        ran.append(len(builds))

    check()
    assert len(ran) >= VALID_EXAMPLES, len(ran)


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_generated_invalid_specs_name_the_mutated_key(mutation):
    ran = Counter()

    # Each kind of mistake on its own: a shared draw leans on the first kinds.
    @settings(PROFILE, max_examples=max(10, INVALID_EXAMPLES // len(MUTATIONS)))
    @given(invalid_spec(mutation))
    def check(case):
        doc, expected, _ = case
        with pytest.raises(SpecError) as err:
            parse_spec(doc, "generated.yaml")
        problems = err.value.problems
        assert problems
        for problem in problems:
            assert problem.file == "generated.yaml"
            assert problem.key and problem.message, problem
            assert len(str(problem).splitlines()) == 1, str(problem)
        keys = [p.key for p in problems]
        assert expected in keys, (mutation, expected, keys)
        # Nothing else is blamed: one mutation, one key (and what lies under it).
        assert all(k == expected or k.startswith((expected + ".", expected + "[")) for k in keys), (mutation, expected, keys)
        ran[mutation] += 1

    check()
    assert ran[mutation] >= 5, ran


def test_junk_anywhere_is_accepted_or_refused_with_spec_errors_only():
    """Any value anywhere (nulls, huge ints, NaN, bytes, dates, odd keys): models or SpecError, never a crash."""
    outcomes = Counter()

    @settings(PROFILE, max_examples=INVALID_EXAMPLES)
    @given(junk_spec())
    def check(doc):
        try:
            parse_spec(doc, "junk.yaml")
            outcomes["accepted"] += 1
        except SpecError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.file == "junk.yaml" and problem.message
                assert len(str(problem).splitlines()) == 1, str(problem)
            outcomes["refused"] += 1

    check()
    assert outcomes["refused"] >= INVALID_EXAMPLES // 2, outcomes


def test_generated_invalid_specs_through_the_cli(tmp_path):
    """A sample through `python main.py`: exit 2, one line per problem, no traceback, nothing written."""
    seen = []

    @settings(PROFILE, max_examples=12, phases=NO_SHRINK)  # in-process tests shrink; each run here costs 0.2 s
    @given(invalid_spec())
    def check(case):
        doc, expected, mutation = case
        index = len(seen)
        spec, out = tmp_path / f"spec{index}.yaml", tmp_path / f"out{index}"
        spec.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        result = run_cli(spec, "--out", out)
        assert result.returncode == 2, (mutation, result.stderr)
        assert "Traceback" not in result.stderr and not result.stdout
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith(f"{spec}: ") for line in lines), lines
        assert f"{spec}: {expected}: " in result.stderr, (expected, lines)
        assert not out.exists()
        seen.append(mutation)

    check()
    assert len(seen) >= 12


def test_generated_spec_files_build_through_the_cli(tmp_path):
    """A sample of valid specs through `python main.py` in one run (several files, one output)."""
    specs = []

    @settings(PROFILE, max_examples=10, phases=NO_SHRINK)
    @given(valid_spec())
    def collect(doc):
        doc = {**doc, "domain": f"{doc['domain'][:50]}-{len(specs)}"}  # chart names are unique across files
        path = tmp_path / f"spec{len(specs)}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        specs.append(path)

    collect()
    result = run_cli(*specs, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    manifests = list((tmp_path / "out" / "manifests").iterdir())
    packages = list((tmp_path / "out" / "packages").iterdir())
    assert len(manifests) == len(packages) >= len(specs)
    for path in manifests:
        check_objects([o for o in yaml.safe_load_all(path.read_text()) if o])


def test_helm_sees_what_the_schema_promises(tmp_path):
    """Sanity of the harness: an unknown value fails `helm template` on both majors."""
    (build,) = build_all(parse_spec({"domain": "shop", "charts": {"web": {"apps": ["cart_api"]}}}, "inline"))
    package = tmp_path / build.package_name
    package.write_bytes(build.package)
    for name in HELMS:
        result = run_helm(tool(name), "template", "r", package, "--set", "shop.apps.cart_api.colour=red", check=False)
        assert result.returncode != 0 and "colour" in result.stderr


def test_ingress_feature_without_api_apps(tmp_path):
    """Found by the local profile: the chart renders, with no Ingress."""
    doc = {"domain": "shop", "charts": {"web": {"features": {"ingress": True}, "apps": ["cart_worker"]}}}
    (build,) = build_all(parse_spec(doc, "inline"))
    package = tmp_path / build.package_name
    package.write_bytes(build.package)
    for rendered in render_both(package).values():
        assert by_identity([strip_release_fields(o) for o in rendered]) == by_identity(build.objects)
