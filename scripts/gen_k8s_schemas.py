"""Writes constructs_lib/spec/k8s_schemas.json: strict, self-contained Kubernetes 1.29 schemas.

values.schema.json embeds these for the Kubernetes objects users paste into values
(env valueFrom, envFrom, volumes, probes, affinity, ...), so a typo such as
`secretKeyRf` fails at `helm install` instead of being dropped by the API server.

The source is the OpenAPI-derived strict schema set shipped by the PyPI package
kubernetes-validate. Each entry is fully inlined (no `$ref`), every object with
properties refuses unknown keys, and only the JSON Schema keywords that
constructs_lib/spec/validate.py implements are used.

    .venv/bin/python scripts/gen_k8s_schemas.py
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "constructs_lib" / "spec" / "k8s_schemas.json"
SOURCE = ("kubernetes-json-schema", "v1.29.0-local-strict", "_definitions.json")

CORE = "io.k8s.api.core.v1."
NETWORKING = "io.k8s.api.networking.v1."  # entries outside core name their group
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
# resource.ParseQuantity: sign, number, then a binary SI, decimal SI or integer exponent suffix.
QUANTITY_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# What the API server accepts in an env fieldRef (validEnvDownwardAPIFieldPathExpressions,
# plus subscripted labels/annotations whose key is a qualified name; annotation keys are
# lower-cased before that check, so their prefix may hold capitals).
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_LABEL_PREFIX = r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
_ANNOTATION_PREFIX = r"([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*/)?"
# The pod fields an env var may read. status.hostIPs is left out: cdk8s-plus-28, which
# builds the env vars, has no name for it, so a spec using it could not be generated.
ENV_FIELD_PATH = (
    r"^(metadata\.(name|namespace|uid)"
    rf"|metadata\.labels\['{_LABEL_PREFIX}{_NAME}'\]"
    rf"|metadata\.annotations\['{_ANNOTATION_PREFIX}{_NAME}'\]"
    r"|spec\.(nodeName|serviceAccountName)"
    r"|status\.(hostIP|podIP|podIPs))$"
)
ENV_RESOURCES = ["limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage"]
VOLUME_SOURCES = ["emptyDir", "configMap", "secret", "persistentVolumeClaim", "projected", "csi", "downwardAPI"]

# Keywords of the source that carry no validation we keep (formats are int32/int64/date-time hints).
DROPPED = {"description", "format", "default"}


def load_definitions() -> dict:
    path = resources.files("kubernetes_validate").joinpath(*SOURCE)
    return json.loads(path.read_text(encoding="utf-8"))["$defs"]


def convert(node: dict, defs: dict, stack: tuple[str, ...] = ()) -> dict:
    """`node` with every `$ref` inlined, nullable types made plain and unknown keys refused."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name == INT_OR_STRING:
            return {"anyOf": [{"type": "integer"}, {"type": "string"}]}
        if name == QUANTITY:
            return {"anyOf": [{"type": "string", "pattern": QUANTITY_PATTERN}, {"type": "number"}]}
        if name in stack:
            raise ValueError(f"recursive definition cannot be inlined: {' -> '.join((*stack, name))}")
        return convert(defs[name], defs, (*stack, name))
    out: dict = {}
    for key, value in node.items():
        if key in DROPPED or key.startswith("x-kubernetes-"):
            continue
        if key == "properties":
            out[key] = {name: convert(prop, defs, stack) for name, prop in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = convert(value, defs, stack)
        elif key == "additionalProperties" and isinstance(value, bool):
            out[key] = value
        elif key == "required":
            out[key] = list(value)
        elif key == "enum":
            out[key] = [v for v in value if v is not None]
        elif key != "type":
            raise ValueError(f"unhandled keyword {key!r} in {' -> '.join(stack) or 'entry'}")
    types = node.get("type")
    types = [t for t in ([types] if isinstance(types, str) else types or []) if t != "null"]
    if not types:
        if "properties" in out or "additionalProperties" in out:
            types = ["object"]
        elif "items" in out:
            types = ["array"]
    if types == ["object"] and "properties" in out:
        out.setdefault("additionalProperties", False)
    if len(types) == 1:
        return {"type": types[0], **out}
    if types:
        return {"anyOf": [{"type": t, **out} for t in types]}
    return out


def exactly_one(schema: dict, members: list[str], shared: tuple[str, ...] = ()) -> dict:
    """anyOf of strict objects, each holding the shared keys plus exactly one member (required)."""
    props = schema["properties"]
    shared_required = [key for key in schema.get("required", []) if key in shared]
    options = []
    for member in members:
        option_props = {key: props[key] for key in (*shared, member)}
        options.append({"type": "object", "properties": option_props, "required": [*shared_required, member], "additionalProperties": False})
    return {"type": "object", "anyOf": options}


def env_var_source(schema: dict) -> dict:
    props = schema["properties"]
    props["fieldRef"]["properties"]["fieldPath"]["pattern"] = ENV_FIELD_PATH
    props["resourceFieldRef"]["properties"]["resource"]["enum"] = list(ENV_RESOURCES)
    return exactly_one(schema, ["secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef"])


def env_from_source(schema: dict) -> dict:
    return exactly_one(schema, ["configMapRef", "secretRef"], shared=("prefix",))


def volume(schema: dict) -> dict:
    schema["properties"]["name"].update(pattern=DNS_LABEL, maxLength=63)
    return exactly_one(schema, VOLUME_SOURCES, shared=("name",))


# short name -> (source definition, description, restriction)
ENTRIES = {
    "EnvVarSource": (
        "EnvVarSource",
        "Where an env var's value comes from: exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef.",
        env_var_source,
    ),
    "EnvFromSource": ("EnvFromSource", "A ConfigMap or Secret (exactly one) whose keys become env vars, with an optional prefix.", env_from_source),
    "Volume": ("Volume", "A pod volume: a DNS-label name plus exactly one source.", volume),
    "VolumeMount": ("VolumeMount", "Where a container mounts a pod volume.", None),
    "Probe": ("Probe", "A container health check (liveness, readiness or startup).", None),
    "Lifecycle": ("Lifecycle", "Container postStart and preStop hooks.", None),
    "Affinity": ("Affinity", "Pod scheduling constraints: node affinity, pod affinity and anti-affinity.", None),
    "TopologySpreadConstraint": ("TopologySpreadConstraint", "How to spread pods across a topology domain.", None),
    "HostAlias": ("HostAlias", "An /etc/hosts entry for the pod.", None),
    "PodDNSConfig": ("PodDNSConfig", "Extra DNS settings for the pod: nameservers, searches, options.", None),
    "Toleration": ("Toleration", "Lets the pod schedule onto nodes with a matching taint.", None),
    "ContainerPort": ("ContainerPort", "A network port a container exposes.", None),
    "SecurityContext": ("SecurityContext", "Container-level security settings.", None),
    "PodSecurityContext": ("PodSecurityContext", "Pod-level security settings.", None),
    "ResourceRequirements": ("ResourceRequirements", "A container's resource requests and limits.", None),
    "Container": ("Container", "A full Kubernetes container.", None),
    "PodSpec": ("PodSpec", "A full Kubernetes pod spec.", None),
    "NetworkPolicyPeer": (NETWORKING + "NetworkPolicyPeer", "Pods or namespaces (or an IP block) a NetworkPolicy rule allows.", None),
    "NetworkPolicyIngressRule": (NETWORKING + "NetworkPolicyIngressRule", "Traffic a NetworkPolicy lets in: from peers, to ports.", None),
    "NetworkPolicyEgressRule": (NETWORKING + "NetworkPolicyEgressRule", "Traffic a NetworkPolicy lets out: to peers, on ports.", None),
}


def generate(defs: dict | None = None) -> dict:
    """Every entry, fully inlined and strict."""
    defs = defs if defs is not None else load_definitions()
    entries = {}
    for short, (source, description, restrict) in ENTRIES.items():
        name = source if source.startswith("io.k8s.") else CORE + source
        schema = convert(defs[name], defs, (name,))
        if restrict:
            schema = restrict(schema)
        entries[short] = {"description": description, **schema}
    return entries


def render(entries: dict) -> str:
    return json.dumps(entries, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    entries = generate()
    OUTPUT.write_text(render(entries), encoding="utf-8")
    for name, schema in sorted(entries.items()):
        print(f"{name}: {len(render(schema).encode())} bytes", file=sys.stderr)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
