"""Rules that span several values (JSON Schema cannot compare two fields).

The same rules are written into the chart's validation template (helm_validation),
so a `--set` that breaks one fails at install time with the same message.
"""

from __future__ import annotations

from .model import ChartModel

# Messages shared with the validation template ({name} fields become %v there).
BOTH_BOUNDS = "set either minAvailable or maxUnavailable, not both"
BLOCKING_MIN = "minAvailable {value} with {floor} pod(s) would block every node drain; use a lower value or maxUnavailable"
BLOCKING_MAX = "maxUnavailable 0 would block every node drain"
MIN_OVER_MAX = "minReplicas must not exceed maxReplicas"
DUPLICATE_PATH = "path {path} is already used by app {other}"
TLS_WITHOUT_CONFIG = "tls.enabled needs at least one config"


def pdb_problem(pdb: dict, floor: int) -> tuple[str, str] | None:
    """(key, message) when a PDB would block every voluntary eviction; `floor` = fewest pods."""
    if "minAvailable" in pdb and "maxUnavailable" in pdb:
        return "minAvailable", BOTH_BOUNDS
    if "minAvailable" in pdb and floor > 0:
        value = pdb["minAvailable"]
        pods = -(-int(value[:-1]) * floor // 100) if isinstance(value, str) else value  # % rounds up
        if pods >= floor:
            return "minAvailable", BLOCKING_MIN.format(value=value, floor=floor)
    if pdb.get("maxUnavailable") in (0, "0%"):
        return "maxUnavailable", BLOCKING_MAX
    return None


def cross_field_problems(chart: ChartModel) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    seen_paths: dict[str, str] = {}
    for app in chart.apps:
        base = (chart.domain, "apps", app.key)
        values = app.values
        hpa = values.get("autoscaling")
        if hpa and hpa["minReplicas"] > hpa["maxReplicas"]:
            problems.append(((*base, "autoscaling", "minReplicas"), MIN_OVER_MAX))
        pdb = values.get("podDisruptionBudget")
        if pdb and pdb["enabled"]:
            floor = hpa["minReplicas"] if hpa and hpa["enabled"] else values["replicas"]
            found = pdb_problem(pdb, floor)
            if found:
                problems.append(((*base, "podDisruptionBudget", found[0]), found[1]))
        ingress = values.get("ingress")
        if ingress and ingress["enabled"] and app.enabled:
            path = ingress["path"]
            if path in seen_paths:
                problems.append(((*base, "ingress", "path"), DUPLICATE_PATH.format(path=path, other=seen_paths[path])))
            seen_paths[path] = app.key
    tls = (chart.ingress or {}).get("tls")
    if tls and tls["enabled"] and not tls["configs"]:
        problems.append((("ingress", "tls", "configs"), TLS_WITHOUT_CONFIG))
    return problems
