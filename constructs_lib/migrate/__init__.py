"""Adopting the charts: importing a hand-written chart into a spec, and comparing charts and manifests."""
