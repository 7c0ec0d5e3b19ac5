"""OptionalServiceMonitor: a prometheus-operator ServiceMonitor for an api's metrics port
(its `http` port when metrics are served there).

The class comes from `cdk8s import` of imports/crds/servicemonitor.yaml (scripts/import-crds.sh).
"""

from __future__ import annotations

import cdk8s

from .._imports.com.coreos import monitoring
from ..spec.model import App, ChartContext
from ..spec.naming import dashed
from .bindings import Value
from .labels import app_labels, selector_labels
from .optional import OptionalObject
from .pod_bindings import METRICS_PORT_NAME

SCRAPE_INTERVAL = "30s"


class OptionalServiceMonitor(OptionalObject):
    """Scrapes the `metrics` port of `target` (an ApiService built with a `metrics` prop)
    while `metrics.enabled` is on."""

    BLOCK = "metrics"

    def build(self, app: App, chart: ChartContext) -> None:
        name = app.names.monitor
        self.monitor = monitoring.ServiceMonitor(
            self,
            "servicemonitor",
            metadata=cdk8s.ApiObjectMetadata(name=name, labels=app_labels(chart, app)),
            spec=monitoring.ServiceMonitorSpec(
                selector=monitoring.ServiceMonitorSpecSelector(match_labels=selector_labels(app)),
                endpoints=[
                    monitoring.ServiceMonitorSpecEndpoints(
                        port=app.metrics_port_name,
                        path=app.values["metrics"]["path"],
                        interval=SCRAPE_INTERVAL,
                    )
                ],
            ),
        )
        self.record(
            self.monitor,
            "ServiceMonitor",
            name,
            template=f"{dashed(app.key)}-servicemonitor.yaml",
            app_key=app.key,
            guard="and $app.enabled $app.metrics.enabled",
            bindings={
                ("spec", "endpoints", 0, "path"): Value("$app.metrics.path"),
                ("spec", "endpoints", 0, "port"): Value(METRICS_PORT_NAME),
            },
        )
