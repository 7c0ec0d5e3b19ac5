"""DomainIngress: one Ingress per chart with a path per api app."""

from __future__ import annotations

from constructs import Construct

from ..spec.model import App, ChartModel
from .bindings import BoundConstruct, Guard, Raw, Value, WithValue, app_values_expr
from .labels import chart_labels


def _path_lines(var: str, app: App) -> tuple[str, ...]:
    return (
        f"{{{{- if and {var}.enabled {var}.ingress.enabled }}}}",
        f"  - path: {{{{ {var}.ingress.path | toJson }}}}",
        f"    pathType: {{{{ {var}.ingress.pathType | toJson }}}}",
        "    backend:",
        "      service:",
        f'        name: "{app.names.service}"',
        "        port:",
        "          name: http",
        "{{- end }}",
    )


def routed_apps(chart: ChartModel) -> list[App]:
    """Api apps whose path the Ingress serves with the current values."""
    return [a for a in chart.api_apps if a.enabled and a.feature_on("ingress")]


class DomainIngress(BoundConstruct):
    """The chart's Ingress. Absent when no api app is routed (an Ingress needs a path)."""

    def __init__(self, scope: Construct, id: str, *, chart: ChartModel):
        super().__init__(scope, id)
        settings = chart.ingress
        apps = [a for a in chart.api_apps if "ingress" in a.values]
        variables = {f"a{i}": app_values_expr(chart.domain, a.key) for i, a in enumerate(apps)}
        path_lines = ["paths:"]
        for var, app in zip(variables, apps, strict=True):
            path_lines += _path_lines(f"${var}", app)
        paths = [
            {
                "path": a.values["ingress"]["path"],
                "pathType": a.values["ingress"]["pathType"],
                "backend": {"service": {"name": a.names.service, "port": {"name": "http"}}},
            }
            for a in routed_apps(chart)
        ]
        rule: dict = {"host": settings["host"]} if settings["host"] else {}  # host first, as Kubernetes documents a rule
        rule["http"] = {"paths": paths}
        spec: dict = {"ingressClassName": settings["ingressClassName"]} if settings["ingressClassName"] else {}
        spec["rules"] = [rule]
        if settings["tls"]["enabled"]:
            spec["tls"] = settings["tls"]["configs"]
        metadata = {"name": chart.ingress_name, "labels": chart_labels(chart, "ingress")}
        if settings["annotations"]:
            metadata["annotations"] = settings["annotations"]
        routed = " ".join(f"(and ${v}.enabled ${v}.ingress.enabled)" for v in variables)
        self.ingress = self.add_object(
            "ingress",
            "networking.k8s.io/v1",
            "Ingress",
            {"metadata": metadata, "spec": spec},
            template="ingress.yaml",
            app_key=None,
            guard=f"and $ingress.enabled (or {routed})",
            variables=variables,
            bindings={
                ("metadata", "annotations"): WithValue("$ingress.annotations"),
                ("spec", "ingressClassName"): WithValue("$ingress.ingressClassName", scalar=True),
                ("spec", "tls"): Guard("$ingress.tls.enabled", Value("$ingress.tls.configs")),
                ("spec", "rules", 0, "host"): WithValue("$ingress.host", scalar=True),
                ("spec", "rules", 0, "http", "paths"): Raw(tuple(path_lines)),
            },
        )
