"""HelmChart: a Python team's own cdk8s composition as a Helm chart, checked with real Helm.

The composition is examples/cdk8s-app (our constructs, kplus objects passed as props
and called on what we made, a foreign ApiObject). What `cdk8s --format helm` cannot
do is what is asserted: values that switch and tune objects, a strict schema, and a
default render equal to the synth.
"""

from __future__ import annotations

import cdk8s
import cdk8s_plus_28 as kplus
import kubernetes_validate
import pytest
import yaml
from conftest import by_identity, render, run_helm, strip_release_fields
from constructs import Construct

from constructs_lib import (
    ApiService,
    Autoscaling,
    HelmChart,
    HelmChartError,
    JobService,
    OptionalHpa,
    ProcessorService,
    ServiceAccount,
)
from constructs_lib.manifests import load_documents


def chart_of(out):
    return out / "charts" / "storefront"


def synth_of(out) -> dict:
    return by_identity([strip_release_fields(o) for o in load_documents((out / "manifests" / "storefront.k8s.yaml").read_text())])


def rendered(helm, chart, *args, namespace: str = "apps") -> dict:
    return by_identity(render(helm, chart, *args, namespace=namespace))


@pytest.mark.helm
def test_lint_strict_passes(helm, storefront):
    result = run_helm(helm, "lint", "--strict", chart_of(storefront))
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


@pytest.mark.helm
def test_default_render_equals_the_synth_and_is_valid_kubernetes(helm, storefront):
    objects = rendered(helm, chart_of(storefront))
    assert {k: strip_release_fields(o) for k, o in objects.items()} == synth_of(storefront)
    assert ("ResourceQuota", "storefront-quota") in objects and ("NetworkPolicy", "storefront-web-from-worker") in objects
    for obj in objects.values():
        assert obj["metadata"]["namespace"] == "apps"  # every object here is namespaced: the release's
        assert obj["metadata"]["labels"]["app.kubernetes.io/instance"] == "release"
        for version in ("1.29", "1.37"):
            kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.helm
@pytest.mark.parametrize(
    "args, kind, name, path, want",
    [
        (("--set", "logLevel=debug"), "ConfigMap", "storefront-settings", ("data", "LOG_LEVEL"), "debug"),
        (("--set-string", "quota.pods=10"), "ResourceQuota", "storefront-quota", ("spec", "hard", "pods"), "10"),
        (("--set", "storefront.apps.web.autoscaling.maxReplicas=9"), "HorizontalPodAutoscaler", "web-hpa", ("spec", "maxReplicas"), 9),
        (("--set", "storefront.apps.worker.replicas=4"), "Deployment", "worker", ("spec", "replicas"), 4),
        (
            ("--set", "storefront.apps.web.image.tag=1.5.0"),
            "Deployment",
            "web",
            ("spec", "template", "spec", "containers", 0, "image"),
            "registry.example.com/storefront/web:1.5.0",
        ),
    ],
)
def test_a_bound_knob_changes_its_object(helm, storefront, args, kind, name, path, want):
    obj = rendered(helm, chart_of(storefront), *args)[(kind, name)]
    for part in path:
        obj = obj[part]
    assert obj == want


@pytest.mark.helm
def test_switches_add_and_remove_objects(helm, storefront):
    default = rendered(helm, chart_of(storefront))
    assert ("HorizontalPodAutoscaler", "worker-hpa") not in default and "replicas" in default[("Deployment", "worker")]["spec"]
    switched = rendered(helm, chart_of(storefront), "--set", "storefront.apps.worker.autoscaling.enabled=true", "--set", "quota.enabled=false")
    assert switched[("HorizontalPodAutoscaler", "worker-hpa")]["spec"]["scaleTargetRef"]["name"] == "worker"
    assert "replicas" not in switched[("Deployment", "worker")]["spec"]  # the HPA owns it now
    assert ("ResourceQuota", "storefront-quota") not in switched
    account = rendered(helm, chart_of(storefront), "--set", "storefront.apps.worker.serviceAccount.create=true")
    assert ("ServiceAccount", "worker") in account


@pytest.mark.helm
@pytest.mark.parametrize(
    "args, message",
    [
        (("--set", "logLevl=debug"), "logLevl"),
        (("--set", "quota.enabled=maybe"), "quota"),
        (("--set", "quota.pods=10"), "quota"),  # the synth's "40" is a string: a number is refused
        (("--set", "storefront.apps.web.replicas=many"), "replicas"),
    ],
)
def test_the_schema_refuses_unknown_and_mistyped_values(helm, storefront, args, message):
    result = run_helm(helm, "template", "release", chart_of(storefront), *args, check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr


def test_building_twice_gives_the_same_chart():
    """The knobs go into copies of the constructs' bindings: the composition is left as it was."""

    def compose(chart):
        api = ApiService(chart, "cart", image="r/cart:1")
        return {"enabled_by": (api.service, "cartService.enabled"), "value": (api.service, "spec.type", "cartService.type")}

    _, helm_chart = build(compose)
    first = helm_chart.build().files
    assert b"$.Values.cartService.type" in first["templates/cart-service.yaml"]
    assert helm_chart.build().files == first


def test_values_and_readme_describe_the_bound_knobs(storefront):
    chart = chart_of(storefront)
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert values["logLevel"] == "info" and values["quota"] == {"pods": "40", "enabled": True}
    assert set(values["storefront"]["apps"]) == {"web", "worker"}
    assert (chart / "values.yaml").read_text().startswith("# Default values of storefront 1.4.0, generated from its cdk8s composition.")
    readme = (chart / "README.md").read_text()
    assert '| `logLevel` | string | `"info"` | The apps\' log level' in readme
    assert "| `quota.enabled` | boolean | `true` |" in readme
    assert yaml.safe_load((chart / "Chart.yaml").read_text())["version"] == "1.4.0"


# --- compositions beyond the example -------------------------------------------------


def build(compose, **helm_chart) -> tuple[cdk8s.Chart, HelmChart]:
    app = cdk8s.App()
    chart = cdk8s.Chart(app, "shop", disable_resource_name_hashes=True)
    knobs = compose(chart)
    knobs = knobs if isinstance(knobs, dict) else {}
    helm = HelmChart(app, **helm_chart)
    for method, args in knobs.items():
        getattr(helm, method)(*args)
    return chart, helm


def quota(chart: Construct, name: str = "shop-quota") -> cdk8s.ApiObject:
    obj = cdk8s.ApiObject(chart, name, api_version="v1", kind="ResourceQuota", metadata=cdk8s.ApiObjectMetadata(name=name))
    obj.add_json_patch(cdk8s.JsonPatch.add("/spec", {"hard": {"pods": "4"}}))
    return obj


@pytest.mark.helm
def test_cluster_scoped_and_explicitly_namespaced_objects_keep_their_namespace(helm, tmp_path):
    def compose(chart):
        kplus.ClusterRole(chart, "reader", metadata=cdk8s.ApiObjectMetadata(name="shop-reader"))
        kplus.ConfigMap(chart, "elsewhere", metadata=cdk8s.ApiObjectMetadata(name="shop-elsewhere", namespace="other"), data={"a": "b"})
        quota(chart)

    _, helm_chart = build(compose)
    helm_chart.write(tmp_path)
    objects = rendered(helm, tmp_path / "charts" / "shop", namespace="apps")
    assert "namespace" not in objects[("ClusterRole", "shop-reader")]["metadata"]
    assert objects[("ConfigMap", "shop-elsewhere")]["metadata"]["namespace"] == "other"
    assert objects[("ResourceQuota", "shop-quota")]["metadata"]["namespace"] == "apps"


@pytest.mark.helm
def test_kplus_objects_as_props_become_values_and_render_as_synthesized(helm, tmp_path):
    def compose(chart):
        db = kplus.Secret.from_secret_name(chart, "db", "shop-db")
        settings = kplus.ConfigMap(chart, "settings", metadata=cdk8s.ApiObjectMetadata(name="shop-settings"), data={"a": "b"})
        api = ApiService(
            chart,
            "cart",
            image="r/cart:1",
            env={"PASSWORD": kplus.EnvValue.from_secret_value(kplus.SecretValue(secret=db, key="pw")), "MODE": "live"},
            env_from=[kplus.Env.from_secret(db)],
            volumes=[kplus.Volume.from_config_map(chart, "settings-volume", settings, name="settings")],
            volume_mounts=[{"name": "settings", "mountPath": "/etc/shop"}],
            service_account=kplus.ServiceAccount.from_service_account_name(chart, "robot", "shop-robot"),
            image_pull_secrets=[kplus.Secret.from_secret_name(chart, "registry", "shop-registry"), "other-registry"],
        )
        made.append(api)

    made: list[ApiService] = []
    _, helm_chart = build(compose)
    values = made[0].app.values
    assert values["env"] == {"PASSWORD": {"valueFrom": {"secretKeyRef": {"name": "shop-db", "key": "pw"}}}, "MODE": "live"}
    assert values["envFrom"] == [{"secretRef": {"name": "shop-db"}}]
    assert values["volumes"] == [{"name": "settings", "configMap": {"name": "shop-settings"}}]
    assert values["serviceAccount"]["name"] == "shop-robot" and values["serviceAccount"]["automountToken"] is False
    assert values["imagePullSecrets"] == ["shop-registry", "other-registry"]
    helm_chart.write(tmp_path)
    objects = rendered(helm, tmp_path / "charts" / "shop")
    synth = by_identity([strip_release_fields(o) for o in load_documents((tmp_path / "manifests" / "shop.k8s.yaml").read_text())])
    assert {k: strip_release_fields(o) for k, o in objects.items()} == synth
    pod = objects[("Deployment", "cart")]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "shop-robot"
    assert {"name": "settings", "configMap": {"name": "shop-settings"}} in pod["volumes"]
    changed = rendered(helm, tmp_path / "charts" / "shop", "--set", "shop.apps.cart.env.MODE=test")
    env = changed[("Deployment", "cart")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "MODE", "value": "test"} in env


@pytest.mark.helm
def test_an_app_version_context_reaches_untagged_images_and_job_names(helm, tmp_path):
    app = cdk8s.App()
    app.node.set_context("appVersion", "2.0.1")
    chart = cdk8s.Chart(app, "batch", disable_resource_name_hashes=True)
    JobService(chart, "migrate", image="r/migrate")
    HelmChart(app, version="1.0.0").write(tmp_path)
    assert yaml.safe_load((tmp_path / "charts" / "batch" / "Chart.yaml").read_text())["appVersion"] == "2.0.1"
    synth = by_identity([strip_release_fields(o) for o in load_documents((tmp_path / "manifests" / "batch.k8s.yaml").read_text())])
    objects = {k: strip_release_fields(o) for k, o in rendered(helm, tmp_path / "charts" / "batch").items()}
    assert objects == synth
    (job,) = (o for (kind, _), o in objects.items() if kind == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "r/migrate:2.0.1"


def _reuse_id(chart):
    ApiService(chart, "cart", image="r/cart:1")
    ApiService(Construct(chart, "team"), "cart", image="r/cart:1", name="cart-two")


def _mutated_env(chart):
    api = ApiService(chart, "cart", image="r/cart:1")
    api.deployment.containers[0].env.add_variable("EXTRA", kplus.EnvValue.from_value("1"))


def _bound_by_us(chart):
    api = ApiService(chart, "cart", image="r/cart:1")
    return {"value": (api.deployment, "spec.replicas", "cartReplicas")}


@pytest.mark.parametrize(
    "compose, helm_chart, message",
    [
        (lambda c: None, {"name": "Shop_Chart"}, "HelmChart Shop_Chart: name: expected lowercase letters, digits and dashes"),
        (lambda c: None, {"version": "1.0"}, "HelmChart shop: version: expected a semantic version like 1.2.3, got '1.0'"),
        (lambda c: None, {"app_version": "v 1"}, "HelmChart shop: app_version: expected a value usable as an image tag"),
        (lambda c: {"value": (quota(c), "spec.hard.pods", "global.pods")}, {}, "HelmChart shop: key: expected a key outside"),
        (lambda c: {"value": (quota(c), "spec.hard.pods", "pods-max")}, {}, "HelmChart shop: key: expected a dotted values key"),
        (lambda c: {"value": (quota(c), "spec..pods", "pods")}, {}, "HelmChart shop: field: expected a path like"),
        (lambda c: {"value": (quota(c), "spec.soft", "pods")}, {}, "HelmChart shop: pods: expected a field ResourceQuota shop-quota has"),
        (lambda c: {"enabled_by": (Construct(c, "plain"), "on")}, {}, "HelmChart shop: enabled_by: expected an ApiObject or a cdk8s-plus resource"),
        (_bound_by_us, {}, "HelmChart shop: cartReplicas: expected a field no construct binds already, got 'Deployment cart spec.replicas'"),
        (_reuse_id, {}, "HelmChart shop: shop/team/cart: expected an id no other service has (values key shop.apps.cart: shop/cart)"),
        (
            lambda c: ApiService(c, "cart", image="r/cart:1", autoscaling=Autoscaling()),
            {},
            "HelmChart shop: shop/cart: autoscaling: the prop is on, so add an OptionalHpa with this target",
        ),
        (_mutated_env, {}, "HelmChart shop: shop/cart: Deployment cart: spec.template.spec.containers.0.env: changed after construction"),
        (
            lambda c: {"value": (quota(c), "spec.hard.pods", "q.pods"), "enabled_by": (quota(c, "other"), "q.pods")},
            {},
            "HelmChart shop: q.pods: expected one default and schema per key",
        ),
    ],
)
def test_a_composition_the_chart_cannot_honour_is_refused_in_one_line(compose, helm_chart, message):
    with pytest.raises(HelmChartError) as caught:
        build(compose, **helm_chart)[1].build()
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_spec_chart_is_refused_with_the_way_to_build_it():
    from constructs_lib import DomainChart, parse_spec

    app = cdk8s.App()
    DomainChart(app, parse_spec({"domain": "shop", "charts": {"web": {"apps": ["cart_api"]}}}, "inline")[0])
    with pytest.raises(HelmChartError, match=r"^HelmChart: shop-web: expected a composition, got a DomainChart; build spec charts with main.py$"):
        HelmChart(app)


@pytest.mark.helm
def test_a_switched_off_optional_object_is_absent_from_the_synth_but_has_its_template(helm, tmp_path):
    def compose(chart):
        worker = ProcessorService(chart, "mail", image="r/mail:1", autoscaling=Autoscaling(enabled=False))
        OptionalHpa(chart, "mail-hpa", target=worker)

    chart, helm_chart = build(compose)
    assert {o["kind"] for o in chart.to_json()} == {"Deployment"}
    helm_chart.write(tmp_path)
    assert ("HorizontalPodAutoscaler", "mail-hpa") not in rendered(helm, tmp_path / "charts" / "shop")
    switched = rendered(helm, tmp_path / "charts" / "shop", "--set", "shop.apps.mail.autoscaling.enabled=true")
    assert switched[("HorizontalPodAutoscaler", "mail-hpa")]["spec"]["scaleTargetRef"]["name"] == "mail"


def test_a_block_no_construct_reads_is_refused_while_on():
    _, helm_chart = build(lambda c: ProcessorService(c, "mail", image="r/mail:1", service_account=ServiceAccount(create=True)))
    with pytest.raises(HelmChartError, match=r"shop/mail: service_account: the prop is on, so add an OptionalServiceAccount"):
        helm_chart.build()
