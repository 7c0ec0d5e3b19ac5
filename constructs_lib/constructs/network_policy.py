"""OptionalNetworkPolicy: ingress to an app's pods denied except from the peers it needs.

Allowed in: pods of the same chart (apis: they have a Service the chart's other apps
call), the ingress controller on the `http` port (apis routed from the chart's
Ingress), the metrics scraper on the `metrics` port, and the values' own rules. A
processor or job without a Service gets none of the first two: no ingress at all.
Egress stays open until the values list rules; then DNS (kube-dns in kube-system) and
pods of the same chart stay reachable besides them. Peers given empty allow nobody
(an empty `from` would allow everyone, so such a rule is left out).
"""

from __future__ import annotations

import json

from constructs import Construct

from ..spec.defaults import NETWORK_POLICY_DEFAULTS
from ..spec.model import App, ChartContext, ChartModel
from ..spec.naming import API, dashed
from .bindings import Raw
from .labels import app_labels, selector_labels
from .optional import OptionalObject
from .pod_bindings import METRICS_PORT_NAME

PART_OF = "app.kubernetes.io/part-of"
PEER_PORTS = (("ingressFrom", "http"), ("metricsFrom", "metrics"))  # chart-level peers and the port each reaches
DNS = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
}
POLICY_TYPE_LINES = (
    "policyTypes:",
    "  - Ingress",
    "{{- if $app.networkPolicy.egress }}",
    "  - Egress",
    "{{- end }}",
)


def _same_chart(chart: ChartContext | ChartModel) -> list[dict]:
    return [{"podSelector": {"matchLabels": {PART_OF: chart.name}}}]


def port_rule(peers: list, port: str) -> dict:
    return {"from": peers, "ports": [{"port": port, "protocol": "TCP"}]}


def _routed(chart: ChartContext | ChartModel, app: App) -> bool:
    """On the chart's Ingress: the app's path is on and so is the Ingress (when the chart has one)."""
    ingress = getattr(chart, "ingress", None)
    return app.feature_on("ingress") and (ingress is None or ingress["enabled"])


def network_policy_spec(chart: ChartContext | ChartModel, app: App, peers: dict) -> dict:
    """The NetworkPolicy spec the template computes with the lines below."""
    own = app.values["networkPolicy"]
    ingress = [{"from": _same_chart(chart)}] if app.type == API else []
    if _routed(chart, app) and peers["ingressFrom"]:
        ingress.append(port_rule(peers["ingressFrom"], "http"))
    if app.feature_on("metrics") and peers["metricsFrom"]:
        ingress.append(port_rule(peers["metricsFrom"], app.metrics_port_name))
    ingress += own["ingress"]
    spec: dict = {"podSelector": {"matchLabels": selector_labels(app)}, "policyTypes": ["Ingress"]}
    if ingress:
        spec["ingress"] = ingress
    if own["egress"]:
        spec["policyTypes"].append("Egress")
        spec["egress"] = [DNS, {"to": _same_chart(chart)}, *own["egress"]]
    return spec


def _literal(value: list) -> str:
    """A list literal in a template expression."""
    return f"(fromJsonArray {json.dumps(json.dumps(value))})"


def _ingress_lines(chart: ChartContext | ChartModel, app: App) -> tuple[str, ...]:
    lines = ["{{- $rules := list }}"]
    if app.type == API:
        lines.append(f'{{{{- $rules = append $rules (dict "from" {_literal(_same_chart(chart))}) }}}}')
    port_rule = '(dict "from" $netpol.{peers} "ports" (list (dict "port" {port} "protocol" "TCP")))'
    if "ingress" in app.values:
        rule = port_rule.format(peers="ingressFrom", port='"http"')
        when = "and $ingress.enabled $app.ingress.enabled $netpol.ingressFrom"
        lines.append(f"{{{{- if {when} }}}}{{{{ $rules = append $rules {rule} }}}}{{{{ end }}}}")
    if "metrics" in app.values:
        rule = port_rule.format(peers="metricsFrom", port=METRICS_PORT_NAME if app.has_health else '"metrics"')
        lines.append(f"{{{{- if and $app.metrics.enabled $netpol.metricsFrom }}}}{{{{ $rules = append $rules {rule} }}}}{{{{ end }}}}")
    return (
        *lines,
        "{{- $rules = concat $rules $app.networkPolicy.ingress }}",
        "{{- with $rules }}",
        "ingress: {{- toYaml . | nindent @CHILD@ }}",
        "{{- end }}",
    )


def _egress_lines(chart: ChartContext | ChartModel) -> tuple[str, ...]:
    always = [DNS, {"to": _same_chart(chart)}]
    return (
        "{{- with $app.networkPolicy.egress }}",
        f"egress: {{{{- toYaml (concat {_literal(always)} .) | nindent @CHILD@ }}}}",
        "{{- end }}",
    )


class OptionalNetworkPolicy(OptionalObject):
    """A NetworkPolicy for `target` (any service construct built with a `network_policy`
    prop). `ingress_from` and `metrics_from` are the NetworkPolicyPeers of the ingress
    controller and the metrics scraper; default: the chart's `networkPolicy` values in a
    DomainChart, else the ingress-nginx and monitoring namespaces."""

    BLOCK = "networkPolicy"
    JOBS_TOO = True

    def __init__(self, scope: Construct, id: str, *, target, ingress_from: list | None = None, metrics_from: list | None = None):
        super().__init__(scope, id, target=target, ingress_from=ingress_from, metrics_from=metrics_from)

    def build(self, app: App, chart: ChartContext, ingress_from: list | None = None, metrics_from: list | None = None) -> None:
        shared = (getattr(chart, "values", None) or {}).get("networkPolicy", NETWORK_POLICY_DEFAULTS)
        self.peers = peers = {
            "ingressFrom": shared["ingressFrom"] if ingress_from is None else list(ingress_from),
            "metricsFrom": shared["metricsFrom"] if metrics_from is None else list(metrics_from),
        }
        self.network_policy = self.add_object(
            "netpol",
            "networking.k8s.io/v1",
            "NetworkPolicy",
            {"metadata": {"name": app.names.netpol, "labels": app_labels(chart, app)}, "spec": network_policy_spec(chart, app, peers)},
            template=f"{dashed(app.key)}-networkpolicy.yaml",
            app_key=app.key,
            guard="and $app.enabled $app.networkPolicy.enabled",
            bindings={
                ("spec", "policyTypes"): Raw(POLICY_TYPE_LINES),
                ("spec", "ingress"): Raw(_ingress_lines(chart, app)),
                ("spec", "egress"): Raw(_egress_lines(chart)),
            },
            variables={"netpol": ".Values.networkPolicy"},
        )
