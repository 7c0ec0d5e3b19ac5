"""templates/validate.yaml: the cross-field rules of rules.py, enforced at install time.

JSON Schema cannot compare two fields, so these call `fail` with a message
naming the key, the same message the generator gives for the same mistake.
"""

from __future__ import annotations

import re

from ..spec import rules
from ..spec.model import ChartModel
from ..spec.schema import PROBE_HANDLERS


def _go(message: str) -> str:
    """A rules message with its {fields} as printf verbs."""
    return re.sub(r"\{\w+\}", "%v", message)


def _fail(key: str, message: str, *args: str) -> str:
    text = f"{key}: {_go(message)}"
    if args:
        return f'{{{{ fail (printf "{text}" {" ".join(args)}) }}}}'
    return f'{{{{ fail "{text}" }}}}'


def _quantity(var: str, expr: str) -> list[str]:
    """Template lines setting `$var` to the float value of a Kubernetes quantity."""
    return [
        f"{{{{- $q := toString {expr} }}}}",
        '{{- $unit := regexFind "[a-zA-Z]+$" $q }}',
        f"{{{{- ${var} := mulf (trimSuffix $unit $q | float64) (get $factors $unit) }}}}",
    ]


def _autoscaling_and_pdb_rules() -> list[str]:
    """rules.cross_field_problems for HPA bounds and PDBs, inside the loop over apps."""
    pdb_key = "%v.podDisruptionBudget"
    return [
        '{{- if and (hasKey $app "autoscaling") (gt (int $app.autoscaling.minReplicas) (int $app.autoscaling.maxReplicas)) }}'
        + _fail("%v.autoscaling.minReplicas", rules.MIN_OVER_MAX, "$where")
        + "{{ end }}",
        "{{- $pdb := $app.podDisruptionBudget | default dict }}",
        "{{- if and $app.enabled $pdb.enabled }}",
        '{{- if and (hasKey $pdb "minAvailable") (hasKey $pdb "maxUnavailable") }}'
        + _fail(f"{pdb_key}.minAvailable", rules.BOTH_BOUNDS, "$where")
        + "{{ end }}",
        "{{- $floor := int $app.replicas }}",
        '{{- if and (hasKey $app "autoscaling") $app.autoscaling.enabled }}{{ $floor = int $app.autoscaling.minReplicas }}{{ end }}',
        '{{- if and (hasKey $pdb "minAvailable") (gt $floor 0) }}',
        "{{- $pods := $pdb.minAvailable }}",
        '{{- if kindIs "string" $pods }}{{ $pods = ceil (divf (mulf (trimSuffix "%" $pods | float64) $floor) 100) }}{{ end }}',
        "{{- if ge (int $pods) $floor }}"
        + _fail(f"{pdb_key}.minAvailable", rules.BLOCKING_MIN, "$where", "$pdb.minAvailable", "$floor")
        + "{{ end }}",
        "{{- end }}",
        '{{- if and (hasKey $pdb "maxUnavailable") (has (toString $pdb.maxUnavailable) (list "0" "0%")) }}'
        + _fail(f"{pdb_key}.maxUnavailable", rules.BLOCKING_MAX, "$where")
        + "{{ end }}",
        "{{- end }}",
    ]


def _pod_rules() -> list[str]:
    """rules._pod_problems: volumes, mounts and pod labels, inside the loop over enabled apps."""
    own_volumes = " ".join(f'"{v}"' for v in rules.OWN_VOLUMES)
    own_labels = " ".join(f'"{v}"' for v in rules.OWN_POD_LABELS)
    handlers = " ".join(f'"{h}"' for h in PROBE_HANDLERS)
    more = " ".join(f'"{k}"' for k in rules.MORE_CONTAINERS)
    return [
        "{{- $volumes := dict }}",
        "{{- range $i, $v := $app.volumes }}",
        f"{{{{- if has $v.name (list {own_volumes}) }}}}"
        + _fail("%v.volumes[%v].name", rules.RESERVED_VOLUME, "$where", "$i", "$v.name")
        + "{{ end }}",
        "{{- if hasKey $volumes $v.name }}" + _fail("%v.volumes[%v].name", rules.DUPLICATE_VOLUME, "$where", "$i", "$v.name") + "{{ end }}",
        '{{- $_ := set $volumes $v.name "" }}',
        "{{- end }}",
        '{{- $_ := set $volumes "tmp" "" }}',
        '{{- $paths := dict "/tmp" "" }}',
        '{{- if hasKey $app "configFiles" }}{{ $_ := set $volumes "config" "" }}{{ $_ := set $paths $app.configMountPath "" }}{{ end }}',
        "{{- range $i, $m := $app.volumeMounts }}",
        "{{- if not (hasKey $volumes $m.name) }}" + _fail("%v.volumeMounts[%v].name", rules.UNKNOWN_VOLUME, "$where", "$i", "$m.name") + "{{ end }}",
        "{{- if hasKey $paths $m.mountPath }}"
        + _fail("%v.volumeMounts[%v].mountPath", rules.DUPLICATE_MOUNT, "$where", "$i", "$m.mountPath")
        + "{{ end }}",
        '{{- $_ := set $paths $m.mountPath "" }}',
        "{{- end }}",
        '{{- $containers := dict "app" "" }}',
        f"{{{{- range $key := list {more} }}}}",
        "{{- range $i, $c := index $app $key | default list }}",
        "{{- if hasKey $containers $c.name }}" + _fail("%v.%v[%v].name", rules.DUPLICATE_CONTAINER, "$where", "$key", "$i", "$c.name") + "{{ end }}",
        '{{- $_ := set $containers $c.name "" }}',
        "{{- range $j, $m := $c.volumeMounts }}{{ if not (hasKey $volumes $m.name) }}"
        + _fail("%v.%v[%v].volumeMounts[%v].name", rules.UNKNOWN_VOLUME, "$where", "$key", "$i", "$j", "$m.name")
        + "{{ end }}{{ end }}",
        "{{- end }}",
        "{{- end }}",
        '{{- range $name, $probe := $app.probes }}{{ if kindIs "map" $probe }}',
        f"{{{{- $handlers := pick $probe {handlers} | keys }}}}",
        "{{- if gt (len $handlers) 1 }}" + _fail("%v.probes.%v", rules.TWO_HANDLERS, "$where", "$name") + "{{ end }}",
        '{{- if and (not $handlers) (not (hasKey $app "healthPath")) }}' + _fail("%v.probes.%v", rules.NO_HANDLER, "$where", "$name") + "{{ end }}",
        '{{- if and (hasKey $probe "httpGet") (not (hasKey $probe.httpGet "port")) (not (hasKey $app "healthPath")) }}'
        + _fail("%v.probes.%v.httpGet", rules.NO_PORT, "$where", "$name")
        + "{{ end }}",
        "{{- end }}{{ end }}",
        '{{- $names := dict "http" "" "metrics" "" }}',
        "{{- $numbers := dict }}",
        '{{- if hasKey $app "port" }}{{ $_ := set $numbers (printf "%v/TCP" $app.port) "" }}{{ end }}',
        '{{- if hasKey $app "metrics" }}{{ $_ := set $numbers (printf "%v/TCP" $app.metrics.port) "" }}{{ end }}',
        "{{- range $i, $p := $app.ports }}",
        '{{- $number := printf "%v/%v" $p.port ($p.protocol | default "TCP") }}',
        "{{- if hasKey $names $p.name }}"
        + _fail("%v.ports[%v].name", rules.DUPLICATE_PORT_NAME, "$where", "$i", "$p.name")
        + "{{ else if hasKey $numbers $number }}"
        + _fail("%v.ports[%v].port", rules.DUPLICATE_PORT, "$where", "$i", "$p.port", '($p.protocol | default "TCP")')
        + "{{ end }}",
        '{{- $_ := set $names $p.name "" }}{{ $_ := set $numbers $number "" }}',
        "{{- end }}",
        "{{- range $key, $_ := $app.podLabels }}",
        f"{{{{- if has $key (list {own_labels}) }}}}" + _fail("%v.podLabels.%v", rules.RESERVED_LABEL, "$where", "$key", "$key") + "{{ end }}",
        "{{- end }}",
    ]


def _app_rules(chart: ChartModel) -> list[str]:
    """rules.app_problems for every enabled app, as one loop."""
    factors = " ".join(f'"{k}" {float(v)!r}' for k, v in rules.QUANTITY_FACTORS.items())
    where = f'printf "{chart.domain}.apps.%s" $key'
    return [
        f"{{{{- $factors := dict {factors} }}}}",
        f'{{{{- range $key, $app := index .Values "{chart.domain}" "apps" }}}}',
        f"{{{{- $where := {where} }}}}",
        *_autoscaling_and_pdb_rules(),
        "{{- if $app.enabled }}",
        "{{- $limits := $app.resources.limits | default dict }}",
        "{{- range $name, $request := $app.resources.requests | default dict }}",
        "{{- if hasKey $limits $name }}",
        *_quantity("req", "$request"),
        *_quantity("lim", "(get $limits $name)"),
        f"{{{{- if gt $req (mulf $lim {rules.QUANTITY_SLACK!r}) }}}}"
        + _fail("%v.resources.requests.%v", rules.REQUEST_OVER_LIMIT, "$where", "$name", "$request", "(get $limits $name)")
        + "{{ end }}",
        "{{- end }}",
        "{{- end }}",
        "{{- $sc := $app.securityContext }}",
        "{{- $added := ($sc.capabilities | default dict).add | default list }}",
        '{{- if and (or $sc.privileged (has "CAP_SYS_ADMIN" $added)) (hasKey $sc "allowPrivilegeEscalation") (not $sc.allowPrivilegeEscalation) }}'
        + _fail("%v.securityContext.allowPrivilegeEscalation", rules.ESCALATION_NEEDED, "$where")
        + "{{ end }}",
        "{{- range $i, $t := $app.tolerations }}",
        '{{- $operator := $t.operator | default "Equal" }}',
        '{{- if and (eq $operator "Exists") $t.value }}' + _fail("%v.tolerations[%v].value", rules.EXISTS_WITH_VALUE, "$where", "$i") + "{{ end }}",
        '{{- if and (eq $operator "Equal") (not $t.key) }}' + _fail("%v.tolerations[%v].key", rules.EQUAL_WITHOUT_KEY, "$where", "$i") + "{{ end }}",
        '{{- if and (hasKey $t "tolerationSeconds") (ne ($t.effect | default "") "NoExecute") }}'
        + _fail("%v.tolerations[%v].tolerationSeconds", rules.SECONDS_WITHOUT_NOEXECUTE, "$where", "$i")
        + "{{ end }}",
        "{{- end }}",
        *_pod_rules(),
        "{{- end }}",
        "{{- end }}",
    ]


def validation_template(chart: ChartModel) -> str:
    lines = ["{{- /* Cross-field rules that values.schema.json cannot express. */}}", *_app_rules(chart)]
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
    if chart.gateway:
        routed = " ".join(f'"{a.key}"' for a in chart.api_apps if "gateway" in a.values)
        lines += [
            "{{- if .Values.gateway.enabled }}",
            "{{- if not .Values.gateway.parentRefs }}" + _fail("gateway.parentRefs", rules.NO_PARENT) + "{{ end }}",
            "{{- $paths := dict }}",
            f'{{{{- $apps := index .Values "{chart.domain}" "apps" }}}}',
            f"{{{{- range $key := list {routed} }}}}",
            "{{- $a := index $apps $key }}",
            '{{- if and $a.enabled $a.gateway.enabled (eq $a.gateway.kind "HTTPRoute") }}',
            "{{- if hasKey $paths $a.gateway.path }}"
            + _fail(f"{chart.domain}.apps.%v.gateway.path", rules.DUPLICATE_PATH, "$key", "$a.gateway.path", "(get $paths $a.gateway.path)")
            + "{{ end }}",
            "{{- $_ := set $paths $a.gateway.path $key }}",
            "{{- end }}",
            "{{- end }}",
            "{{- end }}",
        ]
    return "\n".join(lines) + "\n"
