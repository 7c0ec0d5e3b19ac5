"""The spec model: defaults, features, custom values and the values layout."""

import pytest

from constructs_lib import SpecError, parse_spec


def chart(apps, **extra):
    return parse_spec({"domain": "shop", "charts": {"web": {"apps": apps, **extra}}}, "spec.yaml")[0]


def problems(doc):
    with pytest.raises(SpecError) as err:
        parse_spec(doc, "spec.yaml")
    return [(p.key, p.message) for p in err.value.problems]


def test_defaults_of_an_api_app():
    model = chart(["cart_api"])
    values = model.values["shop"]["apps"]["cart_api"]
    assert values["type"] == "api"
    assert values["port"] == 8000 and values["healthPath"] == "/health"
    # An empty tag renders as global.image.tag, else the chart's appVersion (0.1.0 here).
    assert values["image"] == {"repository": "registry.example.com/shop-cart-api", "tag": "", "pullPolicy": "Always"}
    assert "podDisruptionBudget" not in values and "autoscaling" not in values and "ingress" not in values
    assert "ingress" not in model.values


def test_detected_type_is_visible_and_explicit_type_wins():
    model = chart({"status_processor": None, "worker_dal_api": None, "odd_worker": {"type": "api"}})
    types = {k: v["type"] for k, v in model.values["shop"]["apps"].items()}
    assert types == {"status_processor": "processor", "worker_dal_api": "api", "odd_worker": "api"}


@pytest.mark.parametrize("value", [True, "true", "TRUE", "True"])
def test_feature_flags_accept_booleans_and_strings(value):
    model = chart(["cart_api", "email_worker"], features={"pdb": value, "hpa": value, "ingress": value})
    apps = model.values["shop"]["apps"]
    assert apps["cart_api"]["podDisruptionBudget"] == {"enabled": True}
    assert apps["email_worker"]["podDisruptionBudget"] == {"enabled": True}
    assert "autoscaling" in apps["cart_api"] and "autoscaling" not in apps["email_worker"]
    assert apps["cart_api"]["ingress"] == {"enabled": True, "path": "/cart-api", "pathType": "Prefix"}


@pytest.mark.parametrize("value", ["yes", "1", 1, None, "on"])
def test_feature_flags_refuse_anything_else(value):
    found = problems({"domain": "shop", "charts": {"web": {"apps": ["a_api"], "features": {"pdb": value}}}})
    assert found == [("charts.web.features.pdb", f"expected true or false (boolean or string), got {value!r}")]


def test_custom_values_set_nested_values_and_unknown_paths_fail():
    model = chart(["cart_api"], features={"ingress": True}, custom_values={"global.env.APP_ENV": "prod", "ingress.host": "shop.example.com"})
    assert model.values["global"]["env"] == {"APP_ENV": "prod"}
    assert model.ingress["host"] == "shop.example.com"
    found = problems({"domain": "shop", "charts": {"web": {"apps": ["a_api"], "custom_values": {"ingres.host": "x"}}}})
    assert found[0][0] == 'charts.web.custom_values."ingres.host"'
    assert "no value 'ingres'" in found[0][1]


def test_command_string_is_split_shell_style_and_image_string_is_a_repository():
    model = parse_spec(
        {
            "domain": "shop",
            "apps": {"cart_api": {"command": "start --name 'my service'", "image": "reg:5000/team/cart:1.2"}},
            "charts": {"web": {"apps": ["cart_api"]}},
        },
        "spec.yaml",
    )[0]
    values = model.values["shop"]["apps"]["cart_api"]
    assert values["command"] == ["start", "--name", "my service"]
    assert values["image"]["repository"] == "reg:5000/team/cart" and values["image"]["tag"] == "1.2"


def test_chart_settings_override_release_metadata_and_env_is_strings():
    model = parse_spec(
        {
            "domain": "shop",
            "apps": {"cart_api": {"replicas": 3, "env": {"A": 1, "B": True}, "description": "Cart"}},
            "charts": {"web": {"apps": {"cart_api": {"replicas": 5}}}},
        },
        "spec.yaml",
    )[0]
    app = model.apps[0]
    assert app.values["replicas"] == 5
    assert app.values["env"] == {"A": "1", "B": "true"}
    assert app.meta.description == "Cart"


def test_pdb_that_blocks_drains_is_refused():
    found = problems(
        {"domain": "shop", "charts": {"web": {"apps": {"cart_api": {"replicas": 1, "podDisruptionBudget": {"enabled": True, "minAvailable": 1}}}}}}
    )
    assert found == [
        (
            "charts.web.apps.cart_api.podDisruptionBudget.minAvailable",
            "minAvailable 1 with 1 pod(s) would block every node drain; use a lower value or maxUnavailable",
        )
    ]


def test_several_problems_are_reported_together():
    found = problems({"domain": "shop", "charts": {"web": {"apps": {"cart_api": {"replicas": -1, "port": "80", "colour": "red"}}}}})
    keys = {k for k, _ in found}
    assert keys == {"charts.web.apps.cart_api.replicas", "charts.web.apps.cart_api.port", "charts.web.apps.cart_api.colour"}


def test_names_colliding_after_sanitizing_are_errors():
    found = problems({"domain": "shop", "charts": {"web": {"apps": ["my_api", "my-api"]}}})
    assert found[0][0] == "charts.web.apps.my-api"
    assert "collides" in found[0][1]


def test_duplicate_ingress_paths_are_errors():
    found = problems(
        {
            "domain": "shop",
            "charts": {"web": {"features": {"ingress": True}, "apps": {"a_api": {"ingress": {"path": "/x"}}, "b_api": {"ingress": {"path": "/x"}}}}},
        }
    )
    assert found == [("charts.web.apps.b_api.ingress.path", "path /x is already used by app a_api")]


@pytest.mark.parametrize(
    ("settings", "key", "message"),
    [
        ({"resources": {"requests": {"cpu": "1"}}}, "resources.requests.cpu", "request 1 is above the limit 500m"),
        ({"resources": {"requests": {"memory": "300Mi"}, "limits": {"memory": "0.25Gi"}}}, "resources.requests.memory", "above the limit"),
        ({"securityContext": {"privileged": True}}, "securityContext.allowPrivilegeEscalation", "must be true while privileged"),
        ({"tolerations": [{"operator": "Exists", "value": "x"}]}, "tolerations[0].value", "must be empty when operator is Exists"),
        ({"tolerations": [{"key": "k", "tolerationSeconds": 5}]}, "tolerations[0].tolerationSeconds", "only allowed with effect NoExecute"),
        ({"nodeSelector": {"disk": "x_"}}, "nodeSelector.disk", "does not match"),
        ({"ingress": {"path": "/a//b"}}, "ingress.path", "not allowed"),
        ({"podSecurityContext": {"seccompProfile": {"type": "Localhost"}}}, "podSecurityContext.seccompProfile", "expected"),
        ({"podSpec": {"affinity": {}}}, "podSpec.affinity", "the chart sets this field; use affinity"),
        ({"podSpec": {"enableServiceLinks": True}}, "podSpec.enableServiceLinks", "the chart keeps it false"),
        ({"container": {"livenessProbe": {}}}, "container.livenessProbe", "use probes.liveness"),
        ({"container": {"workDir": "/x"}}, "container.workDir", "did you mean 'workingDir'"),
        ({"sidecars": [{"name": "proxy", "image": "envoy:1", "restartPolicy": "Always"}]}, "sidecars[0].restartPolicy", "it is Always"),
        ({"sidecars": [{"name": "p", "image": "e:1", "ports": [{"containerPort": 1, "prot": "TCP"}]}]}, "sidecars[0].ports[0].prot", "unknown key"),
        ({"sidecars": [{"name": "proxy"}]}, "sidecars[0].image", "missing required key"),
        ({"initContainers": [{"name": "w", "image": "b:1", "lifecycle": {}}]}, "initContainers[0].lifecycle", "use sidecars"),
        ({"sidecars": [{"name": "a", "image": "b:1"}], "initContainers": [{"name": "a", "image": "b:1"}]}, "initContainers[0].name", "a is already"),
    ],
)
def test_rules_the_api_server_enforces_are_checked_at_generation_time(settings, key, message):
    found = problems({"domain": "shop", "charts": {"web": {"features": {"ingress": True}, "apps": {"cart_api": settings}}}})
    assert [k for k, _ in found] == [f"charts.web.apps.cart_api.{key}"]
    assert message in found[0][1]


def test_equal_quantities_in_other_units_are_fine():
    model = chart({"cart_api": {"resources": {"requests": {"cpu": "300m", "memory": "1Gi"}, "limits": {"cpu": "0.3", "memory": "1024Mi"}}}})
    assert model.apps[0].values["resources"]["limits"]["cpu"] == "0.3"


@pytest.mark.parametrize(("key", "value"), [("ingress.host", "1.2.3.4"), ("ingress.ingressClassName", "Bad_Class")])
def test_ingress_values_the_api_server_refuses(key, value):
    found = problems({"domain": "shop", "charts": {"web": {"features": {"ingress": True}, "apps": ["cart_api"], "custom_values": {key: value}}}})
    assert found[0][0] == f'charts.web.custom_values."{key}"'


def test_a_cronjob_is_written_as_such_and_keeps_the_job_settings():
    model = chart({"nightly_report": {"type": "cronjob", "schedule": "30 2 * * *", "timeZone": "Europe/Berlin"}})
    (app,) = model.apps
    assert app.type == "cronjob" and app.is_job
    values = app.values
    assert (values["schedule"], values["timeZone"], values["concurrencyPolicy"], values["startingDeadlineSeconds"]) == (
        "30 2 * * *",
        "Europe/Berlin",
        "Forbid",
        600,
    )
    assert (values["successfulJobsHistoryLimit"], values["failedJobsHistoryLimit"], values["suspend"]) == (3, 1, False)
    assert values["backoffLimit"] == 3 and "ttlSecondsAfterFinished" not in values  # history limits clean up runs
    long = chart({"a_very_long_application_name_that_goes_on_and_on": {"type": "cronjob", "schedule": "@daily"}}).apps[0]
    name = long.names.workload
    assert len(name) <= 52 and name.startswith("shop-web-a-very-long") and name[-9] == "-"  # cut, with a stable hash
    assert len(long.names.config) > 52  # only the CronJob's own name has the lower limit


@pytest.mark.parametrize(
    ("settings", "key", "message"),
    [
        ({}, "schedule", "missing required key"),
        ({"schedule": "not a cron"}, "schedule", "does not match the expected form: When to run"),
        ({"schedule": "0 24 * * *"}, "schedule", "does not match"),
        ({"schedule": "TZ=UTC 0 2 * * *"}, "schedule", "does not match"),
        ({"schedule": "@daily", "timeZone": "Europe Berlin"}, "timeZone", "does not match"),
        ({"schedule": "@daily", "concurrencyPolicy": "Never"}, "concurrencyPolicy", "expected one of 'Forbid', 'Allow', 'Replace'"),
        ({"schedule": "@daily", "replicas": 2}, "replicas", "does not apply to a cronjob"),
        ({"schedule": "@daily", "hook": "pre-install"}, "hook", "hooks apply to jobs only"),
        ({"schedule": "@daily", "ttlSecondsAfterFinished": 60}, "ttlSecondsAfterFinished", "unknown key"),
    ],
)
def test_bad_cronjob_settings_name_the_key(settings, key, message):
    found = problems({"domain": "shop", "charts": {"web": {"apps": {"nightly": {"type": "cronjob", **settings}}}}})
    assert [k for k, _ in found] == [f"charts.web.apps.nightly.{key}"], found
    assert message in found[0][1]


def test_the_network_policy_feature_gives_every_app_a_policy_and_the_chart_its_peers():
    apps = {"cart_api": {}, "queue_worker": {}, "nightly": {"type": "cronjob", "schedule": "@daily"}}
    model = chart(apps, features={"networkPolicy": "true"})
    assert all(app.values["networkPolicy"] == {"enabled": True, "ingress": [], "egress": []} for app in model.apps)
    assert model.values["networkPolicy"]["ingressFrom"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    opted = chart({"cart_api": {"networkPolicy": {"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}}, "b_api": {}})
    assert [("networkPolicy" in app.values) for app in opted.apps] == [True, False] and "networkPolicy" in opted.values
    assert "networkPolicy" not in chart(["cart_api"]).values


def test_a_misspelled_network_policy_rule_names_the_key():
    found = problems({"domain": "shop", "charts": {"web": {"apps": {"cart_api": {"networkPolicy": {"egress": [{"to": [{"ipBlok": {}}]}]}}}}}})
    assert found[0][0] == "charts.web.apps.cart_api.networkPolicy.egress[0].to[0].ipBlok" and "did you mean 'ipBlock'" in found[0][1]


ROLE = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "x"}}


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "dat": {}}, "[0].dat", "unknown field (did you mean 'data'?)"),
        ({**ROLE, "rules": [{"verbs": "get"}]}, "[0].rules[0].verbs", "is not of type"),
        ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop-web-cart-api-service"}}, "[0].metadata.name", "the chart's own"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "[0].metadata.name", "missing required key"),
    ],
)
def test_bad_extra_objects_name_the_key(extra, key, message):
    found = problems({"domain": "shop", "charts": {"web": {"apps": ["cart_api"], "custom_values": {"extraObjects": [extra]}}}})
    assert found[0][0] == f"charts.web.custom_values.extraObjects{key}", found
    assert message in found[0][1], found


def test_extra_objects_of_newer_kinds_and_custom_resources_are_accepted():
    secret = {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret", "metadata": {"name": "db"}, "spec": {"anything": 1}}
    policy = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy", "metadata": {"name": "p"}, "spec": {}}
    model = chart(["cart_api"], custom_values={"extraObjects": [secret, policy]})
    assert model.values["extraObjects"] == [secret, policy]


def test_a_chart_may_name_only_the_specs_apps():
    found = problems({"domain": "pay", "apps": {"ledger_api": {}}, "charts": {"web": {"apps": ["ledgr_api"]}}})
    assert found == [("charts.web.apps.ledgr_api", "not one of the spec's apps (did you mean 'ledger_api'?); define it under apps: or fix the name")]


@pytest.mark.parametrize(
    ("settings", "floor"),
    [({"replicas": 3}, 3), ({"replicas": 3, "autoscaling": {"minReplicas": 2}}, 2), ({}, 2)],
)
def test_replicas_written_next_to_autoscaling_become_its_floor(settings, floor):
    app = chart({"cart_api": settings}, features={"hpa": True}).apps[0]
    assert app.values["autoscaling"]["minReplicas"] == floor
    assert app.values["replicas"] == settings.get("replicas", 2)  # still the count while autoscaling is switched off


def test_replicas_above_the_autoscaling_ceiling_name_the_key():
    found = problems({"domain": "shop", "charts": {"web": {"features": {"hpa": True}, "apps": {"cart_api": {"replicas": 20}}}}})
    assert found == [("charts.web.apps.cart_api.replicas", "minReplicas must not exceed maxReplicas")]


def test_an_api_by_fallback_gets_no_ingress_path_unless_asked():
    model = chart({"cart_api": None, "celery_beat": None, "api_server": None, "asked": {"ingress": {"path": "/asked"}}}, features={"ingress": True})
    apps = model.values["shop"]["apps"]
    assert {key: apps[key]["ingress"]["enabled"] for key in apps} == {"cart_api": True, "celery_beat": False, "api_server": True, "asked": True}
    assert {app.key: app.type_reason for app in model.apps} == {
        "cart_api": "name ends in api",
        "celery_beat": "fallback: the name matches no rule",
        "api_server": "name has the word api",
        "asked": "fallback: the name matches no rule",
    }
    typed = chart({"celery_beat": {"type": "api"}}, features={"ingress": True})
    assert typed.values["shop"]["apps"]["celery_beat"]["ingress"]["enabled"] is True
    assert typed.apps[0].type_reason == "type written"


def test_every_problem_of_a_spec_is_reported_in_one_run():
    """A chart-level typo used to hide the apps' typos until the next run."""
    found = problems(
        {
            "domain": "shop",
            "charts": {
                "web": {
                    "featurs": {"pdb": True},
                    "apps": {"a_api": {"replcas": 3, "helthPath": "/x", "autoscaling": 5}, "b": {"type": "jbo"}},
                    "custom_values": {"shop.apps.b.replicas": 1, "shop.apps.a_api.nope": 2},
                }
            },
        }
    )
    assert [key for key, _ in found] == [
        "charts.web.apps.a_api.autoscaling",
        "charts.web.apps.a_api.helthPath",
        "charts.web.apps.a_api.replcas",
        "charts.web.apps.b.type",
        'charts.web.custom_values."shop.apps.a_api.nope"',
        "charts.web.featurs",
    ]


def test_a_pattern_ends_at_the_end_of_the_text_as_in_helm():
    """Python's `$` also matches before a final newline; Go's (Helm's) does not."""
    found = problems({"domain": "shop", "charts": {"web": {"apps": {"cart_api": {"nodeSelector": {"team": "a\n"}}}}}})
    assert [key for key, _ in found] == ["charts.web.apps.cart_api.nodeSelector.team"]
