"""Hypothesis strategies: valid chart specs, invalid ones made by mutating a valid spec, junk.

A valid spec respects the spec rules (names, types, feature rules, cross-field
rules such as PDB floors, min <= max, unique ingress paths, requests <= limits).
An invalid spec is a valid one with exactly one mutation, returned with the key
path the error must name. A junk spec has one value anywhere replaced by anything.
Also the Hypothesis profiles (`ci`, `local`) the property tests use.
"""

from __future__ import annotations

import copy
import math
import os
import re

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from constructs_lib.spec.defaults import DEFAULT_RESOURCES
from constructs_lib.spec.naming import API, JOB, PROCESSOR, dashed, detect_type
from constructs_lib.spec.rules import quantity

IDENTIFIER = re.compile(r"^[A-Za-z](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")
# What the chart cannot render literally (constructs_lib.spec.validate refuses it).
NOT_RENDERABLE = "".join(map(chr, range(0x7F, 0xA0))) + "\ufffe\uffff"
JOB_RANGES = {
    "completions": (1, 5),
    "parallelism": (0, 5),
    "backoffLimit": (0, 6),
    "activeDeadlineSeconds": (1, 7200),
    "ttlSecondsAfterFinished": (0, 86400),
}
HOOKS = ("pre-install", "post-install", "pre-upgrade", "post-upgrade", "pre-rollback", "post-rollback")

# ---------------------------------------------------------------- profiles

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
# CI: the same examples every run (seeded from each test), nothing stored between runs.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("local", deadline=None, suppress_health_check=_QUIET, print_blob=True)
EXAMPLES = {"ci": (200, 300), "local": (1000, 2000)}  # (valid, invalid or junk) specs per test
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE_NAME not in EXAMPLES:
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE_NAME!r}: expected one of {', '.join(EXAMPLES)}")
PROFILE = settings.get_profile(PROFILE_NAME)
VALID_EXAMPLES, INVALID_EXAMPLES = EXAMPLES[PROFILE_NAME]

# ---------------------------------------------------------------- scalars


def _identifier(min_size: int = 1, max_size: int = 63) -> st.SearchStrategy[str]:
    """A spec identifier: a letter, then letters, digits, '_' or '-', ending alphanumeric."""
    first = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    middle = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-ABCXYZ", min_size=max(0, min_size - 2), max_size=max(0, max_size - 2))
    last = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789XYZ")
    joined = st.builds(lambda a, b, c: a + b + c, first, middle, last)
    return joined if min_size > 1 else st.one_of(first, joined)


WORDS = ("cart", "status", "experience", "mail", "queue", "report", "db", "dal", "x", "billing", "search")


@st.composite
def app_name(draw, kind_hint: str | None = None) -> str:
    """Mostly word_word names (so type detection matters), sometimes long or odd ones."""
    shape = draw(st.sampled_from(("words", "words", "words", "long", "random")))
    if shape == "words":
        parts = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
        suffix = kind_hint or draw(st.sampled_from(("api", "worker", "processor", "job", "svc", "")))
        sep = draw(st.sampled_from(("_", "-", "_")))
        name = sep.join([*parts, suffix] if suffix else parts)
        if draw(st.booleans()) and draw(st.booleans()):
            name = name.upper() if draw(st.booleans()) else name.title()
        return name
    if shape == "long":  # near the 63-character limit of names and labels
        size = draw(st.integers(55, 63))
        stem = draw(st.text("abcdefghij_-", min_size=size, max_size=size))
        return ("a" + stem[1:-1] + "z")[:size]
    return draw(_identifier(1, 20))


domain_name = st.one_of(
    st.sampled_from(("shop", "manman", "myapp", "a", "Shop_Front", "my-domain", "globals", "ingress_x")),
    _identifier(1, 30),
    _identifier(50, 63),
).filter(lambda d: d not in ("global", "ingress"))

chart_key = st.one_of(st.sampled_from(("web", "prod_chart", "dev-chart", "c")), _identifier(1, 40))

# Free text that the chart must carry literally: printable unicode (emoji, RTL,
# zero-width, U+2028, combining marks), YAML and template syntax, but nothing the
# chart cannot render (those are refused; see the invalid mutations).
FREE_TEXT = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters=NOT_RENDERABLE, exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(
        (
            "{{ .Release.Name }}",
            "{{",
            "}}",
            "a: b",
            "# not a comment",
            "*alias",
            "&anchor",
            "!tag",
            "| block",
            "> folded",
            "'single'",
            '"double"',
            "line\nbreak",
            "\u2028\u2029",
            "\u200b\u200d\ufeff",
            "שלום עולם",
            "🚀✨",
            "true",
            "null",
            "0x1F",
            "1e3",
            "",
            " padded ",
            "tab\there",
            "back\\slash",
            "\x01\x08\x0c\x1b",
            "<&>",
        )
    ),
)

ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
env_name = st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,20}\Z").filter(ENV_NAME.match)
env_value = st.one_of(FREE_TEXT, st.integers(-(10**9), 10**9), st.booleans())
label_key = st.one_of(
    st.sampled_from(("team", "example.com/owner", "app.kubernetes.io/tier", "kubernetes.io/os", "a")),
    st.from_regex(r"\A[a-z]([-a-z0-9]{0,8}[a-z0-9])?\.io/[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?\Z"),
)
hostname = (
    st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?){0,3}\Z").filter(
        lambda host: not re.match(r"^[0-9]+(\.[0-9]+){3}$", host)
    )  # a DNS name, not an IP address
)
http_path = st.from_regex(r"\A/[A-Za-z0-9._~/-]{0,30}\Z")
semver = st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 20), st.integers(0, 99), st.integers(0, 999))
quantity_cpu = st.sampled_from(("50m", "100m", "250m", "1", "1.5", "2", ".5"))
quantity_mem = st.sampled_from(("64Mi", "128Mi", "1Gi", "512M", "1G", "100"))


@st.composite
def resources(draw) -> dict:
    """Requests at most the limits, after merging over the defaults (the API server's rule)."""
    out: dict = {}
    for name, choices in (("cpu", quantity_cpu), ("memory", quantity_mem)):
        if not draw(st.booleans()):
            continue
        low, high = sorted((draw(choices), draw(choices)), key=quantity)
        written = draw(st.sampled_from(("requests", "limits", "both")))
        if written == "requests" and quantity(low) <= quantity(DEFAULT_RESOURCES["limits"][name]):
            out.setdefault("requests", {})[name] = low
        elif written == "limits" and quantity(DEFAULT_RESOURCES["requests"][name]) <= quantity(high):
            out.setdefault("limits", {})[name] = high
        else:
            out.setdefault("requests", {})[name] = low
            out.setdefault("limits", {})[name] = high
    if not out:
        out[draw(st.sampled_from(("requests", "limits")))] = {}
    return out


def _command() -> st.SearchStrategy:
    word = st.text("abcdefghijklmnopqrstuvwxyz-_./=", min_size=1, max_size=12)
    return st.one_of(
        st.lists(st.one_of(word, FREE_TEXT), min_size=1, max_size=4),
        st.lists(word, min_size=1, max_size=3).map(" ".join),  # a string, split shell-style
    )


# ---------------------------------------------------------------- apps


@st.composite
def app_settings(draw, kind: str, features: dict, path_prefix: str, used_ports: set) -> dict:
    """Per-app overrides that are valid for an app of this kind under these features."""
    settings: dict = {}
    pick = st.booleans()
    if draw(pick) and draw(pick):
        settings["env"] = draw(st.dictionaries(env_name, env_value, max_size=3))
    if draw(pick) and draw(pick):
        settings["resources"] = draw(resources())
    if draw(pick) and draw(pick):
        settings["command" if draw(pick) else "args"] = draw(_command())
    if draw(pick) and draw(pick):
        settings["podAnnotations"] = draw(st.dictionaries(label_key, FREE_TEXT, max_size=2))
    if draw(pick) and draw(pick):
        settings["nodeSelector"] = draw(st.dictionaries(label_key, st.sampled_from(("linux", "amd64", "a-b.c_d", "")), max_size=2))
    if draw(pick) and not draw(st.integers(0, 7)):
        settings["enabled"] = False
    if draw(pick) and draw(pick):
        settings["image"] = draw(
            st.one_of(
                st.sampled_from(("nginx", "reg.example.com:5000/team/app:1.2", "ghcr.io/o/r")),
                st.fixed_dictionaries(
                    {"repository": st.sampled_from(("busybox", "example.com/x/y"))},
                    optional={"tag": st.sampled_from(("1", "v2.0-rc1", "latest"))},
                ),
            )
        )
    if kind == JOB:
        for key, (low, high) in JOB_RANGES.items():
            if draw(pick) and draw(pick):
                settings[key] = draw(st.integers(low, high))
        if draw(pick) and draw(pick):
            settings["hook"] = ",".join(draw(st.lists(st.sampled_from(HOOKS), min_size=1, max_size=2, unique=True)))
        if draw(pick) and draw(pick):
            settings["restartPolicy"] = draw(st.sampled_from(("Never", "OnFailure")))
        return settings

    if draw(pick):
        settings["replicas"] = draw(st.integers(0, 12))
    if draw(pick) and draw(pick):
        settings["zoneSpread"] = draw(st.booleans())
    health = kind == API or draw(st.booleans())
    if health and draw(pick):
        settings["healthPath"] = draw(http_path)
    if health and draw(pick):
        port = draw(st.integers(1, 65535).filter(lambda p: p not in used_ports))
        settings["port"] = port
    if kind == PROCESSOR and "port" in settings and "healthPath" not in settings:
        settings["healthPath"] = "/healthz"
    # HPA: api apps under the hpa feature, or any Deployment that opts in.
    hpa_on = kind == API and features["hpa"]
    if draw(pick) and (hpa_on or draw(pick)):
        low = draw(st.integers(1, 10))
        block = {"minReplicas": low, "maxReplicas": draw(st.integers(low, 20))}
        if draw(pick):
            block["enabled"] = draw(st.booleans())
        if draw(pick):
            block["targetCPUUtilizationPercentage"] = draw(st.integers(1, 1000))
        settings["autoscaling"] = block
    hpa = settings.get("autoscaling")
    if (hpa_on or hpa) and "replicas" in settings and "minReplicas" not in (hpa or {}):
        # Written replicas become the HPA's minReplicas, which must lie in 1..maxReplicas.
        settings["replicas"] = min(max(settings["replicas"], 1), (hpa or {}).get("maxReplicas", 10))
    hpa_active = (hpa or hpa_on) and (hpa or {}).get("enabled", True)
    hpa_floor = (hpa or {}).get("minReplicas", settings.get("replicas", 2))
    floor = hpa_floor if hpa_active else settings.get("replicas", 2 if kind == API else 1)
    if draw(pick) and (features["pdb"] or draw(pick)):
        block = {"enabled": draw(st.booleans())}
        bound = draw(st.sampled_from(("none", "min", "max", "min%", "max%")))
        if bound == "min" and floor > 1:
            block["minAvailable"] = draw(st.integers(0, floor - 1))
        elif bound == "min%" and floor > 1:
            # ceil(pct * floor / 100) must stay below floor
            top = max(p for p in range(0, 101) if math.ceil(p * floor / 100) < floor)
            block["minAvailable"] = f"{draw(st.integers(0, top))}%"
        elif bound == "max":
            block["maxUnavailable"] = draw(st.integers(1, 10))
        elif bound == "max%":
            block["maxUnavailable"] = f"{draw(st.integers(1, 100))}%"
        settings["podDisruptionBudget"] = block
    if kind == API and features["ingress"] and draw(pick):
        block = {}
        if draw(pick):
            block["path"] = path_prefix + draw(st.sampled_from(("", "/v1", "/x/y")))
        if draw(pick):
            block["pathType"] = draw(st.sampled_from(("Prefix", "Exact", "ImplementationSpecific")))
        if draw(pick):
            block["enabled"] = draw(st.booleans())
        settings["ingress"] = block
    if kind != JOB and draw(pick) and draw(pick):
        block = {"enabled": draw(st.booleans())}
        if draw(pick):
            block["port"] = draw(st.integers(1, 65535).filter(lambda p: p not in used_ports and p != settings.get("port", 8000)))
        if draw(pick):
            block["path"] = draw(http_path)
        settings["metrics"] = block
    return settings


@st.composite
def chart_entry(draw, domain: str, taken_charts: set, release_apps: dict) -> tuple[str, dict]:
    key = draw(chart_key.filter(lambda k: dashed(k) not in taken_charts))
    taken_charts.add(dashed(key))
    features = {f: draw(st.booleans()) for f in ("pdb", "hpa", "ingress", "metrics")}
    written = {}
    for name, on in features.items():
        if on or draw(st.booleans()):
            written[name] = draw(st.sampled_from((on, str(on).lower(), str(on).upper(), str(on).title())))
    names: list[str] = []
    seen = set()
    if release_apps:  # a chart then names only the spec's apps
        drawn = [n for n in release_apps if draw(st.booleans())] or list(release_apps)[:1]
    else:
        drawn = draw(st.lists(app_name(), min_size=1, max_size=4))
    for name in drawn:
        if dashed(name) not in seen:
            seen.add(dashed(name))
            names.append(name)
    apps: dict = {}
    kinds = set()
    used_ports = {9090}  # the default metrics port
    for index, name in enumerate(names):
        written_type = release_apps.get(name, {}).get("type")
        explicit = None if written_type else draw(st.sampled_from((None, None, API, PROCESSOR, JOB)))
        kind = written_type or explicit or detect_type(name)
        settings = draw(app_settings(kind, features, f"/x.{index}", used_ports))  # app names have no '.'
        if explicit:
            settings["type"] = explicit
        if kind != API:
            settings.pop("ingress", None)
        apps[name] = settings
        kinds.add(kind)
    chart: dict = {}
    if draw(st.booleans()):
        chart["description"] = draw(FREE_TEXT)
    if draw(st.booleans()):
        chart["version"] = draw(semver)
    if draw(st.booleans()):
        chart["app_version"] = draw(st.sampled_from(("1.4.2", "2024.01", "v3", "latest")))
    if written:
        chart["features"] = written
    if all(not s for s in apps.values()) and draw(st.booleans()):
        chart["apps"] = list(apps)
    else:
        chart["apps"] = {n: (s or None) for n, s in apps.items()}
    custom = {}
    if draw(st.booleans()):
        for name, value in draw(st.dictionaries(env_name, env_value, max_size=3)).items():
            custom[f"global.env.{name}"] = value
    if features["ingress"]:
        if draw(st.booleans()):
            custom["ingress.host"] = draw(hostname)
        if draw(st.booleans()):
            custom["ingress.ingressClassName"] = draw(st.sampled_from(("nginx", "traefik", "")))
        if draw(st.booleans()):
            custom["ingress.annotations"] = draw(st.dictionaries(label_key, FREE_TEXT, max_size=2))
        if draw(st.booleans()):
            custom["ingress.tls.enabled"] = True
            custom["ingress.tls.configs"] = [{"secretName": "web-tls", "hosts": [draw(hostname)]}]
    if custom:
        chart["custom_values"] = custom
    return key, chart


@st.composite
def valid_spec(draw) -> dict:
    """A spec the generator must accept, with 1-2 charts of 1-5 apps."""
    domain = draw(domain_name)
    doc: dict = {"domain": domain}
    if draw(st.booleans()):
        doc["image_registry"] = draw(st.sampled_from(("registry.example.com", "ghcr.io/team", "localhost:5000/x")))
    release_apps = {}
    if draw(st.booleans()):
        for name in draw(st.lists(app_name(), max_size=2)):
            entry = {"language": "python", "description": draw(FREE_TEXT)}
            if draw(st.booleans()):
                entry["type"] = draw(st.sampled_from((API, PROCESSOR, JOB)))
            release_apps[name] = entry
        doc["apps"] = release_apps
    taken: set = set()
    charts = {}
    for _ in range(draw(st.integers(1, 2))):
        key, chart = draw(chart_entry(domain, taken, release_apps))
        charts[key] = chart
    doc["charts"] = charts
    return doc


# ---------------------------------------------------------------- invalid specs


def _app_paths(doc: dict) -> list[tuple[str, str, dict]]:
    """(chart key, app key, settings mapping) of every app written as a mapping."""
    out = []
    for ckey, chart in doc["charts"].items():
        apps = chart["apps"]
        if isinstance(apps, list):
            chart["apps"] = apps = {a: None for a in apps}
        for akey in list(apps):
            if apps[akey] is None:
                apps[akey] = {}
            out.append((ckey, akey, apps[akey]))
    return out


def _type_of(doc: dict, akey: str, settings: dict) -> str:
    return settings.get("type") or doc.get("apps", {}).get(akey, {}).get("type") or detect_type(akey)


def _key(*parts) -> str:
    from constructs_lib.spec.errors import join_key

    return join_key("", *parts)


# Every kind of mistake invalid_spec makes.
MUTATIONS = (
    "wrong_type",
    "out_of_range",
    "unknown_app_key",
    "unknown_chart_key",
    "unknown_top_key",
    "bad_app_name",
    "colliding_name",
    "bad_feature",
    "unknown_feature",
    "bad_domain",
    "bad_version",
    "unknown_custom_value",
    "bad_env_value",
    "not_renderable_text",
    "wrong_kind_block",
    "bad_quantity",
    "bad_type",
)


@st.composite
def invalid_spec(draw, mutation: str | None = None) -> tuple[dict, str, str]:
    """(spec, expected key path, mutation name): a valid spec with one thing wrong (`mutation`, or any)."""
    doc = copy.deepcopy(draw(valid_spec()))
    ckey = draw(st.sampled_from(sorted(doc["charts"])))
    chart = doc["charts"][ckey]
    apps = [(c, a, s) for c, a, s in _app_paths(doc) if c == ckey]
    _, akey, settings = draw(st.sampled_from(apps))
    kind = _type_of(doc, akey, settings)
    here = ("charts", ckey, "apps", akey)
    # Release-level entries merge under the chart's: keep the mutated key out of both.
    release = doc.get("apps", {}).get(akey, {})
    mutation = mutation or draw(st.sampled_from(MUTATIONS))
    if mutation == "wrong_type":
        field, value = draw(
            st.sampled_from(
                (
                    ("enabled", "yes"),
                    ("enabled", 1),
                    ("env", ["A=1"]),
                    ("command", 5),
                    ("podAnnotations", "a=b"),
                    ("resources", []),
                    ("tolerations", {"key": "x"}),
                    ("image", 5),
                    ("nodeSelector", {"a": 1}),
                    *(
                        (("replicas", "three"), ("replicas", 2.5), ("replicas", True), ("port", "80"), ("zoneSpread", "no"))
                        if kind != JOB
                        else (("completions", "1"), ("backoffLimit", 1.5), ("restartPolicy", True))
                    ),
                )
            )
        )
        release.pop(field, None)
        settings[field] = value
        expected = _key(*here, field)
        if field == "nodeSelector":
            expected = _key(*here, field, "a")
    elif mutation == "out_of_range":
        field, value = draw(
            st.sampled_from(
                (("replicas", -1), ("replicas", 10001), ("port", 0), ("port", 65536))
                if kind != JOB
                else (("completions", 0), ("parallelism", -1), ("backoffLimit", 1001), ("activeDeadlineSeconds", 0))
            )
        )
        if kind == PROCESSOR and field == "port":
            settings["healthPath"] = "/h"
        release.pop(field, None)
        settings[field] = value
        expected = _key(*here, field)
    elif mutation == "unknown_app_key":
        field = draw(st.sampled_from(("replica", "colour", "healthpath", "Env", "podAnnotation")))
        settings[field] = 1
        expected = _key(*here, field)
    elif mutation == "unknown_chart_key":
        field = draw(st.sampled_from(("featurs", "custom_value", "app", "versions")))
        chart[field] = {}
        expected = _key("charts", ckey, field)
    elif mutation == "unknown_top_key":
        field = draw(st.sampled_from(("domian", "chart", "image_registy")))
        doc[field] = "x"
        expected = field
    elif mutation == "bad_app_name":
        name = draw(st.sampled_from(("1api", "my api", "-x", "x-", "a" * 64, "café_api", "a.b")))
        chart["apps"][name] = {}
        expected = _key("charts", ckey, "apps", name)
    elif mutation == "colliding_name":  # same name after sanitizing (lower case, '_' → '-')
        if "_" in akey:
            twin = akey.replace("_", "-", 1)
        elif "-" in akey:
            twin = akey.replace("-", "_", 1)
        else:
            twin = akey[0].swapcase() + akey[1:]
        assert twin != akey and dashed(twin) == dashed(akey) and twin not in chart["apps"]
        chart["apps"][twin] = {}
        expected = _key("charts", ckey, "apps", twin)
    elif mutation == "bad_feature":
        feature = draw(st.sampled_from(("pdb", "hpa", "ingress", "metrics")))
        chart.setdefault("features", {})
        chart["features"][feature] = draw(st.sampled_from(("yes", "no", "1", "0", 1, None, "on", "truee", [])))
        expected = _key("charts", ckey, "features", feature)
    elif mutation == "unknown_feature":
        feature = draw(st.sampled_from(("pbd", "autoscaling", "tls")))
        chart.setdefault("features", {})[feature] = True
        expected = _key("charts", ckey, "features", feature)
    elif mutation == "bad_domain":
        doc["domain"] = draw(st.sampled_from(("", "1shop", "my shop", "shop!", "a" * 64, 42, None, "global", "ingress")))
        expected = "domain"
    elif mutation == "bad_version":
        field = draw(st.sampled_from(("version", "app_version")))
        bad = ("1.0", "v1.0.0", "01.2.3", 1.2, "") if field == "version" else ("a b", "", 1.5, "x" * 129)
        chart[field] = draw(st.sampled_from(bad))
        expected = _key("charts", ckey, field)
    elif mutation == "unknown_custom_value":
        path = draw(st.sampled_from(("ingres.host", "global.evn.X", "globl.env.X", f"{doc['domain']}.apps.{akey}.replica")))
        chart.setdefault("custom_values", {})[path] = "x"
        expected = _key("charts", ckey, "custom_values", path)
    elif mutation == "bad_env_value":
        where = draw(st.sampled_from(("app", "global")))
        # A mapping is read as {valueFrom: ...}: its wrong key is the one to blame.
        value, under = draw(st.sampled_from((({"valueFrom": {"secretKeyRf": {"key": "k"}}}, ("valueFrom", "secretKeyRf")), ([1], ()), (None, ()))))
        if where == "app":
            settings["env"] = {**settings.get("env", {}), "BAD_VALUE": value}
            expected = _key(*here, "env", "BAD_VALUE", *under)
        else:
            chart.setdefault("custom_values", {})["global.env.BAD_VALUE"] = value
            expected = _key("charts", ckey, "custom_values", "global.env.BAD_VALUE", *under)
    elif mutation == "not_renderable_text":
        char = draw(st.sampled_from(NOT_RENDERABLE))
        field = draw(st.sampled_from(("env", "podAnnotations", "command")))
        release.pop(field, None)
        if field == "command":
            settings["command"] = ["run", f"a{char}b"]
            expected = _key(*here, "command", 1)
        else:
            name = "NOT_RENDERABLE" if field == "env" else "example.com/text"
            settings[field] = {name: f"a{char}b"}
            expected = _key(*here, field, name)
    elif mutation == "wrong_kind_block":
        if kind == JOB:
            field = draw(st.sampled_from(("replicas", "podDisruptionBudget", "autoscaling", "ingress")))
            settings[field] = 2 if field == "replicas" else {}
        elif kind == PROCESSOR:
            field = "ingress"
            settings[field] = {"path": "/x"}
        else:
            field = "hook"
            settings[field] = "pre-install"
        release.pop(field, None)
        expected = _key(*here, field)
    elif mutation == "bad_quantity":
        part = draw(st.sampled_from(("requests", "limits")))
        res = draw(st.sampled_from(("cpu", "memory")))
        settings["resources"] = {part: {res: draw(st.sampled_from(("lots", "1 Gi", "-1", "1Gb", "", "1e3")))}}
        release.pop("resources", None)
        expected = _key(*here, "resources", part, res)
    else:  # bad_type
        settings["type"] = draw(st.sampled_from(("cron", "API", "", "worker")))  # the chart's entry wins over the release's
        expected = _key(*here, "type")
    return doc, expected, mutation


# ---------------------------------------------------------------- junk

JUNK = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.binary(max_size=8),
        st.dates(),
        st.sampled_from(("", "true", "1.2.3", "pre-install", "/x", "Prefix", "api", "job", "50%", "global.env.X")),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(), st.booleans()), inner, max_size=3),
    ),
    max_leaves=8,
)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


@st.composite
def junk_spec(draw) -> dict:
    """A valid spec with one value (any depth, the whole document included) replaced by junk."""
    doc = copy.deepcopy(draw(valid_spec()))
    path = draw(st.sampled_from(list(_paths(doc))))
    junk = draw(JUNK)
    if not path:
        return junk
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = junk
    return doc
