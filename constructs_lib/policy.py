"""Policy-scanner skips that the defaults justify, as checkov.io annotations.

Each skip carries its reason; the README lists them all.
"""

from __future__ import annotations

from .model import App

SKIPS: dict[str, str] = {}


def policy_annotations(app: App) -> dict[str, str]:
    """`checkov.io/skipN: CHECK=reason` annotations for this app's workload."""
    skips = dict(SKIPS)
    return {f"checkov.io/skip{i}": f"{check}={reason}" for i, (check, reason) in enumerate(sorted(skips.items()), 1)}
