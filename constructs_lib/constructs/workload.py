"""The pod every workload shares, built on cdk8s-plus-28: secure defaults, probes, env, resources.

cdk8s-plus builds the workload, its container, ports, env, the /tmp and config
volumes and the ServiceAccount reference, so users can keep calling kplus methods
on it (`add_volume`, `mount`, `add_container`, select its pods from a
NetworkPolicy). What kplus cannot say
exactly is patched onto the object: resources and security contexts as the
values give them (kplus would rewrite quantities), probes, scheduling, pull
secrets, envFrom and the values' volumes. Patches apply to kplus's typed props
(kplus_json.typed puts them in that form).

Pods keep kplus's `cdk8s.io/metadata.addr` label, which is how kplus selects pods
(a `kplus.NetworkPolicy` or `kplus.Service` given our workload); our own selectors
never use it, since it follows the construct path.

The pod template's bindings to values are in pod_bindings.py.
"""

from __future__ import annotations

import functools
import re

import cdk8s
import cdk8s_plus_28 as kplus
from constructs import Construct

from ..spec.defaults import DEFAULT_GRACE_SECONDS, PROBE_TIMINGS, deep_merge, more_container
from ..spec.model import App, ChartContext
from ..spec.schema import PROBE_HANDLERS
from .kplus_json import add, env_text, kplus_enum, remove, typed
from .labels import app_labels, selector_labels
from .pod_bindings import PLAIN_POD_FIELDS, effective_image, pod_annotations, pod_bindings
from .props import PropsError

CONTAINER = "app"
TMP_VOLUME = "tmp"
CONFIG_VOLUME = "config"


# Kubernetes defaults kplus writes out. The API server drops the zero ones (so a
# live object would never match the chart) and defaults the rest, so they are
# left out, as a hand-written chart leaves them out.
# Patches address kplus's typed props, whose names differ from the JSON fields in
# a few places (setHostnameAsFqdn is written out as setHostnameAsFQDN).
KPLUS_POD_DEFAULTS = ("dnsPolicy", "hostNetwork", "restartPolicy", "setHostnameAsFqdn", "terminationGracePeriodSeconds")
KPLUS_DEPLOYMENT_DEFAULTS = ("minReadySeconds", "progressDeadlineSeconds")


def zone_spread(app: App) -> list[dict]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector_labels(app)},
        }
    ]


def spread_constraints(app: App) -> list[dict]:
    """The values' topologySpreadConstraints, each selecting the app's pods unless it says otherwise."""
    default = {"labelSelector": {"matchLabels": selector_labels(app)}}
    return [{**default, **c} for c in app.values["topologySpreadConstraints"]]


def host_anti_affinity(app: App) -> dict:
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": selector_labels(app)},
                    },
                }
            ]
        }
    }


# How kplus names the pod fields and resources an env var can read (EnvFieldPaths, ResourceFieldPaths).
FIELD_PATHS = {
    "metadata.name": "POD_NAME",
    "metadata.namespace": "POD_NAMESPACE",
    "metadata.uid": "POD_UID",
    "spec.nodeName": "NODE_NAME",
    "spec.serviceAccountName": "SERVICE_ACCOUNT_NAME",
    "status.hostIP": "NODE_IP",
    "status.podIP": "POD_IP",
    "status.podIPs": "POD_IPS",
}
KEYED_FIELD = re.compile(r"^metadata\.(labels|annotations)\['(.*)'\]$")
RESOURCE_PATHS = {
    f"{kind}.{resource}": f"{name}_{kind[:-1].upper()}"
    for kind in ("limits", "requests")
    for resource, name in (("cpu", "CPU"), ("memory", "MEMORY"), ("ephemeral-storage", "STORAGE"))
}


def env_value(scope: Construct, name: str, value, containers: list[kplus.Container]) -> kplus.EnvValue:
    """One env var's value as kplus builds it: a string, or a {valueFrom: ...} reference."""
    if isinstance(value, str):
        return env_text(value)
    ((kind, ref),) = value["valueFrom"].items()
    optional = {"optional": ref["optional"]} if "optional" in ref else {}
    if kind == "secretKeyRef":
        secret = kplus.Secret.from_secret_name(scope, f"env-{name}", ref["name"])
        return kplus.EnvValue.from_secret_value(kplus.SecretValue(secret=secret, key=ref["key"]), **optional)
    if kind == "configMapKeyRef":
        config_map = kplus.ConfigMap.from_config_map_name(scope, f"env-{name}", ref["name"])
        return kplus.EnvValue.from_config_map(config_map, ref["key"], **optional)
    if kind == "fieldRef":
        api_version = {"api_version": ref["apiVersion"]} if "apiVersion" in ref else {}
        keyed = KEYED_FIELD.match(ref["fieldPath"])
        if keyed:
            field = kplus.EnvFieldPaths["POD_LABEL" if keyed.group(1) == "labels" else "POD_ANNOTATION"]
            return kplus.EnvValue.from_field_ref(field, key=keyed.group(2), **api_version)
        return kplus.EnvValue.from_field_ref(kplus.EnvFieldPaths[FIELD_PATHS[ref["fieldPath"]]], **api_version)
    options: dict = {"divisor": str(ref["divisor"])} if "divisor" in ref else {}
    if "containerName" in ref:
        by_name = {c.name: c for c in containers}
        if ref["containerName"] not in by_name:
            raise PropsError(f"{scope.node.path}: env.{name}: no container named {ref['containerName']!r} (containers: {', '.join(by_name)})")
        options["container"] = by_name[ref["containerName"]]
    return kplus.EnvValue.from_resource(kplus.ResourceFieldPaths[RESOURCE_PATHS[ref["resource"]]], **options)


@functools.cache
def tmp_size() -> cdk8s.Size:
    """The /tmp emptyDir's limit, one immutable Size for every pod."""
    return cdk8s.Size.mebibytes(256)


def merged_env(chart: ChartContext, app: App) -> dict:
    env = {**chart.global_env, **app.values["env"]}
    return {name: env[name] for name in sorted(env)}


def service_account_name(app: App) -> str:
    account = app.values["serviceAccount"]
    return account["name"] or (app.names.workload if account["create"] else "")


def pod_props(scope: Construct, chart: ChartContext, app: App) -> tuple[dict, kplus.ConfigMap | None]:
    """The kplus workload props shared by Deployments and Jobs, and the config files' ConfigMap.

    Every call here is a round trip to the jsii runtime (about 0.3 ms), so what kplus
    only passes through (probes, resources, security contexts) goes in as patches.
    """
    values = app.values
    repository, tag = effective_image(chart, app)
    if tag is None:
        raise PropsError(f"{scope.node.path}: image: expected 'repository:tag' (no tag, and no chart appVersion to default to)")
    tmp = kplus.Volume.from_empty_dir(scope, "tmp-volume", TMP_VOLUME, size_limit=tmp_size())
    volumes, mounts = [tmp], [kplus.VolumeMount(path="/tmp", volume=tmp)]
    config_map = None
    if "configFiles" in values:
        metadata = cdk8s.ApiObjectMetadata(name=app.names.config, labels=app_labels(chart, app))
        config_map = kplus.ConfigMap(scope, "config", metadata=metadata, data=values["configFiles"])
        config = kplus.Volume.from_config_map(scope, "config-volume", config_map, name=CONFIG_VOLUME)
        volumes.append(config)
        mounts.append(kplus.VolumeMount(path=values["configMountPath"], volume=config, read_only=True))
    ports = []
    if app.has_health:
        ports.append(kplus.ContainerPort(number=values["port"], name="http", protocol=kplus.Protocol.TCP))
    if "metrics" in values and app.metrics_port_name == "metrics":
        ports.append(kplus.ContainerPort(number=values["metrics"]["port"], name="metrics", protocol=kplus.Protocol.TCP))
    ports += [kplus.ContainerPort(number=p["port"], name=p["name"], protocol=kplus.Protocol[p.get("protocol", "TCP")]) for p in values["ports"]]
    env = merged_env(chart, app)
    container = kplus.ContainerProps(
        name=CONTAINER,
        image=f"{repository}:{tag}",
        image_pull_policy=kplus_enum(kplus.ImagePullPolicy, values["image"]["pullPolicy"]),
        command=values["command"] or None,
        args=values["args"] or None,
        ports=ports,
        volume_mounts=mounts,
        # A resourceFieldRef naming a container needs the container: such env is added after.
        env_variables=None if _needs_container(env) else {name: env_value(scope, name, value, []) for name, value in env.items()},
    )
    props = {
        "select": False,
        "automount_service_account_token": values["serviceAccount"]["automountToken"],
        "pod_metadata": cdk8s.ApiObjectMetadata(labels={**app_labels(chart, app), **values["podLabels"]}, annotations=pod_annotations(app) or None),
        "containers": [container],
        "volumes": volumes,
    }
    account = service_account_name(app)
    if account:
        props["service_account"] = kplus.ServiceAccount.from_service_account_name(scope, "service-account", account)
    return props, config_map


def _needs_container(env: dict) -> bool:
    return any(isinstance(v, dict) and "containerName" in v["valueFrom"].get("resourceFieldRef", {}) for v in env.values())


def default_probe(app: App, name: str) -> dict:
    """An HTTP probe on healthPath, by port name so that a port change is one knob; {} without one."""
    if not app.has_health:
        return {}
    return {"httpGet": {"path": app.values["healthPath"], "port": "http"}, **PROBE_TIMINGS[name]}


def probe(app: App, name: str) -> dict:
    """The effective probe: the values' `probes.<name>` (false: none) merged over the default;
    a handler of another kind replaces the default's."""
    given = app.values["probes"].get(name)
    if given is False:
        return {}
    probe = default_probe(app, name)
    if given:
        if any(h in given and h not in probe for h in PROBE_HANDLERS):
            probe = {k: v for k, v in probe.items() if k not in PROBE_HANDLERS}
        probe = deep_merge(probe, given)
    return probe


def finish_pod(
    workload: kplus.Deployment | kplus.Job | kplus.CronJob, chart: ChartContext, app: App, *patches: cdk8s.JsonPatch, template: str = "/spec/template"
) -> dict:
    """Patch what kplus cannot say exactly (with the caller's `patches`, in one call) on the
    pod template at `template`; returns the pod template's bindings."""
    values = app.values
    env = merged_env(chart, app)
    if _needs_container(env):
        containers = workload.containers
        for name, value in env.items():
            containers[0].env.add_variable(name, env_value(workload, name, value, containers))
    every = chart.global_values
    pull_secrets = list(dict.fromkeys([*every["imagePullSecrets"], *values["imagePullSecrets"]]))
    pod_spec = {
        "enableServiceLinks": False,
        "securityContext": values["podSecurityContext"],
        "nodeSelector": values["nodeSelector"],
        "tolerations": values["tolerations"],
        "imagePullSecrets": [{"name": name} for name in pull_secrets],
    }
    pod_spec["affinity"] = values["affinity"] or (None if app.is_job else host_anti_affinity(app))
    pod_spec["topologySpreadConstraints"] = [*(zone_spread(app) if values.get("zoneSpread") else []), *spread_constraints(app)]
    if values["terminationGracePeriodSeconds"] != DEFAULT_GRACE_SECONDS:
        pod_spec["terminationGracePeriodSeconds"] = values["terminationGracePeriodSeconds"]
    pod_spec.update({key: values[key] for key in PLAIN_POD_FIELDS})
    pod_spec["initContainers"] = [
        *(more_container(c, sidecar=True) for c in values["sidecars"]),
        *(more_container(c, sidecar=False) for c in values["initContainers"]),
    ]
    container = {
        "lifecycle": values["lifecycle"],
        "resources": values["resources"],
        "securityContext": values["securityContext"],
        "envFrom": [*every["envFrom"], *values["envFrom"]],
    }
    container.update({f"{name}Probe": probe(app, name) for name in PROBE_TIMINGS})
    c = f"{template}/spec/containers/0"
    ops = [*patches]
    ops += [remove(f"{template}/spec/{key}") for key in KPLUS_POD_DEFAULTS if key != "restartPolicy" or not app.is_job]
    ops += [add(f"{template}/spec/{key}", typed(value)) for key, value in pod_spec.items() if value or value is False]
    ops += [add(f"{c}/{key}", typed(value)) for key, value in container.items() if value]
    # The escape hatches: every field as given (false and 0 included).
    ops += [add(f"{template}/spec/{key}", value) for key, value in typed(values["podSpec"]).items()]
    ops += [add(f"{c}/{key}", value) for key, value in typed(values["container"]).items()]
    ops += [add(f"{template}/spec/volumes/-", typed(volume)) for volume in values["volumes"]]
    ops += [add(f"{c}/volumeMounts/-", typed(mount)) for mount in user_mounts(values)]
    cdk8s.ApiObject.of(workload).add_json_patch(*ops)
    own_volumes = 2 if "configFiles" in values else 1  # tmp, config
    return pod_bindings(app, own_volumes, host_anti_affinity(app))


def user_mounts(values: dict) -> list[dict]:
    """The values' volumeMounts; those of secret volumes read-only unless they say otherwise."""
    secrets = {v["name"] for v in values["volumes"] if "secret" in v}
    return [{"readOnly": True, **m} if m["name"] in secrets and "readOnly" not in m else m for m in values["volumeMounts"]]
