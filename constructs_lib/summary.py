"""What the CLI tells a person after a run: per chart, its apps with their type and
how it was decided, its objects by kind and the paths written."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .spec.model import App, ChartModel
from .spec.naming import FALLBACK, dashed
from .spec.parse import DEFAULT_REGISTRY


def chart_summary(model: ChartModel, objects: list[dict], paths: list[Path]) -> list[str]:
    lines = [f"{model.name} {model.version} ({shown(Path(model.source))}: charts.{model.key})"]
    width = max(len(app.key) for app in model.apps)
    for app in model.apps:
        note = app.type_reason
        unrouted = [key for key in ("ingress", "gateway") if key in app.values and not app.values[key]["enabled"]]
        if app.type_reason == FALLBACK and unrouted:
            note += f"; not routed unless asked ({', '.join(f'{key}.enabled' for key in unrouted)})"
        if not app.enabled:
            note += "; disabled"
        lines.append(f"  {app.key:<{width}}  {app.type:<9}  {note}")
    kinds = Counter(obj["kind"] for obj in objects)
    lines.append("  objects: " + ", ".join(f"{count} {kind}" for kind, count in kinds.items()))
    lines += [f"  wrote {shown(path)}{'/' if path.is_dir() else ''}" for path in paths]
    return lines


def shown(path: Path) -> str:
    """A path as a person would type it here: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def placeholder_image(model: ChartModel, app: App) -> str:
    """The repository an app gets when neither image_registry nor its image is written."""
    return f"{DEFAULT_REGISTRY}/{dashed(model.domain)}-{dashed(app.key)}"


def placeholder_registry_warning(models: list[ChartModel]) -> str | None:
    """One line naming the spec files whose images come from the placeholder registry."""
    files = sorted({shown(Path(m.source)) for m in models if any(a.values["image"]["repository"] == placeholder_image(m, a) for a in m.apps)})
    if not files:
        return None
    return f"warning: {', '.join(files)}: images come from {DEFAULT_REGISTRY}, a placeholder; set image_registry (or each app's image)"
