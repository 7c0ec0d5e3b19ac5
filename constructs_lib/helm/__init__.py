"""Synthesized objects and their bindings → Helm chart files, packages, publishing; any composition → a chart."""
