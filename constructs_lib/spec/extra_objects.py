"""extraObjects: whole Kubernetes objects a chart carries as given (the chart-level escape hatch).

They come from values (`extraObjects: [...]`, settable per install) and are rendered
with `toYaml`, so text in them is data: Helm never evaluates `{{ }}` inside. At
generation each is checked against the strict Kubernetes schemas (1.29, or 1.37 for
kinds 1.29 does not have); a custom resource, which no built-in schema knows, is
checked for its shape only (apiVersion, kind, metadata.name), at install as well.
"""

from __future__ import annotations

from .errors import did_you_mean
from .model import ChartModel

TEMPLATE = "templates/extra-objects.yaml"
TEMPLATE_TEXT = """\
{{- /* extraObjects from values, as given: their text is data, never a template. */}}
{{- range .Values.extraObjects }}
---
{{ toYaml . }}
{{- end }}
"""
SCHEMA_VERSIONS = ("1.29", "1.37")  # the oldest Kubernetes the charts support, then the newest known
CLASH = "{kind} {name} is one of the chart's own objects; choose another name"


def problems(objects: list[dict], taken: set[tuple[str, str]]) -> list[tuple[tuple, str]]:
    """(path under extraObjects, message) for each object the API server or the chart would refuse."""
    import kubernetes_validate  # 100 MB of schemas: loaded only for charts that have extra objects

    found = []
    for index, obj in enumerate(objects):
        identity = (obj["kind"], obj["metadata"]["name"])
        if identity in taken:
            found.append(((index, "metadata", "name"), CLASH.format(kind=identity[0], name=identity[1])))
            continue
        taken.add(identity)
        for version in SCHEMA_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                continue  # not a kind of this version: the next one, else a custom resource
            except kubernetes_validate.ValidationError as error:
                path, message = _where(error)
                found.append(((index, *path), f"{message} (Kubernetes {version} schema of {obj['kind']})"))
            break
    return found


def _where(error) -> tuple[tuple, str]:
    """The path and message of a schema error; an unknown field is named itself."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        unknown = sorted(key for key in error.instance if key not in known)
        if unknown:
            return (*path, unknown[0]), f"unknown field{did_you_mean(unknown[0], known)}"
    return path, error.message


def own_identities(model: ChartModel) -> set[tuple[str, str]]:
    """(kind, name) of every object the chart itself may render."""
    taken = {("Ingress", model.ingress_name)}
    for app in model.apps:
        names = app.names
        kind = {"job": "Job", "cronjob": "CronJob"}.get(app.type, "Deployment")
        taken |= {(kind, names.workload), ("Service", names.service), ("PodDisruptionBudget", names.pdb)}
        taken |= {("HorizontalPodAutoscaler", names.hpa), ("ServiceMonitor", names.monitor), ("ConfigMap", names.config)}
        taken |= {("NetworkPolicy", names.netpol), ("ServiceAccount", app.values["serviceAccount"]["name"] or names.workload)}
    return taken
