"""Knob bindings: which field of a synthesized object comes from which value.

Constructs build real objects from the model (that is the synth output) and
record, per object, how each field is wired to values. The Helm wrapper turns
object + bindings into a flat template. Bindings are keyed by the field's path
in the object, e.g. ("spec", "replicas").

Expressions use the variables every template defines: `$app` (this app's
values), `$global` (.Values.global) and `$ingress` (.Values.ingress).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cdk8s
from constructs import Construct

from .kplus_json import add


@dataclass(frozen=True)
class Value:
    """`key: {{ expr | toJson }}`: the field is a value (a mapping or list, as in the
    synth, is written as block YAML with toYaml)."""

    expr: str


@dataclass(frozen=True)
class WithValue:
    """The field only while expr is non-empty (synth omits it when empty): block YAML,
    or `{{ toJson . }}` when it is a `scalar`."""

    expr: str
    scalar: bool = False


@dataclass(frozen=True)
class Raw:
    """Template lines that replace the whole `key: ...` entry (indented like the entry;
    `@ITEM@` in them is the column of keys inside a list item under the entry)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class Tail:
    """A list: the synth's first `keep` items as literals, then `lines` rendering the rest
    from values (`@ITEM@` in them is the column of keys inside a list item). With no
    literal items, the whole entry exists only while `when` holds."""

    keep: int
    lines: tuple[str, ...]
    when: str = ""
    # When set, the lines render the synth's last `values_items` items, and every item
    # before them is a literal: also those a kplus method added after construction.
    values_items: int | None = None

    def literal_items(self, items: list) -> list:
        return items[: len(items) - self.values_items] if self.values_items is not None else items[: self.keep]


@dataclass(frozen=True)
class MapTail:
    """A mapping: the synth's entries but `exclude` (those come from values), then `lines`."""

    exclude: tuple[str, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Either:
    """`key:` with the value of `expr` (block YAML) while it is not empty, else `fallback` as a literal."""

    expr: str
    fallback: object


@dataclass(frozen=True)
class Guard:
    """The entry exists only while cond holds; its content is `inner` or the synth's."""

    cond: str
    inner: Value | WithValue | Raw | None = None


Binding = Value | WithValue | Raw | Tail | MapTail | Either | Guard


@dataclass
class Bound:
    """One object for the Helm wrapper: what it is, where it goes, how it is wired."""

    api_object: Construct  # a cdk8s ApiObject or a cdk8s-plus resource
    kind: str
    name: str
    template: str  # file name under templates/
    app_key: str | None  # the app whose values `$app` binds, None for chart-level objects
    guard: str | None = None  # the whole object exists only while this holds
    bindings: dict[tuple, Binding] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)  # `$name := expr` at the top
    namespaced: bool = True  # gets the release namespace (not for cluster-scoped kinds)


def app_values_expr(domain: str, app_key: str) -> str:
    """`index .Values "domain" "apps" "app"`: keys may contain dashes, so no dotted access."""
    return f'index .Values "{domain}" "apps" "{app_key}"'


class BoundConstruct(Construct):
    """A construct that records its objects and their bindings for the Helm wrapper."""

    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id)
        self.bound: list[Bound] = []

    def add_object(
        self,
        id: str,
        api_version: str,
        kind: str,
        body: dict,
        *,
        template: str,
        app_key: str | None,
        guard: str | None = None,
        bindings: dict | None = None,
        variables: dict | None = None,
    ) -> cdk8s.ApiObject:
        """An ApiObject with our exact body (no cdk8s name hashes or defaults), recorded."""
        api_object = exact_api_object(self, id, api_version, kind, body)
        self.record(
            api_object,
            kind,
            body["metadata"]["name"],
            template=template,
            app_key=app_key,
            guard=guard,
            bindings=bindings,
            variables=variables,
        )
        return api_object

    def record(
        self,
        api_object: Construct,
        kind: str,
        name: str,
        *,
        template: str,
        app_key: str | None,
        guard: str | None = None,
        bindings: dict | None = None,
        variables: dict | None = None,
    ) -> None:
        """Record an object for the Helm wrapper (also one built elsewhere, e.g. an imported CRD class)."""
        self.bound.append(Bound(api_object, kind, name, template, app_key, guard, bindings or {}, variables or {}))


def recorded(nodes) -> list[Bound]:
    """What the BoundConstructs among `nodes` recorded, in construction order."""
    return [bound for node in nodes if isinstance(node, BoundConstruct) for bound in node.bound]


METADATA_PROPS = ("name", "labels", "annotations")  # set through cdk8s's metadata API, so metadata.add_label still works


def exact_api_object(scope: Construct, id: str, api_version: str, kind: str, body: dict) -> cdk8s.ApiObject:
    """An ApiObject whose JSON is exactly `apiVersion`, `kind` and `body` (the chart's
    names never get cdk8s's hashes)."""
    metadata = body["metadata"]
    api_object = cdk8s.ApiObject(
        scope,
        id,
        api_version=api_version,
        kind=kind,
        metadata=cdk8s.ApiObjectMetadata(name=metadata["name"], labels=metadata.get("labels"), annotations=metadata.get("annotations")),
    )
    rest = [add(f"/metadata/{key}", value) for key, value in metadata.items() if key not in METADATA_PROPS]
    rest += [add(f"/{key}", value) for key, value in body.items() if key != "metadata"]
    if rest:
        api_object.add_json_patch(*rest)
    return api_object


def nested(prefix: tuple, bindings: dict) -> dict:
    """Bindings re-rooted under `prefix` (e.g. a pod template's place in its object)."""
    return {(*prefix, *path): binding for path, binding in bindings.items()}
