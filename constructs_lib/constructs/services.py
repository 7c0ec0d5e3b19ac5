"""The four service types: ApiService, ProcessorService, JobService, CronJobService.

Each takes `(scope, id, **props)` with the keyword props of its props class
(props.py), builds its workload with cdk8s-plus-28 and exposes what it made
(`.deployment`, `.service`, `.job`, `.cron_job`) for kplus methods.
"""

from __future__ import annotations

import dataclasses
import inspect

import cdk8s
import cdk8s_plus_28 as kplus
from constructs import Construct

from ..gojson import go_json
from ..spec.model import App, ChartContext, app_names
from ..spec.naming import API, CRONJOB, HASH_LEN, JOB, PROCESSOR, dashed, short_hash
from ..spec.schema import CRONJOB_KEYS
from .bindings import BoundConstruct, Guard, Tail, Value, WithValue, nested
from .kplus_json import add, kplus_enum, remove, typed, typed_field
from .kplus_props import plain_props
from .labels import app_labels, selector_labels
from .pod_bindings import METRICS_SERVICE_PORT_LINES, SERVICE_PORT_LINES, pod_variables
from .policy import policy_annotations
from .props import ApiProps, CronJobProps, JobProps, ProcessorProps, WorkloadProps, make_props, to_values
from .workload import KPLUS_DEPLOYMENT_DEFAULTS, finish_pod, pod_props

ROLLING_UPDATE = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
# Inputs of a plain job's pod template; their hash names the Job, so a changed
# job is a new object (Jobs cannot be patched) and Helm prunes the old one.
JOB_HASH = "list $app $global .Chart.AppVersion | toJson | sha256sum | trunc 8"


# The context key a plain cdk8s app sets to give its services an appVersion (the default
# image tag, an input of plain Jobs' names): `app.node.set_context("appVersion", "1.2")`
# before adding charts.
APP_VERSION_CONTEXT = "appVersion"


def chart_context(scope: Construct) -> ChartContext:
    """The enclosing DomainChart's model, or a plain cdk8s Chart named by its id."""
    chart = scope if isinstance(scope, cdk8s.Chart) else cdk8s.Chart.of(scope)
    model = getattr(chart, "model", None)
    if model is not None:
        return model
    return ChartContext(name=dashed(chart.node.id), app_version=chart.node.try_get_context(APP_VERSION_CONTEXT))


def _metadata(chart: ChartContext, app: App, name: str, extra_annotations: dict | None = None) -> cdk8s.ApiObjectMetadata:
    annotations = {**policy_annotations(app), **(extra_annotations or {})}
    return cdk8s.ApiObjectMetadata(name=name, labels=app_labels(chart, app), annotations=annotations or None)


def _with_props_signature(cls):
    """`inspect.signature(cls)` and `help(cls)` show the props as keyword-only parameters."""
    params = [
        inspect.Parameter("scope", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Construct),
        inspect.Parameter("id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
    ]
    for f in dataclasses.fields(cls.PROPS):
        default = f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=f.type))
    cls.__signature__ = inspect.Signature(params)
    docs = [inspect.cleandoc(c.__doc__) for c in reversed(cls.PROPS.__mro__) if c.__doc__ and c.__module__ == cls.PROPS.__module__]
    cls.__doc__ = "\n\n".join([inspect.cleandoc(cls.__doc__), f"Props ({cls.PROPS.__name__}):", *docs])
    return cls


class Workload(BoundConstruct):
    """Props → checked values → the app model the objects and their bindings come from."""

    TYPE: str
    PROPS: type[WorkloadProps]

    def __init__(self, scope: Construct, id: str, **props):
        super().__init__(scope, id)
        self.props = make_props(self.PROPS, self, plain_props(props))
        shape, values = to_values(self.TYPE, self.props, id, self)
        self.chart = chart_context(scope)
        self.app = App(
            key=id,
            shape=shape,
            names=app_names(self.props.name or id, kind=self.TYPE),
            values=values,
            hook=getattr(self.props, "hook", ""),
        )
        self.config_map: kplus.ConfigMap | None = None

    def record_app_object(self, api_object, kind: str, name: str, bindings: dict, variables: dict | None = None) -> None:
        """Record one of the app's objects: its template is `<app>-<kind>.yaml`, and it exists while the app is enabled."""
        self.record(
            api_object,
            kind,
            name,
            template=f"{dashed(self.app.key)}-{kind.lower()}.yaml",
            app_key=self.app.key,
            guard="$app.enabled",
            bindings=bindings,
            variables=variables,
        )

    def pod_props(self) -> dict:
        """The kplus pod props; records the config files' ConfigMap when the app has one."""
        props, self.config_map = pod_props(self, self.chart, self.app)
        if self.config_map is not None:
            self.record_app_object(
                self.config_map,
                "ConfigMap",
                self.app.names.config,
                bindings={("data",): Value("$app.configFiles")},
            )
        return props


class _DeploymentService(Workload):
    """A Deployment running the app, with the shared secure pod template."""

    def __init__(self, scope: Construct, id: str, **props):
        super().__init__(scope, id, **props)
        app, values = self.app, self.app.values
        autoscaled = app.feature_on("autoscaling")
        self.deployment = kplus.Deployment(
            self,
            "deployment",
            metadata=_metadata(self.chart, app, app.names.workload),
            replicas=None if autoscaled else values["replicas"],
            **self.pod_props(),
        )
        if autoscaled:  # the HPA owns the replica count while enabled
            self.deployment.mark_has_autoscaler()
        pod_bindings = finish_pod(
            self.deployment,
            self.chart,
            app,
            add("/spec/revisionHistoryLimit", 5),
            # Our one stable label; `select()` would say the same at two more round trips.
            add("/spec/selector", {"matchLabels": selector_labels(app)}),
            add("/spec/strategy", typed(ROLLING_UPDATE)),  # one patch: kplus's strategy API costs three round trips
            *(remove(f"/spec/{key}") for key in KPLUS_DEPLOYMENT_DEFAULTS),
        )
        replicas = Value("$app.replicas")
        self.record_app_object(
            self.deployment,
            "Deployment",
            app.names.workload,
            bindings={
                **nested(("spec", "template"), pod_bindings),
                ("spec", "replicas"): Guard("not $app.autoscaling.enabled", replicas) if "autoscaling" in values else replicas,
            },
            variables=pod_variables(app),
        )


@_with_props_signature
class ApiService(_DeploymentService):
    """An HTTP API: a kplus Deployment, a kplus ClusterIP Service (`.service`) and health probes."""

    TYPE, PROPS = API, ApiProps

    def __init__(self, scope: Construct, id: str, **props):
        super().__init__(scope, id, **props)
        app = self.app
        ports = [kplus.ServicePort(port=app.values["port"], name="http", target_port=app.values["port"], protocol=kplus.Protocol.TCP)]
        bindings = {("spec", "ports", 0, "port"): Value("$app.port")}
        if "metrics" in app.values and app.metrics_port_name == "metrics":
            port = app.values["metrics"]["port"]
            ports.append(kplus.ServicePort(port=port, name="metrics", target_port=port, protocol=kplus.Protocol.TCP))
        metrics_lines = METRICS_SERVICE_PORT_LINES if "metrics" in app.values else ()
        bindings[("spec", "ports")] = Tail(1, metrics_lines + SERVICE_PORT_LINES)
        exposed = [p for p in app.values["ports"] if p.get("expose", True)]
        ports += [
            kplus.ServicePort(port=p["port"], name=p["name"], target_port=p["port"], protocol=kplus.Protocol[p.get("protocol", "TCP")])
            for p in exposed
        ]
        self.service = kplus.Service(
            self,
            "service",
            metadata=_metadata(self.chart, app, app.names.service),
            type=kplus.ServiceType.CLUSTER_IP,
            ports=ports,
        )
        for key, value in selector_labels(app).items():
            self.service.select_label(key, value)
        # Target the container ports by name, so a port change is one knob; no empty externalIPs.
        patches = [add(f"/spec/ports/{i}/targetPort", typed_field("targetPort", p.name)) for i, p in enumerate(ports)]
        own = len(ports) - len(exposed)
        patches += [add(f"/spec/ports/{own + i}/appProtocol", p["appProtocol"]) for i, p in enumerate(exposed) if "appProtocol" in p]
        cdk8s.ApiObject.of(self.service).add_json_patch(*patches, remove("/spec/externalIPs"))
        self.record_app_object(
            self.service,
            "Service",
            app.names.service,
            bindings=bindings,
        )


@_with_props_signature
class ProcessorService(_DeploymentService):
    """A background processor: a kplus Deployment only; probes only when it declares a health path."""

    TYPE, PROPS = PROCESSOR, ProcessorProps


@_with_props_signature
class JobService(Workload):
    """A run-to-completion kplus Job (`.job`). Plain jobs get a name suffix from a hash of
    their inputs, so `helm upgrade` creates a new Job instead of patching an immutable one;
    hook jobs (pre-install, pre-upgrade, ...) keep one name and are recreated by Helm."""

    TYPE, PROPS = JOB, JobProps

    def __init__(self, scope: Construct, id: str, **props):
        super().__init__(scope, id, **props)
        app, values = self.app, self.app.values
        hook_annotations = {}
        variables = pod_variables(app)
        bindings = {}
        if app.hook:
            name = app.names.workload
            hook_annotations = {
                "helm.sh/hook": app.hook,
                "helm.sh/hook-delete-policy": "before-hook-creation",
                "helm.sh/hook-weight": "0",
            }
        else:
            name = f"{app.names.job_base}-{job_hash(self.chart, app)}"
            variables["jobHash"] = JOB_HASH
            bindings[("metadata", "name")] = Value(f'printf "%s-%s" "{app.names.job_base}" $jobHash')
        self.job = kplus.Job(self, "job", metadata=_metadata(self.chart, app, name, hook_annotations), **run_props(values), **self.pod_props())
        pod_bindings = finish_pod(self.job, self.chart, app, *run_patches(values, "/spec"))
        bindings.update({("spec", key): Value(f"$app.{key}") for key in (*RUN_KEYS, "ttlSecondsAfterFinished")})
        self.record_app_object(
            self.job,
            "Job",
            name,
            bindings={**bindings, **nested(("spec", "template"), pod_bindings)},
            variables=variables,
        )


@_with_props_signature
class CronJobService(Workload):
    """Scheduled work: a kplus CronJob (`.cron_job`) whose runs are Jobs with the same pod as a
    JobService. Its name is at most 52 characters (the controller names each run's Job
    after it); a longer one is cut and gets a stable hash."""

    TYPE, PROPS = CRONJOB, CronJobProps

    def __init__(self, scope: Construct, id: str, **props):
        super().__init__(scope, id, **props)
        app, values = self.app, self.app.values
        self.cron_job = kplus.CronJob(
            self,
            "cronjob",
            metadata=_metadata(self.chart, app, app.names.workload),
            schedule=cdk8s.Cron(),  # the schedule is written as given, below
            time_zone=values["timeZone"] or None,
            concurrency_policy=kplus_enum(kplus.ConcurrencyPolicy, values["concurrencyPolicy"]),
            starting_deadline=cdk8s.Duration.seconds(values["startingDeadlineSeconds"]),
            successful_jobs_retained=values["successfulJobsHistoryLimit"],
            failed_jobs_retained=values["failedJobsHistoryLimit"],
            suspend=values["suspend"],
            **run_props(values),
            **self.pod_props(),
        )
        run = "/spec/jobTemplate/spec"
        pod_bindings = finish_pod(
            self.cron_job, self.chart, app, add("/spec/schedule", values["schedule"]), *run_patches(values, run), template=f"{run}/template"
        )
        job = ("spec", "jobTemplate", "spec")
        self.record_app_object(
            self.cron_job,
            "CronJob",
            app.names.workload,
            bindings={
                ("spec", "schedule"): Value("$app.schedule"),
                ("spec", "timeZone"): WithValue("$app.timeZone", scalar=True),
                **{("spec", key): Value(f"$app.{key}") for key in CRONJOB_KEYS if key != "timeZone"},
                **{(*job, key): Value(f"$app.{key}") for key in RUN_KEYS},
                **nested((*job, "template"), pod_bindings),
            },
            variables=pod_variables(app),
        )


# A Job's settings from values (a JobService's Job, each run of a CronJobService).
RUN_KEYS = ("completions", "parallelism", "backoffLimit", "activeDeadlineSeconds")


def run_props(values: dict) -> dict:
    props = {
        "backoff_limit": values["backoffLimit"],
        "active_deadline": cdk8s.Duration.seconds(values["activeDeadlineSeconds"]),
        "restart_policy": kplus_enum(kplus.RestartPolicy, values["restartPolicy"]),
    }
    if "ttlSecondsAfterFinished" in values:  # a Job's own; a CronJob's history limits clean up its runs
        props["ttl_after_finished"] = cdk8s.Duration.seconds(values["ttlSecondsAfterFinished"])
    return props


def run_patches(values: dict, job_spec: str) -> tuple[cdk8s.JsonPatch, ...]:
    """What kplus's Job props do not take: completions and parallelism."""
    return add(f"{job_spec}/completions", values["completions"]), add(f"{job_spec}/parallelism", values["parallelism"])


def job_hash(chart: ChartContext, app: App) -> str:
    """The same hash the template computes with JOB_HASH."""
    return short_hash(go_json([app.values, chart.global_values, chart.app_version or ""]), HASH_LEN)  # Helm's .Chart.AppVersion is "" when unset
