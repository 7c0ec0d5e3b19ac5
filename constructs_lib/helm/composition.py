"""HelmChart: any cdk8s composition → a Helm chart whose values switch and tune it.

`cdk8s synth` (and the cdk8s CLI's `--format helm`) writes static manifests: a Helm
chart of those has no values. HelmChart turns the charts a Python team composed into
a chart with values:

- our service constructs' knobs become values in the usual layout
  (`<domain>.apps.<construct id>`), checked by the usual strict schema;
- an optional object whose block is switched off (`Autoscaling(enabled=False)`) is
  absent from the synth, as it should be, and still gets its guarded template;
- every other object is a static template, unless `value()` binds one of its fields
  to a value or `enabled_by()` switches it on and off.

The default render equals the synth, as for charts built from a spec.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import cdk8s
from constructs import Construct

from ..constructs.bindings import Bound, Guard, MapTail, Tail, Value, recorded
from ..constructs.chart import switched_on
from ..constructs.network_policy import OptionalNetworkPolicy
from ..constructs.optional import OptionalHpa, OptionalObject, OptionalPdb, OptionalServiceAccount, ServiceRef
from ..constructs.props import snake, vars_of
from ..constructs.services import APP_VERSION_CONTEXT, Workload
from ..pipeline import ChartBuild, by_kind_and_name, pair_objects, write_outputs
from ..spec.defaults import GLOBAL_DEFAULTS, NETWORK_POLICY_DEFAULTS
from ..spec.model import ChartModel
from ..spec.naming import IDENTIFIER, dashed
from ..spec.parse import DEFAULT_VERSION, IMAGE_TAG, SEMVER
from ..spec.schema import chart_schema, obj
from .helm_chart import chart_files
from .package import package_chart

CHART_NAME = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,51}[a-z0-9])?$")
VALUE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
FIELD = re.compile(r"^[^.\[\]]+(?:\[\d+\])*(?:\.[^.\[\]]+(?:\[\d+\])*)*$")
FIELD_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
# Values blocks of a service that an optional construct reads. A block no construct of the
# composition reads still gets its object's template (off by default), so its knobs are live.
READ_BY = {
    "autoscaling": OptionalHpa,
    "podDisruptionBudget": OptionalPdb,
    "serviceAccount": OptionalServiceAccount,
    "networkPolicy": OptionalNetworkPolicy,
}
# Kinds that live outside namespaces: their templates get no release namespace.
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "GatewayClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (dict, "object"), (list, "array"))


class HelmChartError(ValueError):
    """A composition HelmChart cannot turn into a chart: `HelmChart <name>: <where>: <what was expected>`."""


@dataclass(frozen=True)
class _Knob:
    """A value the user bound: `field` of the object `identity` (or the whole object, to switch it)."""

    key: str  # dotted, under .Values
    identity: tuple[str, str]  # kind, name
    field: tuple | None  # None: the key switches the object on and off
    description: str
    schema: dict | None


class HelmChart:
    """A Helm chart of a cdk8s composition (an App's charts, or one Chart).

    `name`: the chart's name (default: the chart's id, dashed). `version`: its semantic
    version (default 0.1.0). `app_version`: Chart.yaml's appVersion, the default image
    tag (default: the `appVersion` context the constructs were built with; none: no
    appVersion). `domain`: the values key our services live under (default: `name`).

        helm = HelmChart(chart, name="shop", version="1.2.0")
        helm.value(config_map, "data.LOG_LEVEL", "logging.level")
        helm.enabled_by(config_map, "logging.enabled")
        helm.write("dist")  # dist/charts/shop/, dist/packages/shop-1.2.0.tgz, dist/manifests/shop.k8s.yaml
    """

    def __init__(
        self,
        scope: cdk8s.App | cdk8s.Chart,
        *,
        name: str | None = None,
        version: str = DEFAULT_VERSION,
        app_version: str | None = None,
        description: str | None = None,
        domain: str | None = None,
    ):
        self.charts: list[cdk8s.Chart] = list(scope.charts) if isinstance(scope, cdk8s.App) else [scope]
        if not self.charts:
            raise HelmChartError("HelmChart: scope: expected a cdk8s Chart or an App with charts, got an App without any")
        for chart in self.charts:  # a spec chart has its own values layout and pipeline
            if getattr(chart, "model", None) is not None:
                raise HelmChartError(f"HelmChart: {chart.node.path}: expected a composition, got a DomainChart; build spec charts with main.py")
        self.name = name or dashed(self.charts[0].node.id)
        if not CHART_NAME.match(self.name):
            self._fail("name", "lowercase letters, digits and dashes, at most 53 characters", self.name)
        if not (isinstance(version, str) and SEMVER.match(version)):
            self._fail("version", "a semantic version like 1.2.3", version)
        built_with = self.charts[0].node.try_get_context(APP_VERSION_CONTEXT)
        self.app_version = built_with if app_version is None else app_version
        if self.app_version is not None and not (isinstance(self.app_version, str) and IMAGE_TAG.match(self.app_version)):
            self._fail("app_version", "a value usable as an image tag", self.app_version)
        self.version = version
        self.description = description or f"{self.name}: a cdk8s composition"
        self.domain = domain or self.name
        if not IDENTIFIER.match(self.domain):
            self._fail("domain", "a name of letters, digits, '-' and '_'", self.domain)
        self._knobs: list[_Knob] = []

    def value(self, resource: Construct, field: str | Sequence, key: str, *, description: str = "", schema: dict | None = None) -> None:
        """Bind `field` of `resource` (an ApiObject or a cdk8s-plus resource; a dotted path with
        `[n]` for list items, e.g. "spec.template.spec.containers[0].image", or a sequence of
        keys and indices) to the value `key` (dotted, e.g. "web.replicas"). The value's default
        is the synthesized field; its schema is `schema` or the default's JSON type."""
        path, identity = self._field_path(field), self._identity(resource, "value")
        description = description or f"{identity[0]} {identity[1]}: {'.'.join(map(str, path))}"
        self._knobs.append(_Knob(self._key(key), identity, path, description, schema))

    def enabled_by(self, resource: Construct, key: str, *, description: str = "") -> None:
        """The whole object exists only while the boolean value `key` (default true) is true."""
        identity = self._identity(resource, "enabled_by")
        self._knobs.append(_Knob(self._key(key), identity, None, description or f"Whether the {identity[0]} {identity[1]} exists.", None))

    def build(self) -> ChartBuild:
        """Manifests (the synth), chart files and package."""
        objects = [o for chart in self.charts for o in chart.to_json()]
        nodes = [n for chart in self.charts for n in chart.node.find_all()]
        workloads = [n for n in nodes if isinstance(n, Workload)]
        optionals = [n for n in nodes if isinstance(n, OptionalObject)]
        self._check_services(workloads, optionals)
        for workload in workloads:  # their image tags and Job names are computed with it
            if (workload.chart.app_version or None) != self.app_version:
                self._fail("app_version", f"the appVersion context {workload.node.path} was built with", self.app_version)
        self._check_untouched(workloads, by_kind_and_name(objects))
        twin = self._switched_off_twin(workloads, optionals)
        twin_nodes = twin.node.find_all()
        templated = pair_objects(objects, recorded(nodes)) + pair_objects(twin.to_json(), recorded(twin_nodes))
        templated += self._static(objects, {(b.kind, b.name) for _, b in templated})
        # Copies: the knobs go into these, and the constructs keep their own (build() may run again).
        templated = [(obj, dataclasses.replace(bound, bindings=dict(bound.bindings))) for obj, bound in templated]
        values, schema = self._values(workloads, optionals + [n for n in twin_nodes if isinstance(n, OptionalObject)])
        self._bind(templated, values, schema)
        model = ChartModel(
            domain=self.domain,
            key=self.name,
            name=self.name,
            description=self.description,
            version=self.version,
            app_version=self.app_version or "",
            apps=tuple(w.app for w in workloads),
            values=values,
            schema=schema,
            source=f"HelmChart {self.name}",
            composition=True,
        )
        files = chart_files(model, templated)
        return ChartBuild(model, objects, files, package_chart(self.name, files))

    def write(self, outdir: str | Path) -> dict[str, list[Path]]:
        """Write the chart folder, its package and the manifests into `outdir` (charts/,
        packages/, manifests/), as one atomic swap; returns the paths written."""
        return write_outputs([self.build()], Path(outdir))

    # -- checks ---------------------------------------------------------------------------

    def _fail(self, where: str, expected: str, got) -> NoReturn:
        self._refuse(where, f"expected {expected}, got {got!r}")

    def _refuse(self, where: str, message: str) -> NoReturn:
        raise HelmChartError(f"HelmChart {self.name}: {where}: {message}")

    def _key(self, key: str) -> str:
        if not (isinstance(key, str) and VALUE_KEY.match(key)):
            self._fail("key", "a dotted values key like web.replicas", key)
        if key.split(".")[0] in self._reserved():
            self._fail("key", f"a key outside {', '.join(sorted(self._reserved()))}", key)
        return key

    def _reserved(self) -> set[str]:
        return {"global", "extraObjects", "networkPolicy", "ingress", "gateway", self.domain}

    def _identity(self, resource, what: str) -> tuple[str, str]:
        try:
            api_object = resource if isinstance(resource, cdk8s.ApiObject) else cdk8s.ApiObject.of(resource)
        except Exception:  # jsii raises a plain Error for constructs without one
            self._fail(what, "an ApiObject or a cdk8s-plus resource", type(resource).__name__)
        return api_object.kind, api_object.name

    def _field_path(self, field: str | Sequence) -> tuple:
        if isinstance(field, str):
            if not FIELD.match(field):
                self._fail("field", "a path like spec.template.spec.containers[0].image", field)
            return tuple(int(index) if index else key for index, key in FIELD_PART.findall(field))
        if not field or not all(isinstance(p, (str, int)) for p in field):
            self._fail("field", "a sequence of keys and list indices", field)
        return tuple(field)

    def _check_services(self, workloads: list[Workload], optionals: list[OptionalObject]) -> None:
        seen: dict[str, Workload] = {}
        for workload in workloads:
            key = workload.app.key
            if key in seen:
                self._fail(workload.node.path, f"an id no other service has (values key {self.domain}.apps.{key}: {seen[key].node.path})", key)
            seen[key] = workload
            for block in _unread(workload, optionals):
                if workload.app.feature_on(block):  # the values say the object exists; the synth has none
                    self._refuse(f"{workload.node.path}: {snake(block)}", f"the prop is on, so add an {READ_BY[block].__name__} with this target")

    def _check_untouched(self, workloads: list[Workload], objects: dict[tuple[str, str], dict]) -> None:
        """Refuse a field the chart renders from values that a kplus method changed after
        construction (helm would render it without the change). Extras in lists and maps
        the template keeps literally (volumes, mounts, pod labels, containers) are fine."""
        for workload in workloads:
            rebuilt = _rebuilt(workload)
            for bound in workload.bound:
                mine, fresh = objects[(bound.kind, bound.name)], rebuilt[(bound.kind, bound.name)]
                for path, binding in bound.bindings.items():
                    if not _keeps_extras(binding) and _field(mine, path) != _field(fresh, path):
                        self._refuse(
                            f"{workload.node.path}: {bound.kind} {bound.name}: {'.'.join(map(str, path))}",
                            "changed after construction; the chart renders this field from values, so give the change as a prop",
                        )

    # -- building -------------------------------------------------------------------------

    def _switched_off_twin(self, workloads: list[Workload], optionals: list[OptionalObject]) -> cdk8s.Chart:
        """The optional objects the synth lacks, built switched on for their templates: those
        of switched-off optional constructs, and those of blocks no construct reads."""
        twin = cdk8s.Chart(cdk8s.App(), self.charts[0].node.id, disable_resource_name_hashes=True)
        for optional in optionals:
            if optional.switched_off is not None:
                target = ServiceRef(switched_on(optional.app), optional.target.chart)
                type(optional)(twin, optional.node.path.replace("/", "-"), target=target, **optional.switched_off)
        for workload in workloads:
            for block in _unread(workload, optionals):
                target = ServiceRef(switched_on(workload.app), workload.chart)
                READ_BY[block](twin, f"{workload.node.path.replace('/', '-')}-{block}", target=target)
        return twin

    def _static(self, objects: list[dict], bound: set[tuple[str, str]]) -> list[tuple[dict, Bound]]:
        """Every object no construct of ours recorded: a static template."""
        out, templates = [], set()
        for manifest in objects:
            identity = (manifest["kind"], manifest["metadata"]["name"])
            if identity in bound:
                continue
            if identity in templates:
                self._refuse(f"{identity[0]} {identity[1]}", "two objects have this kind and name; Helm installs one")
            templates.add(identity)
            namespaced = identity[0] not in CLUSTER_SCOPED and "namespace" not in manifest["metadata"]
            template = f"{dashed(identity[0].lower())}-{identity[1]}.yaml"
            out.append((manifest, Bound(None, *identity, template=template, app_key=None, namespaced=namespaced)))
        return out

    def _values(self, workloads: list[Workload], optionals: list[OptionalObject]) -> tuple[dict, dict]:
        shapes = {w.app.key: w.app.shape for w in workloads}
        values: dict = {"global": copy.deepcopy(workloads[0].chart.global_values if workloads else GLOBAL_DEFAULTS)}
        values[self.domain] = {"apps": {w.app.key: w.app.values for w in workloads}}
        peers = [o.peers for o in optionals if isinstance(o, OptionalNetworkPolicy) and hasattr(o, "peers")]
        if any(shape.netpol for shape in shapes.values()):
            if any(p != peers[0] for p in peers):
                self._refuse("networkPolicy", "OptionalNetworkPolicies differ in ingress_from or metrics_from; the chart has one networkPolicy block")
            values["networkPolicy"] = copy.deepcopy(peers[0] if peers else NETWORK_POLICY_DEFAULTS)
        values["extraObjects"] = []
        return values, chart_schema(self.domain, shapes, with_ingress=False)

    def _bind(self, templated: list[tuple[dict, Bound]], values: dict, schema: dict) -> None:
        """Each knob into its object's bindings, its default into values and its type into the schema."""
        by_identity = {(b.kind, b.name): (o, b) for o, b in templated}
        for knob in self._knobs:
            where = f"{knob.identity[0]} {knob.identity[1]}"
            if knob.identity not in by_identity:
                self._fail(knob.key, "an object of the composition", where)
            manifest, bound = by_identity[knob.identity]
            expr = "$.Values." + knob.key
            if knob.field is None:
                default, leaf = True, {"type": "boolean"}
                bound.guard = expr if bound.guard is None else f"and ({bound.guard}) {expr}"
            else:
                default = _field(manifest, knob.field)
                if default is _ABSENT:
                    self._fail(knob.key, f"a field {where} has", ".".join(map(str, knob.field)))
                if _inside(knob.field, bound.bindings):
                    self._fail(knob.key, "a field no construct binds already", f"{where} {'.'.join(map(str, knob.field))}")
                bound.bindings[knob.field] = Value(expr)
                leaf = knob.schema or {"type": next(name for kind, name in JSON_TYPES if isinstance(default, kind))}
            _place(self, values, schema, knob, default, {**leaf, "description": knob.description})


_ABSENT = object()


def _rebuilt(workload: Workload) -> dict[tuple[str, str], dict]:
    """The objects the workload's props make, built afresh at the same construct path."""
    *outer, own = workload.node.path.split("/")
    app = cdk8s.App()
    if workload.chart.app_version:
        app.node.set_context(APP_VERSION_CONTEXT, workload.chart.app_version)
    scope: Construct = cdk8s.Chart(app, outer[0])
    chart = scope
    for part in outer[1:]:
        scope = Construct(scope, part)
    type(workload)(scope, own, **vars_of(workload.props))
    return by_kind_and_name(chart.to_json())


def _keeps_extras(binding) -> bool:
    """The template writes what the synth has beyond the values (a kplus method's additions)."""
    if isinstance(binding, Tail):
        return binding.values_items is not None
    return isinstance(binding, MapTail) or (isinstance(binding, Guard) and binding.inner is None)


def _unread(workload: Workload, optionals: list[OptionalObject]) -> list[str]:
    """The service's values blocks that no optional construct of the composition reads."""
    read = {o.BLOCK for o in optionals if o.target is workload}
    return [block for block in READ_BY if block in workload.app.values and block not in read]


def _field(obj, path: tuple):
    for part in path:
        try:
            obj = obj[part]
        except (KeyError, IndexError, TypeError):
            return _ABSENT
    return obj


def _inside(path: tuple, bindings: dict) -> bool:
    """A binding above or below `path` already renders it."""
    return any(p[: len(path)] == path or path[: len(p)] == p for p in bindings)


def _place(helm: HelmChart, values: dict, schema: dict, knob: _Knob, default, leaf: dict) -> None:
    """`knob.key`'s default into values and its schema into the root schema, creating objects on the way."""
    *parents, last = knob.key.split(".")
    node, props = values, schema
    for part in parents:
        existing = node.get(part)
        if not (existing is None or isinstance(existing, dict)):
            helm._fail(knob.key, f"{part} to hold keys, not to be a value of its own", existing)
        node = node.setdefault(part, {})
        if part not in props["properties"]:
            props["properties"][part] = obj({})
            props.setdefault("required", []).append(part)
        props = props["properties"][part]
    if last in node:
        if node[last] != default or props["properties"][last] != leaf:
            helm._fail(knob.key, f"one default and schema per key, as bound before ({node[last]!r})", default)
        return
    node[last] = copy.deepcopy(default)
    props["properties"][last] = leaf
    props.setdefault("required", []).append(last)
