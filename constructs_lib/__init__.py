"""Enhanced Helm Chart Framework: reusable cdk8s constructs and the chart pipeline.

Use the constructs in your own cdk8s app:

    from constructs_lib import DomainChart, parse_spec
    models = parse_spec({"domain": "shop", "charts": {"web": {"apps": ["cart_api"]}}}, "inline")
    DomainChart(cdk8s.App(), models[0])
"""

from .chart import DomainChart
from .errors import Problem, SpecError
from .ingress import DomainIngress
from .model import App, ChartModel
from .optional import OptionalHpa, OptionalPdb
from .pipeline import ChartBuild, build_all, load_models
from .services import ApiService, JobService, ProcessorService
from .spec import load_charts, parse_spec

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
