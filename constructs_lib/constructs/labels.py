"""Labels: minimal, release-independent selectors plus the standard app.kubernetes.io set."""

from __future__ import annotations

from ..spec.model import App, ChartContext, ChartModel

APP_KEY_LABEL = "enhanced-helm-charts/app"  # the app's name as the user wrote it
NAME_LABEL = "app.kubernetes.io/name"


def selector_labels(app: App) -> dict[str, str]:
    """One label, unique per workload, never dependent on the release: selectors are immutable."""
    return {NAME_LABEL: app.names.workload}


def app_labels(chart: ChartContext | ChartModel, app: App) -> dict[str, str]:
    return {
        **selector_labels(app),
        "app.kubernetes.io/component": app.type,
        "app.kubernetes.io/part-of": chart.name,
        APP_KEY_LABEL: app.key,
    }


def chart_labels(chart: ChartModel, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/component": component, "app.kubernetes.io/part-of": chart.name}
