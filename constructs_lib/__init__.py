"""Enhanced Helm Chart Framework: reusable cdk8s constructs and the chart pipeline.

Use the constructs in your own cdk8s app, with typed props and no spec:

    from constructs_lib import ApiService, Autoscaling, OptionalHpa
    api = ApiService(chart, "cart", image="registry/cart:1.2", port=8080, autoscaling=Autoscaling(max_replicas=6))
    OptionalHpa(chart, "cart-hpa", target=api)
    api.deployment  # a cdk8s_plus_28.Deployment

turn any composition (ours, kplus objects, your own ApiObjects) into a Helm chart:

    from constructs_lib import HelmChart
    helm = HelmChart(chart, name="shop", version="1.2.0")
    helm.value(settings, "data.LOG_LEVEL", "logging.level")  # settings: any ApiObject or kplus resource
    helm.write("dist")

or build every chart of a spec:

    from constructs_lib import DomainChart, parse_spec
    models = parse_spec({"domain": "shop", "charts": {"web": {"apps": ["cart_api"]}}}, "inline")
    DomainChart(cdk8s.App(), models[0])
"""

import importlib
import os

# jsii prints a banner about Node 20 (past its support window) when it starts; it works,
# and the banner would reach every user of the library and break one-line errors.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from .constructs.props import (
    ApiProps,
    Autoscaling,
    CronJobProps,
    DisruptionBudget,
    GatewayRoute,
    IngressPath,
    JobProps,
    Metrics,
    NetworkPolicy,
    ProcessorProps,
    PropsError,
    ServiceAccount,
)
from .spec.errors import Problem, SpecError
from .spec.model import App, ChartModel
from .spec.parse import load_charts, load_models, parse_spec

# Names that need cdk8s or constructs are loaded on first use: importing those starts the
# jsii runtime (a Node process, about a second), which reading and validating
# specs never needs, so a bad spec fails fast.
_LAZY = {
    "DomainChart": ".constructs.chart",
    "DomainIngress": ".constructs.ingress",
    "DomainRoutes": ".constructs.gateway",
    "OptionalHpa": ".constructs.optional",
    "OptionalPdb": ".constructs.optional",
    "OptionalServiceMonitor": ".constructs.monitoring",
    "OptionalServiceAccount": ".constructs.optional",
    "OptionalNetworkPolicy": ".constructs.network_policy",
    "ChartBuild": ".pipeline",
    "HelmChart": ".helm.composition",
    "HelmChartError": ".helm.composition",
    "build_all": ".pipeline",
    "ApiService": ".constructs.services",
    "JobService": ".constructs.services",
    "CronJobService": ".constructs.services",
    "ProcessorService": ".constructs.services",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ApiProps",
    "ApiService",
    "App",
    "Autoscaling",
    "ChartBuild",
    "ChartModel",
    "CronJobProps",
    "CronJobService",
    "DisruptionBudget",
    "DomainChart",
    "DomainIngress",
    "DomainRoutes",
    "GatewayRoute",
    "HelmChart",
    "HelmChartError",
    "IngressPath",
    "JobProps",
    "JobService",
    "Metrics",
    "NetworkPolicy",
    "OptionalHpa",
    "OptionalNetworkPolicy",
    "OptionalPdb",
    "OptionalServiceAccount",
    "OptionalServiceMonitor",
    "Problem",
    "ProcessorProps",
    "ProcessorService",
    "PropsError",
    "ServiceAccount",
    "SpecError",
    "build_all",
    "load_charts",
    "load_models",
    "parse_spec",
]
