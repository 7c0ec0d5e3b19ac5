"""Enhanced Helm Chart Framework: reusable cdk8s constructs and the chart pipeline.

Use the constructs in your own cdk8s app:

    from constructs_lib import DomainChart, parse_spec
    models = parse_spec({"domain": "shop", "charts": {"web": {"apps": ["cart_api"]}}}, "inline")
    DomainChart(cdk8s.App(), models[0])
"""

import importlib

from .errors import Problem, SpecError
from .model import App, ChartModel
from .spec import load_charts, load_models, parse_spec

# Names that need cdk8s or constructs are loaded on first use: importing those starts the
# jsii runtime (a Node process, about a second), which reading and validating
# specs never needs, so a bad spec fails fast.
_LAZY = {
    "DomainChart": ".chart",
    "DomainIngress": ".ingress",
    "OptionalHpa": ".optional",
    "OptionalPdb": ".optional",
    "ChartBuild": ".pipeline",
    "build_all": ".pipeline",
    "ApiService": ".services",
    "JobService": ".services",
    "ProcessorService": ".services",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ApiService",
    "App",
    "ChartBuild",
    "ChartModel",
    "DomainChart",
    "DomainIngress",
    "JobService",
    "OptionalHpa",
    "OptionalPdb",
    "Problem",
    "ProcessorService",
    "SpecError",
    "build_all",
    "load_charts",
    "load_models",
    "parse_spec",
]
