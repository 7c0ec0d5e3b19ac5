"""cdk8s-plus objects in props → the Kubernetes JSON that values hold.

Props take kplus objects where kplus has them: a `kplus.EnvValue` as an env value
(`EnvValue.from_secret_value(...)`), `kplus.EnvFrom` in env_from
(`Env.from_secret(secret)`), a `kplus.Volume` in volumes
(`Volume.from_config_map(...)`) and a `kplus.IServiceAccount` as service_account
(an existing account, used by name; its token stays unmounted), and `kplus.ISecret`s
in image_pull_secrets (by name). Values hold JSON,
and kplus keeps its JSON to itself, so the objects are written out by a scratch
pod that kplus synthesizes: exactly what kplus would put in a pod of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

import cdk8s
import cdk8s_plus_28 as kplus

from .props import ServiceAccount

SCRATCH_IMAGE = "scratch:0"


def plain_props(props: dict) -> dict:
    """`props` with its kplus objects replaced by their Kubernetes JSON (the same dict when it has none)."""
    env = props.get("env")
    env_values = {k: v for k, v in env.items() if isinstance(v, kplus.EnvValue)} if isinstance(env, Mapping) else {}
    env_from = [e for e in _items(props.get("env_from")) if isinstance(e, kplus.EnvFrom)]
    volumes = [v for v in _items(props.get("volumes")) if isinstance(v, kplus.Volume)]
    account = props.get("service_account")
    account = account if account is not None and not isinstance(account, ServiceAccount) and _is_jsii(account) else None
    pull_secrets = props.get("image_pull_secrets")
    if pull_secrets and any(_is_jsii(s) for s in _items(pull_secrets)):  # kplus.ISecret: used by name
        props = {**props, "image_pull_secrets": [s.name if _is_jsii(s) else s for s in pull_secrets]}
    if not (env_values or env_from or volumes or account):
        return props
    pod = _scratch_pod(env_values, env_from, volumes, account)
    container = pod["containers"][0]
    out = dict(props)
    if env_values:
        written = {e["name"]: e.get("value", {"valueFrom": e.get("valueFrom")}) for e in container.get("env", [])}
        out["env"] = {k: written[k] if k in env_values else v for k, v in env.items()}
    if env_from:
        written_from = iter(container.get("envFrom", []))
        out["env_from"] = [next(written_from) if isinstance(e, kplus.EnvFrom) else e for e in props["env_from"]]
    if volumes:
        by_name = {v["name"]: v for v in pod.get("volumes", [])}
        out["volumes"] = [by_name[v.name] if isinstance(v, kplus.Volume) else v for v in props["volumes"]]
    if account:
        out["service_account"] = ServiceAccount(name=pod["serviceAccountName"])
    return out


def _is_jsii(value) -> bool:
    return hasattr(value, "__jsii_ref__")


def _items(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _scratch_pod(env: dict, env_from: list, volumes: list, account) -> dict:
    """The pod spec kplus writes for these objects."""
    chart = cdk8s.Chart(cdk8s.App(), "scratch")
    container = kplus.ContainerProps(image=SCRATCH_IMAGE, env_variables=env or None, env_from=env_from or None)
    pod = kplus.Pod(chart, "pod", containers=[container], volumes=volumes or None, service_account=account)
    return cdk8s.ApiObject.of(pod).to_json()["spec"]
