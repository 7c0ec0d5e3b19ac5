"""DomainRoutes: the chart's Gateway API routes, beside (or instead of) its Ingress.

One HTTPRoute `{domain}-{chart}-route` with a rule per api app routed by path, and one
GRPCRoute `{domain}-{chart}-grpcroute` with a rule per api app routed by gRPC service
and method. The routes attach to Gateways the platform team owns (`gateway.parentRefs`);
TLS belongs to those Gateways. The classes come from `cdk8s import` of the Gateway API
CRDs (scripts/import-crds.sh), imported on first use: loading them costs 0.4 s.
"""

from __future__ import annotations

import importlib

from constructs import Construct

from ..spec.model import App, ChartModel
from ..spec.schema import HTTP_ROUTE as HTTP
from .bindings import BoundConstruct, Raw, Value, WithValue, app_values_expr
from .labels import chart_labels
from .props import snake


def _classes():
    return importlib.import_module(".._imports.io.k8s.networking.gateway", __package__)


def routed(app: App, kind: str) -> bool:
    """Whether the app has a rule on the route of this kind with the current values."""
    route = app.values.get("gateway")
    return app.enabled and bool(route) and route["enabled"] and route["kind"] == kind


def routed_apps(chart: ChartModel, kind: str) -> list[App]:
    return [a for a in chart.api_apps if routed(a, kind)]


def _port(app: App) -> int:
    return app.values["gateway"].get("port", app.values["port"])


def _http_rule(g, app: App):
    route = app.values["gateway"]
    path = g.HttpRouteSpecRulesMatchesPath(type=g.HttpRouteSpecRulesMatchesPathType[_enum(route["pathType"])], value=route["path"])
    return g.HttpRouteSpecRules(
        backend_refs=[g.HttpRouteSpecRulesBackendRefs(name=app.names.service, port=_port(app))],
        matches=[g.HttpRouteSpecRulesMatches(path=path)],
    )


def _grpc_rule(g, app: App):
    route = app.values["gateway"]
    method = {key: route[key] for key in ("service", "method") if route.get(key)}
    return g.GrpcRouteSpecRules(
        backend_refs=[g.GrpcRouteSpecRulesBackendRefs(name=app.names.service, port=_port(app))],
        matches=[g.GrpcRouteSpecRulesMatches(method=g.GrpcRouteSpecRulesMatchesMethod(**method))] if method else None,
    )


def _enum(value: str) -> str:
    """PathPrefix → PATH_PREFIX, the generated enum's member name."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(value)).upper()


def _rule_lines(var: str, app: App, kind: str) -> tuple[str, ...]:
    """One app's rule under `rules:`, rendered from its values while this kind routes it."""
    when = f'and {var}.enabled {var}.gateway.enabled (eq {var}.gateway.kind "{kind}")'
    backend = (
        "  - backendRefs:",
        f'      - name: "{app.names.service}"',
        f"        port: {{{{ {var}.gateway.port | default {var}.port | toJson }}}}",
    )
    if kind == HTTP:
        matches = (
            "    matches:",
            "      - path:",
            f"          type: {{{{ {var}.gateway.pathType | toJson }}}}",
            f"          value: {{{{ {var}.gateway.path | toJson }}}}",
        )
    else:  # no service and no method: every call
        matches = (
            f"    {{{{- if or {var}.gateway.service {var}.gateway.method }}}}",
            "    matches:",
            "      - method:",
            f"          {{{{- with {var}.gateway.method }}}}",
            "          method: {{ toJson . }}",
            "          {{- end }}",
            f"          {{{{- with {var}.gateway.service }}}}",
            "          service: {{ toJson . }}",
            "          {{- end }}",
            "    {{- end }}",
        )
    return (f"{{{{- if {when} }}}}", *backend, *matches, "{{- end }}")


class DomainRoutes(BoundConstruct):
    """The chart's route of one kind (HTTPRoute or GRPCRoute), from the apps' `gateway` blocks."""

    def __init__(self, scope: Construct, id: str, *, chart: ChartModel, kind: str):
        super().__init__(scope, id)
        g = _classes()
        settings = chart.gateway
        apps = [a for a in chart.api_apps if "gateway" in a.values]
        variables = {f"a{i}": app_values_expr(chart.domain, a.key) for i, a in enumerate(apps)}
        rule_lines = ["rules:"]
        for var, app in zip(variables, apps, strict=True):
            rule_lines += _rule_lines(f"${var}", app, kind)
        cls, spec, parent, rule = (
            (g.HttpRoute, g.HttpRouteSpec, g.HttpRouteSpecParentRefs, _http_rule)
            if kind == HTTP
            else (g.GrpcRoute, g.GrpcRouteSpec, g.GrpcRouteSpecParentRefs, _grpc_rule)
        )
        metadata = {"name": chart.route_name(kind), "labels": chart_labels(chart, "gateway")}
        if settings["annotations"]:
            metadata["annotations"] = settings["annotations"]
        self.route = cls(
            self,
            "route",
            metadata=metadata,
            spec=spec(
                parent_refs=[parent(**{snake(k): v for k, v in ref.items()}) for ref in settings["parentRefs"]] or None,
                hostnames=settings["hostnames"] or None,
                rules=[rule(g, a) for a in routed_apps(chart, kind)],
            ),
        )
        any_routed = " ".join(f'(and ${v}.enabled ${v}.gateway.enabled (eq ${v}.gateway.kind "{kind}"))' for v in variables)
        self.record(
            self.route,
            kind,
            chart.route_name(kind),
            template=f"{kind.lower()}.yaml",
            app_key=None,
            guard=f"and $gateway.enabled (or {any_routed})",
            variables=variables,
            bindings={
                ("metadata", "annotations"): WithValue("$gateway.annotations"),
                ("spec", "parentRefs"): Value("$gateway.parentRefs"),
                ("spec", "hostnames"): WithValue("$gateway.hostnames"),
                ("spec", "rules"): Raw(tuple(rule_lines)),
            },
        )
