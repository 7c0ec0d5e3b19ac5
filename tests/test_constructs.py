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
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http", "scheme": "HTTP"}
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
        ({"image": "r/cart"}, "shop/cart: image: expected 'repository:tag' (a tag is required)"),
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
