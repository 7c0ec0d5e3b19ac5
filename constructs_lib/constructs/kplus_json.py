"""Kubernetes JSON as values hold it → what cdk8s-plus's typed objects accept.

JSON patches on a kplus object apply to its typed props before they are written
out, so a few things must be in the typed form: quantities and int-or-strings as
the objects `k8s.Quantity` and `k8s.IntOrString` are, `{"value": ...}` (built here
rather than with `k8s.Quantity.from_string`, which costs a jsii round trip each),
and the handful of fields whose prop name differs from the JSON name. A plain
string or an unknown name would be dropped silently; the golden files would show it.
"""

from __future__ import annotations

import functools
import json

import cdk8s
import cdk8s_plus_28 as kplus

from .props import snake

# JSON field → kplus prop name, where they differ (from cdk8s-plus-28's generated k8s.ts).
PROP_NAMES = {"downwardAPI": "downwardApi", "hostIP": "hostIp", "hostIPC": "hostIpc", "hostPID": "hostPid", "setHostnameAsFQDN": "setHostnameAsFqdn"}
QUANTITY_FIELDS = ("sizeLimit", "divisor")


def kplus_enum(enum: type, value: str):
    """The kplus enum member of a Kubernetes spelling: `IfNotPresent` → IF_NOT_PRESENT."""
    return enum[snake(value).upper()]


# Int-or-string fields: a port inside these handlers, a Service port's targetPort,
# a rolling update's bounds.
PORT_HOLDERS = ("httpGet", "tcpSocket")
INT_OR_STRING_FIELDS = ("targetPort", "maxSurge", "maxUnavailable")


def typed(value, parent: str = ""):
    """A Kubernetes sub-object (a probe, resources, a Volume, ...) in kplus's typed form."""
    if isinstance(value, list):
        return [typed(item, parent) for item in value]
    if not isinstance(value, dict):
        return value
    return {PROP_NAMES.get(key, key): typed_field(key, item, parent) for key, item in value.items()}


def typed_field(key: str, value, parent: str = ""):
    """One field's value, `key` under `parent`, in kplus's typed form."""
    quantity = (key in QUANTITY_FIELDS or parent in ("requests", "limits", "overhead")) and isinstance(value, (str, int, float))
    if quantity or (key == "port" and parent in PORT_HOLDERS) or key in INT_OR_STRING_FIELDS:
        return {"value": value}
    return typed(value, key)


# JSON patches are immutable values and cdk8s deep-copies them when it applies them,
# so one patch object can serve every object that needs the same change. Most patches
# repeat across apps (the same defaults removed, the same security contexts), and each
# new one is a jsii round trip.
@functools.lru_cache(maxsize=1 << 14)
def _patch(op: str, path: str, value_json: str) -> cdk8s.JsonPatch:
    return cdk8s.JsonPatch.remove(path) if op == "remove" else cdk8s.JsonPatch.add(path, json.loads(value_json))


def add(path: str, value) -> cdk8s.JsonPatch:
    """`JsonPatch.add`, shared between objects that get the same one."""
    return _patch("add", path, json.dumps(value))


def remove(path: str) -> cdk8s.JsonPatch:
    """`JsonPatch.remove`, shared between objects that get the same one."""
    return _patch("remove", path, "")


@functools.lru_cache(maxsize=1 << 14)
def env_text(value: str) -> kplus.EnvValue:
    """`EnvValue.from_value`, shared: an env value is an immutable value object too."""
    return kplus.EnvValue.from_value(value)
