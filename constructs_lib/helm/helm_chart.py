"""The Helm chart of one model: every file as bytes, ready to write or package."""

from __future__ import annotations

import json

from .. import fast_yaml
from ..constructs.bindings import Bound, Raw, app_values_expr
from ..spec import extra_objects
from ..spec.model import ChartModel
from .chart_readme import chart_readme
from .helm_templates import SharedBlocks, render_template, scalar
from .helm_validation import validation_template
from .object_shapes import AppTemplate, fold

HELMIGNORE = "\n".join([".DS_Store", ".git/", ".gitignore", "*.swp", "*.bak", "*.tmp", "*.orig", "*~", ""])
VALUES_HEADER = """\
# Default values of {name} {version}, generated from {source}.
# Change them per install with -f/--set; change {what}
# and regenerate. values.schema.json documents and checks every key.
"""


def dump_yaml(data) -> str:
    """Block YAML (keys in order, unicode kept, YAML 1.1 lookalikes double-quoted), written by fast_yaml."""
    return fast_yaml.dump(data)


def chart_files(model: ChartModel, objects: list[tuple[dict, Bound]]) -> dict[str, bytes]:
    """Relative path → content for the chart directory (sorted, deterministic)."""
    files = {
        "Chart.yaml": dump_yaml(chart_yaml(model)),
        "values.yaml": VALUES_HEADER.format(
            name=model.name,
            version=model.version,
            source=model.generated_from,
            what="the composition" if model.composition else "`type`, apps and features in the spec",
        )
        + dump_yaml(model.values),
        "values.schema.json": json.dumps(model.schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        ".helmignore": HELMIGNORE,
        "README.md": chart_readme(model),
        "templates/NOTES.txt": notes(model),
        "templates/validate.yaml": validation_template(model),
        extra_objects.TEMPLATE: extra_objects.TEMPLATE_TEXT,
    }
    preamble = ["{{- $global := .Values.global }}"]
    if model.ingress:
        preamble.append("{{- $ingress := .Values.ingress }}")
    if model.gateway:
        preamble.append("{{- $gateway := .Values.gateway }}")
    release = release_bindings(model)
    without_namespace = {path: binding for path, binding in release.items() if path != ("metadata", "namespace")}
    shared = SharedBlocks(model.name)
    app_templates = []
    for obj, bound in objects:
        own = list(preamble)
        if bound.app_key:
            own.append(f"{{{{- $app := {app_values_expr(model.domain, bound.app_key)} }}}}")
        path = f"templates/{bound.template}"
        files[path] = render_template(
            obj,
            bound,
            own,
            release if bound.namespaced else without_namespace,
            shared if bound.app_key else None,  # a chart-level object exists once: nothing to share
        )
        if bound.app_key:
            app_templates.append(AppTemplate(path, files[path], bound.app_key, bound.kind))
    if shared.names:
        files["templates/_helpers.tpl"] = shared.helpers()
    folded, shapes = fold(model.name, app_templates)
    files.update(folded)
    if shapes:
        files["templates/_shapes.tpl"] = shapes
    return {path: text.encode() for path, text in sorted(files.items())}


def chart_yaml(model: ChartModel) -> dict:
    chart = {
        "apiVersion": "v2",
        "name": model.name,
        "description": model.description,
        "type": "application",
        "version": model.version,
        "appVersion": model.app_version,
    }
    if not model.app_version:  # a composition built without one: .Chart.AppVersion stays ""
        del chart["appVersion"]
    return chart


def release_bindings(model: ChartModel) -> dict:
    """Release-dependent metadata the synth cannot know: namespace and Helm's labels."""
    chart_label = f"{model.name}-{model.version}".replace("+", "_")
    return {
        ("metadata", "namespace"): Raw(("namespace: {{ .Release.Namespace | toJson }}",)),
        ("metadata", "labels", "app.kubernetes.io/instance"): Raw(("app.kubernetes.io/instance: {{ .Release.Name | toJson }}",)),
        ("metadata", "labels", "app.kubernetes.io/managed-by"): Raw(("app.kubernetes.io/managed-by: {{ .Release.Service | toJson }}",)),
        ("metadata", "labels", "helm.sh/chart"): Raw((f"helm.sh/chart: {scalar(chart_label)}",)),
    }


def notes(model: ChartModel) -> str:
    lines = [
        "{{ .Chart.Name }} {{ .Chart.Version }} is installed as release {{ .Release.Name }} in namespace {{ .Release.Namespace }}.",
        "",
    ]
    apis = model.api_apps
    if apis:
        lines.append("Reach the APIs:")
    for app in apis:
        lines += [
            f"{{{{- with {app_values_expr(model.domain, app.key)} }}}}{{{{ if .enabled }}}}",
            f"  {app.key}: kubectl -n {{{{ $.Release.Namespace }}}} port-forward svc/{app.names.service} {{{{ .port }}}}:http",
        ]
        if "ingress" in app.values and model.ingress:
            lines.append(
                "{{- if and $.Values.ingress.enabled .ingress.enabled }}"
                '{{ printf "\\n    via the Ingress: %s%s%s" (ternary "https://" "http://" $.Values.ingress.tls.enabled)'
                ' ($.Values.ingress.host | default "<ingress address>") .ingress.path }}{{ end }}'
            )
        lines.append("{{- end }}{{ end }}")
    processors = [a.key for a in model.apps if a.type != "api"]
    if processors:
        lines += ["", f"Workers and jobs: {', '.join(processors)}"]
    return "\n".join(lines) + "\n"
