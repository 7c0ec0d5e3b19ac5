"""Spec file → typed chart models: merge the sources, apply defaults, validate.

Sources, weakest first: generated defaults, the spec's top-level `apps` entry
(what `release_app` recorded), the chart's per-app settings, then the chart's
`custom_values`. Each value remembers the spec key it came from, so a problem
found anywhere (schema or cross-field rule) is reported at the key the user wrote.
"""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path

from . import extra_objects
from .defaults import GATEWAY_DEFAULTS, GLOBAL_DEFAULTS, NETWORK_POLICY_DEFAULTS, app_defaults, deep_merge, split_image
from .errors import Problem, SpecError, did_you_mean, join_key
from .loader import load_spec_file, type_name
from .model import App, AppMeta, ChartModel, app_names
from .naming import API, CRONJOB, IDENTIFIER, JOB, PROCESSOR, SERVICE_TYPES, TypeChoice, chart_name, choose_type, dashed
from .rules import cross_field_problems
from .schema import AppShape, chart_schema
from .validate import check, child_schema, is_map

TOP_KEYS = ("domain", "image_registry", "apps", "charts")
CHART_KEYS = ("description", "version", "app_version", "apps", "features", "custom_values")
RESERVED_VALUES_KEYS = ("global", "ingress", "gateway", "networkPolicy", "extraObjects")
FEATURES = ("pdb", "hpa", "ingress", "gateway", "metrics", "networkPolicy")
META_KEYS = ("language", "description", "binary_target")
SPEC_ONLY_KEYS = ("type", "hook", "tag", *META_KEYS)
DEFAULT_REGISTRY = "registry.example.com"  # placeholder: set image_registry in real specs
DEFAULT_VERSION = "0.1.0"
HOOKS = ("pre-install", "post-install", "pre-upgrade", "post-upgrade", "pre-rollback", "post-rollback")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?"
    r"(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$"
)
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class _Collector:
    """Gathers problems of one file so several are reported together."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, key, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise SpecError(self.problems)


def load_charts(path: Path) -> list[ChartModel]:
    """Every chart of one spec file, validated; SpecError with all problems otherwise."""
    return parse_spec(load_spec_file(path), str(path))


def load_models(spec_paths: list[Path]) -> list[ChartModel]:
    """Every chart of every spec; problems of all files are reported together."""
    models, problems = [], []
    for path in spec_paths:
        try:
            models += load_charts(path)
        except SpecError as exc:
            problems += exc.problems
    owners: dict[str, ChartModel] = {}
    for model in models:
        first = owners.setdefault(model.name, model)
        if first is not model:
            problems.append(Problem(model.source, join_key("charts", model.key), f"chart {model.name} is also defined in {first.source}"))
    if problems:
        raise SpecError(problems)
    return models


def parse_spec(doc: dict, file: str) -> list[ChartModel]:
    """Every chart of a spec given as data; `file` names it in errors (SpecError)."""
    errs = _Collector(file)
    if not isinstance(doc, dict):  # the loader checks files; library callers pass data
        raise SpecError.one(file, "", f"expected a mapping with 'domain' and 'charts', got {type_name(doc)}")
    _unknown_keys(errs, doc, TOP_KEYS, "")
    domain = doc.get("domain")
    if not isinstance(domain, str) or not IDENTIFIER.match(domain):
        required = "domain is required: the team's name, e.g. domain: shop"
        errs.add("domain", _identifier_message(domain, "domain") if "domain" in doc else required)
        errs.raise_if_any()
    if domain in RESERVED_VALUES_KEYS:  # values.yaml has `global`, `ingress` and `<domain>` side by side
        errs.add("domain", f"{domain!r} is reserved: values.yaml uses it for settings of the whole chart")
        errs.raise_if_any()
    registry = doc.get("image_registry", DEFAULT_REGISTRY)
    if not isinstance(registry, str) or not re.match(r"^[a-z0-9]([-a-z0-9._:/]*[a-z0-9])?$", registry):
        errs.add("image_registry", f"expected a registry like registry.example.com/team, got {registry!r}")
    release_apps = _mapping(errs, doc.get("apps", {}), "apps")
    for app in release_apps:
        if not isinstance(app, str) or not IDENTIFIER.match(app):
            errs.add(join_key("apps", str(app)), _identifier_message(app, "app name"))
    charts = doc.get("charts")
    if not isinstance(charts, dict) or not charts:
        errs.add("charts", f"expected a non-empty mapping of chart name to chart, got {type_name(charts)}")
        errs.raise_if_any()
    errs.raise_if_any()
    models = []
    for chart_key, chart in charts.items():
        model = _parse_chart(errs, domain, registry, release_apps, chart_key, chart)
        if model is not None:
            models.append(model)
    names: dict[str, str] = {}
    for model in models:
        if model.name in names:
            errs.add(join_key("charts", model.key), f"chart name {model.name!r} collides with chart {names[model.name]!r}")
        names[model.name] = model.key
    errs.raise_if_any()
    return models


def _parse_chart(errs, domain, registry, release_apps, chart_key, chart) -> ChartModel | None:
    base = join_key("charts", str(chart_key))
    if not isinstance(chart_key, str) or not IDENTIFIER.match(chart_key):
        errs.add(base, _identifier_message(chart_key, "chart name"))
        return None
    if not isinstance(chart, dict):
        errs.add(base, f"expected a mapping, got {type_name(chart)}")
        return None
    before = len(errs.problems)
    _unknown_keys(errs, chart, CHART_KEYS, base)
    description = _string(errs, chart, "description", base, f"{domain} {chart_key}")
    version = _string(errs, chart, "version", base, DEFAULT_VERSION)
    if (version or chart.get("version") == "") and not SEMVER.match(version):
        errs.add(join_key(base, "version"), f"expected a semantic version like 1.2.3, got {version!r}")
    app_version = _string(errs, chart, "app_version", base, version)
    if (app_version or chart.get("app_version") == "") and not IMAGE_TAG.match(app_version):
        errs.add(join_key(base, "app_version"), f"expected a value usable as an image tag, got {app_version!r}")
    features = _features(errs, chart.get("features", {}), join_key(base, "features"))
    if len(errs.problems) > before:
        # A misspelt key may be `features`: check the apps as if the features that add chart
        # values were on, so ingress.host or an app's ingress block are not blamed for it.
        # (pdb, hpa and metrics need no guess: an app that writes their block has them.)
        features = {**features, "ingress": True, "gateway": True, "networkPolicy": True}
    app_settings = _chart_apps(errs, chart.get("apps"), join_key(base, "apps"))
    custom = _mapping(errs, chart.get("custom_values", {}), join_key(base, "custom_values"))
    # Problems so far are the chart's own keys; the apps are still checked, so one run reports them all.

    sources: dict[tuple, str] = {(): base}
    apps_values: dict[str, dict] = {}
    shapes: dict[str, AppShape] = {}
    extras: dict[str, dict] = {}
    choices: dict[str, TypeChoice] = {}
    seen_dashed: dict[str, str] = {}
    for app_key, chart_entry in app_settings.items():
        key = join_key(base, "apps", app_key)
        if dashed(app_key) in seen_dashed:
            errs.add(key, f"name collides with app {seen_dashed[dashed(app_key)]!r} after sanitizing ({dashed(app_key)})")
            continue
        seen_dashed[dashed(app_key)] = app_key
        if release_apps and app_key not in release_apps:  # the Bazel macro refuses the same: no release_app
            errs.add(key, f"not one of the spec's apps{did_you_mean(app_key, release_apps)}; define it under apps: or fix the name")
            continue
        layers = []
        for entry, where in ((release_apps.get(app_key), join_key("apps", app_key)), (chart_entry, key)):
            if entry is None:
                continue
            if not isinstance(entry, dict):
                errs.add(where, f"expected a mapping of app settings, got {type_name(entry)}")
                continue
            layers.append(_normalize_app(errs, entry, where))
        settings = deep_merge({}, *(values for values, _, _ in layers))
        extra = deep_merge({}, *(spec_only for _, spec_only, _ in layers))
        vpath = (domain, "apps", app_key)
        sources[vpath] = key  # what no layer wrote (a default) is reported under the app
        for _, _, layer_sources in layers:
            sources.update({(*vpath, *p): s for p, s in layer_sources.items()})
        if extra.get("type", API) not in SERVICE_TYPES:  # reported at `type`; checks that depend on it would only add noise
            continue
        choice = choose_type(app_key, extra.get("type", ""))
        shape = _shape(errs, choice.type, settings, extra, features, key)
        if shape is None:
            continue
        defaults = app_defaults(shape, app_key, f"{registry}/{dashed(domain)}-{dashed(app_key)}")
        for block in ("ingress", "gateway"):  # a name that matched no rule is not made public unasked
            if block in defaults and not choice.routed and block not in settings:
                defaults[block]["enabled"] = False
        autoscaling = settings.get("autoscaling", {})
        if shape.hpa and "replicas" in settings and isinstance(autoscaling, dict) and "minReplicas" not in autoscaling:
            # While the HPA runs, replicas is not rendered: the written count becomes its floor.
            defaults["autoscaling"]["minReplicas"] = settings["replicas"]
            sources[(*vpath, "autoscaling", "minReplicas")] = sources.get((*vpath, "replicas"), key)
        apps_values[app_key] = deep_merge(defaults, settings)
        shapes[app_key] = shape
        choices[app_key] = choice
        extras[app_key] = extra
    failed_apps = [app for app in app_settings if app not in apps_values]

    values = {
        "global": copy.deepcopy(GLOBAL_DEFAULTS),
        domain: {"apps": apps_values},
    }
    if features["ingress"]:
        values["ingress"] = {
            "enabled": True,
            "host": "",
            "ingressClassName": "",
            "annotations": {},
            "tls": {"enabled": False, "configs": []},
        }
    if features["gateway"]:
        values["gateway"] = copy.deepcopy(GATEWAY_DEFAULTS)
    if any(shape.netpol for shape in shapes.values()):
        values["networkPolicy"] = copy.deepcopy(NETWORK_POLICY_DEFAULTS)
    values["extraObjects"] = []
    schema = chart_schema(domain, shapes, features["ingress"], features["gateway"])
    unchecked = tuple(join_key(domain, "apps", app) for app in failed_apps)  # reported already
    _apply_custom_values(errs, values, schema, custom, sources, join_key(base, "custom_values"), unchecked)
    for path, message in check(values, schema):
        errs.add(_source_of(sources, path, base), message)
    if len(errs.problems) > before:
        return None

    apps = tuple(
        App(
            key=app_key,
            shape=shapes[app_key],
            names=app_names(domain, chart_key, app_key, kind=shapes[app_key].type),
            values=apps_values[app_key],
            meta=AppMeta(**{k: extras[app_key].get(k, "") for k in META_KEYS}),
            hook=extras[app_key].get("hook", ""),
            type_reason=choices[app_key].reason,
        )
        for app_key in apps_values
    )
    model = ChartModel(
        domain=domain,
        key=chart_key,
        name=chart_name(domain, chart_key),
        description=description,
        version=version,
        app_version=app_version,
        apps=apps,
        values=values,
        schema=schema,
        source=errs.file,
    )
    for path, message in cross_field_problems(model):
        errs.add(_source_of(sources, path, base), message)
    if values["extraObjects"]:
        for path, message in extra_objects.problems(values["extraObjects"], extra_objects.own_identities(model)):
            errs.add(_source_of(sources, ("extraObjects", *path), base), message)
    return None if len(errs.problems) > before else model


def _normalize_app(errs, entry: dict, where: str) -> tuple[dict, dict, dict]:
    """(values-layout settings, spec-only settings, values path → spec key) of one app entry."""
    values: dict = {}
    spec_only: dict = {}
    sources: dict[tuple, str] = {}
    for key, value in entry.items():
        here = join_key(where, str(key))
        if key in ("type",):
            if value not in SERVICE_TYPES:
                errs.add(here, f"expected one of {', '.join(SERVICE_TYPES)}, got {value!r}")
            spec_only[key] = value
        elif key in META_KEYS or key == "hook":
            if not isinstance(value, str):
                errs.add(here, f"expected a string, got {type_name(value)}")
            spec_only[key] = value
        elif key == "tag":
            if not isinstance(value, str):
                errs.add(here, f'expected a string (quote numbers: "1.0"), got {type_name(value)}')
                continue
            values.setdefault("image", {})["tag"] = value
            sources[("image", "tag")] = here
        elif key == "image" and isinstance(value, str):
            repository, tag = split_image(value)
            values.setdefault("image", {})["repository"] = repository
            sources[("image",)] = sources[("image", "repository")] = here
            if tag:
                values["image"].setdefault("tag", tag)
                sources[("image", "tag")] = here
        elif key in ("command", "args") and isinstance(value, str):
            try:
                values[key] = shlex.split(value)
            except ValueError as exc:
                errs.add(here, f"cannot split into words ({exc})")
            sources[(key,)] = here
        elif key == "env" and isinstance(value, dict):
            values[key] = {k: _env_string(errs, v, join_key(here, str(k))) for k, v in value.items()}
            _record(sources, (key,), here, values[key])
        else:
            values[key] = value
            _record(sources, (key,), here, value)
    return values, spec_only, sources


def _shape(errs, kind, settings, extra, features, where) -> AppShape | None:
    problems = len(errs.problems)
    if kind in (JOB, CRONJOB):
        for block in ("podDisruptionBudget", "autoscaling", "ingress", "gateway", "metrics", "replicas"):
            if block in settings:
                errs.add(join_key(where, block), f"does not apply to a {kind}")
    if kind != JOB and "hook" in extra:
        errs.add(join_key(where, "hook"), "hooks apply to jobs only (set type: job)")
    for block in ("ingress", "gateway"):
        if block in settings and kind == PROCESSOR:
            errs.add(join_key(where, block), f"{block} applies to api apps only")
        elif block in settings and kind == API and not features[block]:
            errs.add(join_key(where, block), f"the chart does not enable the {block} feature")
    if "configMountPath" in settings and "configFiles" not in settings:
        errs.add(join_key(where, "configMountPath"), "applies only with configFiles")
    if kind == PROCESSOR and "port" in settings and "healthPath" not in settings:
        errs.add(join_key(where, "port"), "a processor has a port only with a healthPath")
    hook = extra.get("hook", "")
    if hook and isinstance(hook, str) and any(h.strip() not in HOOKS for h in hook.split(",")):
        errs.add(join_key(where, "hook"), f"expected a comma-separated list of {', '.join(HOOKS)}, got {hook!r}")
    if len(errs.problems) > problems:
        return None
    deployment = kind in (API, PROCESSOR)
    return AppShape(
        type=kind,
        health=kind == API or "healthPath" in settings,
        pdb=deployment and (features["pdb"] or "podDisruptionBudget" in settings),
        hpa=deployment and ((features["hpa"] and kind == API) or "autoscaling" in settings),
        ingress=kind == API and features["ingress"],
        gateway=kind == API and features["gateway"],
        metrics=(kind == API and features["metrics"]) or (deployment and "metrics" in settings),
        config="configFiles" in settings,
        netpol=features["networkPolicy"] or "networkPolicy" in settings,
    )


def _apply_custom_values(errs, values, schema, custom, sources, where, unchecked: tuple[str, ...] = ()) -> None:
    """Set each dotted path; a path the chart's schema does not have is an error.
    Paths under `unchecked` (apps with problems of their own) are skipped."""
    for dotted, value in custom.items():
        here = join_key(where, str(dotted))
        if not isinstance(dotted, str) or not dotted:
            errs.add(here, "expected a dotted path such as global.env.APP_ENV")
            continue
        if dotted.startswith(tuple(f"{prefix}." for prefix in unchecked)):
            continue
        parts = dotted.split(".")
        node_schema, node, path = schema, values, ()
        for index, part in enumerate(parts):
            child = child_schema(node_schema, part, schema)
            if is_map(node_schema):  # env, annotations: the rest of the path is one key
                part = ".".join(parts[index:])
                child = node_schema["additionalProperties"]
            if child is None:
                known = node_schema.get("properties", {})
                errs.add(here, f"the chart has no value {'.'.join((*map(str, path), part))!r}{did_you_mean(part, known)}")
                break
            path = (*path, part)
            last = part == parts[-1] or is_map(node_schema)
            if last:
                if is_map(node_schema) and "env" in path[-2:-1]:
                    value = _env_string(errs, value, here)
                node[part] = copy.deepcopy(value)
                _record(sources, path, here, value)
                break
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                errs.add(here, f"{'.'.join(map(str, path))} is not a mapping")
                break
            node_schema = child


def _source_of(sources: dict[tuple, str], path: tuple, fallback: str) -> str:
    """The spec key a values path came from: the longest recorded prefix."""
    for end in range(len(path), -1, -1):
        found = sources.get(path[:end])
        if found is not None:
            if end == len(path):
                return found
            if found != fallback:
                return join_key(found, *path[end:])
            break
    # Nobody wrote it (a default of global or ingress): custom_values is where to set it.
    return join_key(fallback, "custom_values", ".".join(map(str, path))) if path else fallback


def _record(sources: dict, path: tuple, key: str, value) -> None:
    sources[path] = key
    if isinstance(value, dict):
        for k, v in value.items():
            _record(sources, (*path, k), join_key(key, str(k)), v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _record(sources, (*path, i), join_key(key, i), v)


def _env_string(errs, value, where: str):
    """Kubernetes env values are strings; spec scalars are converted the way they read.
    A mapping is a `{valueFrom: ...}` reference, checked by the schema."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, dict):
        return value
    errs.add(where, f"expected a string or {{valueFrom: ...}}, got {type_name(value)}")
    return ""


def _features(errs, raw, where) -> dict[str, bool]:
    out = dict.fromkeys(FEATURES, False)
    if not isinstance(raw, dict):
        errs.add(where, f"expected a mapping like {{pdb: 'true'}}, got {type_name(raw)}")
        return out
    for name, value in raw.items():
        here = join_key(where, str(name))
        if name not in FEATURES:
            errs.add(here, f"unknown feature{did_you_mean(str(name), FEATURES)}; expected one of: {', '.join(FEATURES)}")
        elif isinstance(value, bool):
            out[name] = value
        elif isinstance(value, str) and value.lower() in ("true", "false"):
            out[name] = value.lower() == "true"
        else:
            errs.add(here, f"expected true or false (boolean or string), got {value!r}")
    return out


def _chart_apps(errs, raw, where) -> dict[str, dict | None]:
    if isinstance(raw, list):
        entries = {}
        for index, name in enumerate(raw):
            if not isinstance(name, str) or not IDENTIFIER.match(name):
                errs.add(join_key(where, index), _identifier_message(name, "app name"))
            elif name in entries:
                errs.add(join_key(where, index), f"app {name!r} is listed twice")
            else:
                entries[name] = None
    elif isinstance(raw, dict):
        entries = {}
        for name, settings in raw.items():
            if not isinstance(name, str) or not IDENTIFIER.match(name):
                errs.add(join_key(where, str(name)), _identifier_message(name, "app name"))
            else:
                entries[name] = settings if settings is not None else {}
    else:
        errs.add(where, f"expected a list of app names or a mapping of app settings, got {type_name(raw)}")
        return {}
    if not entries and not errs.problems:
        errs.add(where, "expected at least one app")
    return entries


def _mapping(errs, raw, where) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errs.add(where, f"expected a mapping, got {type_name(raw)}")
        return {}
    return raw


def _string(errs, chart: dict, key: str, where: str, default: str) -> str:
    value = chart.get(key, default)
    if not isinstance(value, str):
        errs.add(join_key(where, key), f"expected a string (quote it), got {type_name(value)}")
        return ""
    return value


def _unknown_keys(errs, mapping: dict, known, where: str) -> None:
    for key in mapping:
        if key not in known:
            errs.add(
                join_key(where, str(key)),
                f"unknown key{did_you_mean(str(key), known)}; expected one of: {', '.join(known)}",
            )


def _identifier_message(value, what: str) -> str:
    return f"invalid {what} {value!r}: expected a letter, then letters, digits, '_' or '-', ending with a letter or digit, at most 63 characters"
