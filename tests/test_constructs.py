"""The constructs as a Python team uses them in its own cdk8s app: typed props, no spec."""

import inspect

import cdk8s
import cdk8s_plus_28 as kplus
import kubernetes_validate
import pytest
import yaml

import constructs_lib as lib
from constructs_lib import ApiService, Autoscaling, DisruptionBudget, JobService, OptionalHpa, OptionalPdb, ProcessorService, PropsError


def synth(build) -> dict[tuple[str, str], dict]:
    app = cdk8s.App()
    chart = cdk8s.Chart(app, "shop", disable_resource_name_hashes=True)
    build(chart)
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(app.synth_yaml()) if o}


def pod(objects, kind, name):
    return objects[(kind, name)]["spec"]["template"]


def test_signatures_show_the_props():
    params = inspect.signature(ApiService).parameters
    assert list(params)[:2] == ["scope", "id"]
    for prop in ("image", "port", "health_path", "env", "replicas", "autoscaling", "ingress"):
        assert params[prop].kind is inspect.Parameter.KEYWORD_ONLY, prop
    assert params["port"].default is None and params["image"].default is inspect.Parameter.empty
    assert "health_path" in (ApiService.__doc__ or "")
    assert "backoff_limit" in inspect.signature(JobService).parameters
    assert "ingress" not in inspect.signature(ProcessorService).parameters


def test_an_api_from_props_alone():
    objects = synth(
        lambda c: ApiService(c, "cart", image="registry.example.com/cart:1.2", port=8080, health_path="/healthz", env={"MODE": "live"}, replicas=3)
    )
    assert set(objects) == {("Deployment", "cart"), ("Service", "cart-service")}
    deployment = objects[("Deployment", "cart")]
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "cart"}}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/cart:1.2"
    assert container["env"] == [{"name": "MODE", "value": "live"}]
    assert container["ports"][0] == {"containerPort": 8080, "name": "http", "protocol": "TCP"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["securityContext"]["runAsNonRoot"] is True and container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"] == {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}
    service = objects[("Service", "cart-service")]["spec"]
    assert service["selector"] == {"app.kubernetes.io/name": "cart"}
    assert service["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": "http"}]
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.37", strict=True)
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "shop"


def test_names_follow_the_name_prop_and_stay_within_63_characters():
    long = "x" * 70
    objects = synth(lambda c: ApiService(c, "cart", image="r/cart:1", name=long))
    names = {name for _, name in objects}
    assert all(len(n) <= 63 for n in names)
    assert any(n.endswith("-service") for n in names)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"image": "r/cart:1", "port": "8080"}, "shop/cart: port: expected an integer, got a string"),
        ({"image": "r/cart:1", "prot": 8080}, "shop/cart: prot: unknown prop (did you mean 'port'?)"),
        ({"image": "r/cart"}, "shop/cart: image: expected 'repository:tag' (no tag, and no chart appVersion to default to)"),
        ({}, "shop/cart: image: required prop is missing"),
        ({"image": "r/cart:1", "health_path": "health"}, "shop/cart: health_path: 'health' does not match ^/"),
        ({"image": "r/cart:1", "resources": {"limits": {"cpu": "lots"}}}, "shop/cart: resources.limits.cpu:"),
        (
            {"image": "r/cart:1", "autoscaling": Autoscaling(min_replicas=5, max_replicas=2)},
            "shop/cart: autoscaling.min_replicas: minReplicas must not exceed",
        ),
        (
            {"image": "r/cart:1", "pod_disruption_budget": DisruptionBudget(min_available=2)},
            "shop/cart: pod_disruption_budget.min_available: minAvailable 2",
        ),
    ],
)
def test_a_bad_prop_names_the_construct_path_and_the_prop(props, expected):
    with pytest.raises(PropsError) as caught:
        synth(lambda c: ApiService(c, "cart", **props))
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "\n" not in str(caught.value)


def test_optional_objects_take_their_target_and_the_hpa_owns_replicas():
    def build(chart):
        api = ApiService(chart, "cart", image="r/cart:1", autoscaling=Autoscaling(max_replicas=6), pod_disruption_budget=DisruptionBudget())
        OptionalHpa(chart, "cart-hpa", target=api)
        OptionalPdb(chart, "cart-pdb", target=api)

    objects = synth(build)
    assert "replicas" not in objects[("Deployment", "cart")]["spec"]
    assert objects[("HorizontalPodAutoscaler", "cart-hpa")]["spec"]["maxReplicas"] == 6
    assert objects[("PodDisruptionBudget", "cart-pdb")]["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "cart"}}
    with pytest.raises(PropsError, match=r"shop/mail-pdb: target: mail was built without the pod_disruption_budget prop"):
        synth(lambda c: OptionalPdb(c, "mail-pdb", target=ProcessorService(c, "mail", image="r/mail:1")))


def test_workloads_are_cdk8s_plus_objects_that_kplus_methods_extend():
    def build(chart):
        api = ApiService(chart, "cart", image="r/cart:1")
        job = JobService(chart, "migrate", image="r/migrate:1", hook="pre-install")
        assert isinstance(api.deployment, kplus.Deployment) and isinstance(api.service, kplus.Service)
        assert isinstance(job.job, kplus.Job)
        config = kplus.ConfigMap(chart, "config", data={"app.yaml": "a: 1"})
        volume = kplus.Volume.from_config_map(chart, "config-volume", config)
        api.deployment.containers[0].mount("/etc/cart", volume)
        api.deployment.add_container(name="proxy", image="r/proxy:1", port_number=9000)
        kplus.NetworkPolicy(
            chart,
            "allow-web",
            selector=api.deployment,
            ingress=kplus.NetworkPolicyTraffic(rules=[kplus.NetworkPolicyRule(peer=kplus.Pods.all(chart, "all"))]),
        )

    objects = synth(build)
    spec = pod(objects, "Deployment", "cart")["spec"]
    assert [c["name"] for c in spec["containers"]] == ["app", "proxy"]
    (mount,) = (m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == "/etc/cart")
    (volume,) = (v for v in spec["volumes"] if v["name"] == mount["name"])
    assert "configMap" in volume
    (policy,) = (o for (kind, _), o in objects.items() if kind == "NetworkPolicy")
    selected = policy["spec"]["podSelector"]["matchLabels"]
    labels = pod(objects, "Deployment", "cart")["metadata"]["labels"]
    assert selected.items() <= labels.items()  # the kplus policy selects our pods
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.37", strict=True)


def test_a_job_from_props_keeps_its_hash_name_and_settings():
    objects = synth(lambda c: JobService(c, "report", image="r/report:1", backoff_limit=1, completions=2, restart_policy="OnFailure"))
    ((kind, name),) = objects
    assert kind == "Job" and name.startswith("report-") and len(name) == len("report-") + 8
    spec = objects[(kind, name)]["spec"]
    assert (spec["backoffLimit"], spec["completions"], spec["template"]["spec"]["restartPolicy"]) == (1, 2, "OnFailure")


def test_public_names_are_exported_with_docstrings():
    for name in lib.__all__:
        value = getattr(lib, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name


def test_real_service_props_secrets_config_identity_and_volumes():
    from constructs_lib import OptionalServiceAccount, ServiceAccount

    def build(chart):
        api = ApiService(
            chart,
            "ledger",
            image="r/ledger:1",
            env={"DB_PASSWORD": {"valueFrom": {"secretKeyRef": {"name": "ledger-db", "key": "password"}}}, "MODE": "live"},
            env_from=[{"secretRef": {"name": "shared"}, "prefix": "S_"}],
            image_pull_secrets=["regcred"],
            service_account=ServiceAccount(create=True, annotations={"iam.gke.io/gcp-service-account": "ledger@p.iam.gserviceaccount.com"}),
            pod_labels={"team": "payments"},
            volumes=[{"name": "certs", "secret": {"secretName": "ledger-tls"}}, {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}],
            volume_mounts=[{"name": "certs", "mountPath": "/etc/tls"}, {"name": "scratch", "mountPath": "/scratch"}],
            config_files={"app.yaml": "mode: live\n"},
        )
        OptionalServiceAccount(chart, "ledger-sa", target=api)

    objects = synth(build)
    spec = pod(objects, "Deployment", "ledger")["spec"]
    container = spec["containers"][0]
    assert container["env"] == [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"key": "password", "name": "ledger-db"}}},
        {"name": "MODE", "value": "live"},
    ]
    assert container["envFrom"] == [{"prefix": "S_", "secretRef": {"name": "shared"}}]
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert spec["serviceAccountName"] == "ledger" and spec["automountServiceAccountToken"] is False
    assert pod(objects, "Deployment", "ledger")["metadata"]["labels"]["team"] == "payments"
    assert [v["name"] for v in spec["volumes"]] == ["tmp", "config", "certs", "scratch"]
    assert {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}} in spec["volumes"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["certs"] == {"name": "certs", "mountPath": "/etc/tls", "readOnly": True}
    assert mounts["config"] == {"name": "config", "mountPath": "/etc/ledger", "readOnly": True}
    assert objects[("ConfigMap", "ledger-config")]["data"] == {"app.yaml": "mode: live\n"}
    assert objects[("ServiceAccount", "ledger")]["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": "ledger@p.iam.gserviceaccount.com"}
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.37", strict=True)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"env": {"X": {"valueFrom": {"secretKeyRf": {"name": "a", "key": "b"}}}}},
            "shop/cart: env.X.valueFrom.secretKeyRf: unknown key (did you mean",
        ),
        ({"volumes": [{"name": "tmp", "emptyDir": {}}]}, "shop/cart: volumes[0].name: volume name tmp is the chart's own"),
        ({"volume_mounts": [{"name": "nope", "mountPath": "/x"}]}, "shop/cart: volume_mounts[0].name: mounts volume nope"),
        (
            {"pod_labels": {"app.kubernetes.io/name": "x"}},
            "shop/cart: pod_labels.app.kubernetes.io/name: label app.kubernetes.io/name is set by the chart",
        ),
        ({"config_mount_path": "/etc/x"}, "shop/cart: config_mount_path: applies only with config_files"),
    ],
)
def test_bad_real_service_props_name_the_prop(props, expected):
    with pytest.raises(PropsError) as caught:
        synth(lambda c: ApiService(c, "cart", image="r/cart:1", **props))
    assert str(caught.value).startswith(expected), str(caught.value)


def test_the_readme_example_runs_as_written_without_a_banner(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    start = readme.index("```python\nfrom constructs_lib import ApiService") + len("```python\n")
    (tmp_path / "app.py").write_text(readme[start : readme.index("```", start)])
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no jsii banner reaches a library user
    kinds = sorted(o["kind"] for o in yaml.safe_load_all((tmp_path / "dist" / "shop.k8s.yaml").read_text()) if o)
    assert kinds == ["ConfigMap", "Deployment", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Service"]


def test_ports_prop_adds_named_container_and_service_ports():
    objects = synth(
        lambda c: ApiService(
            c,
            "cart",
            image="r/cart:1",
            ports=[{"name": "grpc", "port": 9000, "appProtocol": "grpc"}, {"name": "debug", "port": 6060, "expose": False}],
        )
    )
    container = pod(objects, "Deployment", "cart")["spec"]["containers"][0]
    assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [("http", 8000), ("grpc", 9000), ("debug", 6060)]
    service = objects[("Service", "cart-service")]["spec"]["ports"]
    assert service[1] == {"appProtocol": "grpc", "name": "grpc", "port": 9000, "protocol": "TCP", "targetPort": "grpc"}
    assert len(service) == 2
    with pytest.raises(PropsError, match=r"shop/cart: ports\[0\]\.name: port name http is already used"):
        synth(lambda c: ApiService(c, "cart", image="r/cart:1", ports=[{"name": "http", "port": 9000}]))


def test_scheduling_props_replace_the_default_affinity_and_select_the_app():
    objects = synth(
        lambda c: ProcessorService(
            c,
            "mail",
            image="r/mail:1",
            affinity={
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "preference": {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["a"]}]}}
                    ]
                }
            },
            topology_spread_constraints=[{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway"}],
            termination_grace_period_seconds=90,
            lifecycle={"preStop": {"httpGet": {"path": "/drain", "port": 8080}}},
        )
    )
    spec = pod(objects, "Deployment", "mail")["spec"]
    assert list(spec["affinity"]) == ["nodeAffinity"]
    assert spec["topologySpreadConstraints"][0]["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "mail"}}
    assert spec["terminationGracePeriodSeconds"] == 90
    assert spec["containers"][0]["lifecycle"] == {"preStop": {"httpGet": {"path": "/drain", "port": 8080}}}
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.37", strict=True)


def test_probes_prop_splits_readiness_and_liveness():
    objects = synth(
        lambda c: ApiService(
            c, "cart", image="r/cart:1", health_path="/readyz", probes={"liveness": {"httpGet": {"path": "/livez"}}, "startup": False}
        )
    )
    container = pod(objects, "Deployment", "cart")["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert "startupProbe" not in container
    with pytest.raises(PropsError, match=r"shop/mail: probes\.liveness: needs one of httpGet"):
        synth(lambda c: ProcessorService(c, "mail", image="r/mail:1", probes={"liveness": {"periodSeconds": 5}}))


# A value for every pod spec and container field the escape hatches take: each must
# reach the synthesized object unchanged (kplus's typed form drops what it cannot read).
EVERY_POD_SPEC_FIELD = {
    "activeDeadlineSeconds": 600,
    "dnsPolicy": "None",
    "hostIPC": False,
    "hostNetwork": False,
    "hostPID": False,
    "hostUsers": False,
    "hostname": "cart",
    "nodeName": "node-1",
    "os": {"name": "linux"},
    "overhead": {"cpu": "10m", "memory": "16Mi"},
    "preemptionPolicy": "Never",
    "priority": 0,
    "readinessGates": [{"conditionType": "example.com/ready"}],
    "resourceClaims": [{"name": "gpu", "source": {"resourceClaimName": "gpu-claim"}}],
    "schedulerName": "custom",
    "schedulingGates": [{"name": "example.com/quota"}],
    "setHostnameAsFQDN": True,
    "shareProcessNamespace": True,
    "subdomain": "carts",
}
EVERY_CONTAINER_FIELD = {
    "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
    "stdin": True,
    "stdinOnce": False,
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "FallbackToLogsOnError",
    "tty": False,
    "volumeDevices": [{"name": "raw", "devicePath": "/dev/xvda"}],
    "workingDir": "/srv",
}


def test_every_escape_hatch_field_reaches_the_object():
    from constructs_lib.spec.schema import CONTAINER_OWNED, POD_SPEC_OWNED, k8s_definitions

    definitions = k8s_definitions()
    free = lambda name, owned: {k for k in definitions[name]["properties"] if k not in owned}  # noqa: E731
    assert set(EVERY_POD_SPEC_FIELD) == free("k8s.PodSpecExtra", POD_SPEC_OWNED)
    assert set(EVERY_CONTAINER_FIELD) == free("k8s.ContainerExtra", CONTAINER_OWNED)
    objects = synth(lambda c: ApiService(c, "cart", image="r/cart:1", pod_spec=EVERY_POD_SPEC_FIELD, container=EVERY_CONTAINER_FIELD))
    spec = pod(objects, "Deployment", "cart")["spec"]
    assert {k: spec.get(k) for k in EVERY_POD_SPEC_FIELD} == EVERY_POD_SPEC_FIELD
    container = spec["containers"][0]
    assert {k: container.get(k) for k in EVERY_CONTAINER_FIELD} == EVERY_CONTAINER_FIELD


def test_sidecars_and_init_containers_from_props():
    sidecar = {"name": "proxy", "image": "envoyproxy/envoy:v1.31.2", "ports": [{"containerPort": 9901, "name": "admin"}]}
    migrate = {"name": "migrate", "image": "r/cart:1", "command": ["migrate"], "resources": {"limits": {"memory": "1Gi"}}}
    objects = synth(lambda c: JobService(c, "report", image="r/report:1", sidecars=[sidecar], init_containers=[migrate]))
    ((kind, name),) = objects
    first, second = pod(objects, kind, name)["spec"]["initContainers"]
    assert (first["name"], first["restartPolicy"], second["name"]) == ("proxy", "Always", "migrate")
    assert "restartPolicy" not in second and second["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert second["securityContext"]["readOnlyRootFilesystem"] is True
    kubernetes_validate.validate(objects[(kind, name)], "1.29", strict=True)
    with pytest.raises(PropsError, match=r"^shop/cart: pod_spec\.volumes: .*use volumes"):
        synth(lambda c: ApiService(c, "cart", image="r/cart:1", pod_spec={"volumes": []}))


def test_a_cronjob_from_props():
    from constructs_lib import CronJobService

    objects = synth(
        lambda c: CronJobService(
            c, "nightly-cleanup-of-every-old-report-in-the-archive", image="r/clean:1", schedule="0 3 * * *", time_zone="UTC", suspend=True
        )
    )
    ((kind, name),) = objects
    assert kind == "CronJob" and len(name) <= 52
    spec = objects[(kind, name)]["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["suspend"], spec["concurrencyPolicy"]) == ("0 3 * * *", "UTC", True, "Forbid")
    assert spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "r/clean:1"
    kubernetes_validate.validate(objects[(kind, name)], "1.37", strict=True)
    with pytest.raises(PropsError, match=r"^shop/nightly: schedule: required prop is missing"):
        synth(lambda c: CronJobService(c, "nightly", image="r/clean:1"))
    with pytest.raises(PropsError, match=r"^shop/nightly: schedule: 'every day' does not match"):
        synth(lambda c: CronJobService(c, "nightly", image="r/clean:1", schedule="every day"))


def test_a_network_policy_from_props_selects_the_app_and_lets_its_peers_in():
    from constructs_lib import NetworkPolicy, OptionalNetworkPolicy

    scraper = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}]
    egress = [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]

    def build(chart):
        cart = ApiService(chart, "cart", image="r/cart:1", metrics=lib.Metrics(), network_policy=NetworkPolicy(egress=egress))
        OptionalNetworkPolicy(chart, "cart-netpol", target=cart, metrics_from=scraper)

    spec = synth(build)[("NetworkPolicy", "cart-netpol")]["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "cart"}}
    assert spec["ingress"] == [
        {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "shop"}}}]},
        {"from": scraper, "ports": [{"port": "metrics", "protocol": "TCP"}]},
    ]
    assert spec["policyTypes"] == ["Ingress", "Egress"] and spec["egress"][-1] == egress[0]
    with pytest.raises(PropsError, match=r"^shop/netpol: target: cart was built without the network_policy prop"):
        synth(lambda c: OptionalNetworkPolicy(c, "netpol", target=ApiService(c, "cart", image="r/cart:1")))


def test_props_defaults_are_the_values_defaults():
    """One source: a service built from default props has exactly the values a spec app of its shape gets."""
    from constructs_lib.spec.defaults import app_defaults

    blocks = {
        "metrics": lib.Metrics(),
        "pod_disruption_budget": DisruptionBudget(),
        "autoscaling": Autoscaling(),
        "service_account": lib.ServiceAccount(),
        "network_policy": lib.NetworkPolicy(),
    }
    made = []

    def build(chart):
        made.append(
            ApiService(chart, "cart", image="r/cart:1", ingress=lib.IngressPath(path="/cart"), gateway=lib.GatewayRoute(path="/cart"), **blocks)
        )
        made.append(ProcessorService(chart, "mail", image="r/mail:1", health_path="/health", **blocks))
        made.append(JobService(chart, "migrate", image="r/migrate:1"))
        made.append(lib.CronJobService(chart, "nightly", image="r/nightly:1", schedule="@daily"))

    synth(build)
    for service in made:
        app = service.app
        values = {k: v for k, v in app.values.items() if k != "schedule"}  # required: no default
        assert values == app_defaults(app.shape, app.key, f"r/{app.key}", "1"), app.key


@pytest.mark.parametrize(
    "props",
    [
        lib.ApiProps,
        lib.ProcessorProps,
        lib.JobProps,
        lib.CronJobProps,
        lib.Metrics,
        lib.Autoscaling,
        lib.IngressPath,
        lib.GatewayRoute,
        lib.ServiceAccount,
    ],
)
def test_every_scalar_default_is_in_the_docstrings(props):
    """help() shows each prop's default in words too; this keeps the words true."""
    import dataclasses

    docs = "\n".join(c.__doc__ or "" for c in props.__mro__)
    for f in dataclasses.fields(props):
        if isinstance(f.default, (int, str)) and not isinstance(f.default, bool) and f.default != "":
            assert f.name in docs and str(f.default) in docs, f"{props.__name__}.{f.name}: default {f.default!r} not in its docstring"
