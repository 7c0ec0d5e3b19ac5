"""The gateway feature: HTTPRoute and GRPCRoute beside the Ingress, live knobs, checked
against the real Gateway API CRDs (v1.6.3, scripts/setup.sh --test)."""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT, by_identity, installed_crds, render, run_cli, run_helm, strip_release_fields
from test_servicemonitor_crd import DNS_SUBDOMAIN, served_schema, strict

from constructs_lib import SpecError, build_all, parse_spec
from constructs_lib.pipeline import write_outputs

CRDS = {kind: ROOT / ".tools" / "crds" / f"gateway.networking.k8s.io_{kind.lower()}s.yaml" for kind in ("HTTPRoute", "GRPCRoute")}
PARENTS = [{"name": "shared", "namespace": "gateway-system", "sectionName": "https"}]
SHOP = {
    "domain": "shop",
    "charts": {
        "web": {
            "features": {"gateway": True, "ingress": True},
            "apps": {
                "cart_api": {},
                "ledger_api": {
                    "ports": [{"name": "grpc", "port": 9000, "appProtocol": "grpc"}],
                    "gateway": {"kind": "GRPCRoute", "port": 9000, "service": "payments.v1.Ledger", "method": "Post"},
                },
                "search_api": {"gateway": {"path": "/search", "pathType": "Exact"}},
                "celery_beat": {},
            },
            "custom_values": {"gateway.parentRefs": PARENTS, "gateway.hostnames": ["shop.example.com"]},
        }
    },
}


@pytest.fixture(scope="module")
def crds() -> dict[str, dict]:
    import jsonschema

    installed_crds(*(p.name for p in CRDS.values()))
    return {kind: jsonschema.Draft4Validator(strict(served_schema(yaml.safe_load(p.read_text())))) for kind, p in CRDS.items()}


def route_problems(objects: list[dict], crds) -> list[str]:
    found = []
    for obj in objects:
        if obj["kind"] in crds:
            assert obj["apiVersion"] == "gateway.networking.k8s.io/v1"
            assert DNS_SUBDOMAIN.fullmatch(obj["metadata"]["name"])
            found += [f"{obj['kind']} {e.json_path}: {e.message}" for e in crds[obj["kind"]].iter_errors(obj)]
    return found


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    build = build_all(parse_spec(SHOP, "shop.yaml"))[0]
    out = tmp_path_factory.mktemp("gateway")
    write_outputs([build], out)
    return build, out / "charts" / "shop-web"


def routes(objects) -> dict:
    return {o["kind"]: o for o in objects if o["kind"] in CRDS}


def test_the_routes_send_each_api_to_its_service_and_port(shop, crds):
    build, _ = shop
    http, grpc = routes(build.objects)["HTTPRoute"], routes(build.objects)["GRPCRoute"]
    assert http["metadata"]["name"] == "shop-web-route" and grpc["metadata"]["name"] == "shop-web-grpcroute"
    assert http["spec"]["parentRefs"] == PARENTS and http["spec"]["hostnames"] == ["shop.example.com"]
    assert http["spec"]["rules"] == [
        {"backendRefs": [{"name": "shop-web-cart-api-service", "port": 8000}], "matches": [{"path": {"type": "PathPrefix", "value": "/cart-api"}}]},
        {"backendRefs": [{"name": "shop-web-search-api-service", "port": 8000}], "matches": [{"path": {"type": "Exact", "value": "/search"}}]},
    ]  # celery_beat matches no naming rule: not routed unless asked
    assert grpc["spec"]["rules"] == [
        {
            "backendRefs": [{"name": "shop-web-ledger-api-service", "port": 9000}],
            "matches": [{"method": {"method": "Post", "service": "payments.v1.Ledger"}}],
        }
    ]
    assert route_problems(build.objects, crds) == []
    typo = {**http, "spec": {**http["spec"], "rules": [{**http["spec"]["rules"][0], "backendRef": []}]}}
    assert route_problems([typo], crds) == ["HTTPRoute $.spec.rules[0]: Additional properties are not allowed ('backendRef' was unexpected)"]


def test_default_render_equals_synth_and_every_route_knob_is_live(helm, shop, crds):
    build, chart = shop
    default = by_identity([strip_release_fields(o) for o in render(helm, chart)])
    assert default == by_identity(build.objects)
    moved = routes(render(helm, chart, "--set", "shop.apps.cart_api.gateway.path=/v2"))
    before = routes(build.objects)["HTTPRoute"]["spec"]["rules"]
    assert moved["HTTPRoute"]["spec"]["rules"] == [
        {**before[0], "matches": [{"path": {"type": "PathPrefix", "value": "/v2"}}]},
        before[1],
    ]  # that rule only
    switched = render(
        helm,
        chart,
        *("--set", "shop.apps.cart_api.gateway.kind=GRPCRoute"),
        *("--set", "shop.apps.celery_beat.gateway.enabled=true"),
        *("--set", "shop.apps.search_api.gateway.kind=GRPCRoute"),
        *("--set-json", 'gateway.parentRefs=[{"name":"edge","port":443}]'),
        *("--set", "gateway.annotations.team=shop"),
    )
    got = routes(switched)
    assert [r["backendRefs"][0]["name"] for r in got["GRPCRoute"]["spec"]["rules"]] == [
        "shop-web-cart-api-service",
        "shop-web-ledger-api-service",
        "shop-web-search-api-service",
    ]
    assert "matches" not in got["GRPCRoute"]["spec"]["rules"][0]  # no service or method: every call
    assert got["HTTPRoute"]["spec"]["rules"] == [
        {
            "backendRefs": [{"name": "shop-web-celery-beat-service", "port": 8000}],
            "matches": [{"path": {"type": "PathPrefix", "value": "/celery-beat"}}],
        }
    ]
    assert got["GRPCRoute"]["spec"]["parentRefs"] == [{"name": "edge", "port": 443}]
    assert got["HTTPRoute"]["metadata"]["annotations"] == {"team": "shop"}
    assert route_problems(switched, crds) == []
    off = render(helm, chart, "--set", "gateway.enabled=false")
    assert routes(off) == {} and any(o["kind"] == "Ingress" for o in off)  # the Ingress stays: the two are independent


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "gateway.parentRefs=null"), "missing property 'parentRefs'"),
        (("--set-json", "gateway.parentRefs=[]"), "gateway.parentRefs: the routes attach to no Gateway"),
        (
            ("--set", "shop.apps.search_api.gateway.path=/cart-api"),
            "shop.apps.search_api.gateway.path: path /cart-api is already used by app cart_api",
        ),
        (("--set", "shop.apps.cart_api.gateway.pathType=Prefix"), "/shop/apps/cart_api/gateway/pathType"),
        (("--set", "gateway.hostnames[0]=Not_A_Host"), "/gateway/hostnames/0"),
    ],
)
def test_bad_route_values_fail_naming_the_key(helm, shop, args, message):
    result = run_helm(helm, "template", "r", shop[1], *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-1500:]


def _problems(chart: dict) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as err:
        parse_spec({"domain": "shop", "charts": {"web": chart}}, "spec.yaml")
    return [(p.key, p.message) for p in err.value.problems]


def test_spec_mistakes_name_the_key():
    assert _problems({"features": {"gateway": True}, "apps": ["cart_api"]}) == [
        (
            'charts.web.custom_values."gateway.parentRefs"',
            "the routes attach to no Gateway: set gateway.parentRefs, e.g. [{name: shared, namespace: gateway-system}]",
        )
    ]
    assert _problems({"apps": {"cart_api": {"gateway": {"path": "/x"}}}}) == [
        ("charts.web.apps.cart_api.gateway", "the chart does not enable the gateway feature")
    ]
    on = {"features": {"gateway": True}, "custom_values": {"gateway.parentRefs": PARENTS}}
    assert _problems({**on, "apps": {"mail_worker": {"gateway": {"path": "/x"}}}}) == [
        ("charts.web.apps.mail_worker.gateway", "gateway applies to api apps only")
    ]
    assert _problems({**on, "apps": {"a_api": {"gateway": {"path": "/x"}}, "b_api": {"gateway": {"path": "/x"}}}}) == [
        ("charts.web.apps.b_api.gateway.path", "path /x is already used by app a_api")
    ]
    assert _problems({**on, "apps": {"a_api": {"gateway": {"kind": "TCPRoute"}}}})[0][0] == "charts.web.apps.a_api.gateway.kind"


def test_a_cdk8s_app_routes_an_api_service_with_the_gateway_route_prop():
    import cdk8s

    from constructs_lib import ApiService, GatewayRoute

    app = cdk8s.App()
    chart = cdk8s.Chart(app, "shop")
    api = ApiService(chart, "cart", image="r/cart:1", gateway=GatewayRoute(path="/cart", path_type="Exact"))
    assert api.app.values["gateway"] == {"enabled": True, "kind": "HTTPRoute", "path": "/cart", "pathType": "Exact"}
    assert api.app.shape.gateway


def test_import_maps_both_routes_back_into_the_spec(shop, tmp_path):
    build, chart = shop
    manifests = chart.parent.parent / "manifests" / "shop-web.k8s.yaml"
    result = run_cli("import", manifests, "--domain", "shop", "--chart", "web", "-o", tmp_path / "spec.yaml")
    assert result.returncode == 0, result.stderr
    assert "HTTPRoute" not in result.stderr and "GRPCRoute" not in result.stderr  # nothing of the routes unmapped
    spec = yaml.safe_load((tmp_path / "spec.yaml").read_text())
    web = spec["charts"]["web"]
    assert web["features"]["gateway"] is True
    assert web["custom_values"]["gateway.parentRefs"] == PARENTS and web["custom_values"]["gateway.hostnames"] == ["shop.example.com"]
    again = build_all(parse_spec(spec, "spec.yaml"))[0]
    assert routes(again.objects) == routes(build.objects)
