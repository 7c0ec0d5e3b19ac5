"""templates/validate.yaml: the cross-field rules of rules.py, enforced at install time.

JSON Schema cannot compare two fields, so these call `fail` with a message
naming the key, the same message the generator gives for the same mistake.
"""

from __future__ import annotations

import re

from . import rules
from .bindings import app_values_expr
from .model import ChartModel


def _go(message: str) -> str:
    """A rules message with its {fields} as printf verbs."""
    return re.sub(r"\{\w+\}", "%v", message)


def _fail(key: str, message: str, *args: str) -> str:
    text = f"{key}: {_go(message)}"
    if args:
        return f'{{{{ fail (printf "{text}" {" ".join(args)}) }}}}'
    return f'{{{{ fail "{text}" }}}}'


def validation_template(chart: ChartModel) -> str:
    lines = ["{{- /* Cross-field rules that values.schema.json cannot express. */}}"]
    for app in chart.apps:
        key = f"{chart.domain}.apps.{app.key}"
        has_pdb, has_hpa = "podDisruptionBudget" in app.values, "autoscaling" in app.values
        if not (has_pdb or has_hpa):
            continue
        lines.append(f"{{{{- $app := {app_values_expr(chart.domain, app.key)} }}}}")
        if has_hpa:
            lines.append(
                "{{- if gt (int $app.autoscaling.minReplicas) (int $app.autoscaling.maxReplicas) }}"
                + _fail(f"{key}.autoscaling.minReplicas", rules.MIN_OVER_MAX)
                + "{{ end }}"
            )
        if has_pdb:
            floor = "(ternary $app.autoscaling.minReplicas $app.replicas $app.autoscaling.enabled)" if has_hpa else "$app.replicas"
            pdb_key = f"{key}.podDisruptionBudget"
            lines += [
                "{{- $pdb := $app.podDisruptionBudget }}",
                "{{- if and $app.enabled $pdb.enabled }}",
                '{{- if and (hasKey $pdb "minAvailable") (hasKey $pdb "maxUnavailable") }}'
                + _fail(f"{pdb_key}.minAvailable", rules.BOTH_BOUNDS)
                + "{{ end }}",
                f"{{{{- $floor := int {floor} }}}}",
                '{{- if and (hasKey $pdb "minAvailable") (gt $floor 0) }}',
                "{{- $pods := $pdb.minAvailable }}",
                '{{- if kindIs "string" $pods }}{{ $pods = ceil (divf (mulf (trimSuffix "%" $pods | float64) $floor) 100) }}{{ end }}',
                "{{- if ge (int $pods) $floor }}" + _fail(f"{pdb_key}.minAvailable", rules.BLOCKING_MIN, "$pdb.minAvailable", "$floor") + "{{ end }}",
                "{{- end }}",
                '{{- if and (hasKey $pdb "maxUnavailable") (has (toString $pdb.maxUnavailable) (list "0" "0%")) }}'
                + _fail(f"{pdb_key}.maxUnavailable", rules.BLOCKING_MAX)
                + "{{ end }}",
                "{{- end }}",
            ]
    if chart.ingress:
        routed = [a for a in chart.api_apps if "ingress" in a.values]
        names = " ".join(f'"{a.key}"' for a in routed)
        lines += [
            "{{- if .Values.ingress.enabled }}",
            "{{- $paths := dict }}",
            f'{{{{- $apps := index .Values "{chart.domain}" "apps" }}}}',
            f"{{{{- range $key := list {names} }}}}",
            "{{- $a := index $apps $key }}",
            "{{- if and $a.enabled $a.ingress.enabled }}",
            "{{- if hasKey $paths $a.ingress.path }}"
            + _fail(f"{chart.domain}.apps.%v.ingress.path", rules.DUPLICATE_PATH, "$key", "$a.ingress.path", "(get $paths $a.ingress.path)")
            + "{{ end }}",
            "{{- $_ := set $paths $a.ingress.path $key }}",
            "{{- end }}",
            "{{- end }}",
            "{{- if and .Values.ingress.tls.enabled (not .Values.ingress.tls.configs) }}"
            + _fail("ingress.tls.configs", rules.TLS_WITHOUT_CONFIG)
            + "{{ end }}",
            "{{- end }}",
        ]
    return "\n".join(lines) + "\n"
