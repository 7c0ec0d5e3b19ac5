"""Secrets, config files, identity, registries and volumes (the payments example), with real Helm 3 and 4."""

import hashlib

import pytest
from conftest import by_identity, render, run_helm

CHART = "payments-ledger-chart"
LEDGER = f"{CHART}-ledger-api"
CONSUMER = f"{CHART}-kafka-consumer"


def chart_dir(out):
    return out / "charts" / CHART


def refusal(helm, example_out, *args) -> str:
    """stderr of a `helm template` of the payments chart that must fail."""
    result = run_helm(helm, "template", "r", chart_dir(example_out), *args, check=False)
    assert result.returncode != 0, f"{args} was accepted"
    return result.stderr


def pod_spec(objects, name, kind="Deployment"):
    return by_identity(objects)[(kind, name)]["spec"]["template"]["spec"]


def test_the_deployment_references_secrets_config_identity_and_registry(helm, example_out):
    objects = render(helm, chart_dir(example_out))
    found = by_identity(objects)
    spec = pod_spec(objects, LEDGER)
    (app,) = spec["containers"]
    env = {e["name"]: e for e in app["env"]}
    assert env["DB_PASSWORD"] == {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "ledger-db", "key": "password"}}}
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert app["envFrom"] == [{"configMapRef": {"name": "payments-shared"}}]
    assert {"name": "config", "configMap": {"name": f"{LEDGER}-config"}} in spec["volumes"]
    assert {"name": "config", "mountPath": "/etc/ledger-api", "readOnly": True} in app["volumeMounts"]
    assert spec["serviceAccountName"] == LEDGER and spec["automountServiceAccountToken"] is False
    assert spec["imagePullSecrets"] == [{"name": "registry-credentials"}]
    template = found[("Deployment", LEDGER)]["spec"]["template"]["metadata"]
    assert template["labels"]["azure.workload.identity/use"] == "true"
    config = found[("ConfigMap", f"{LEDGER}-config")]
    assert "{{ .Values.secret }}" in config["data"]["ledger.yaml"]  # user text stays data
    assert (
        template["annotations"]["checksum/config"]
        == hashlib.sha256(('{"ledger.yaml":"' + config["data"]["ledger.yaml"].replace("\n", "\\n") + '"}').encode()).hexdigest()
    )
    account = found[("ServiceAccount", LEDGER)]
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/payments-ledger"}
    assert account["automountServiceAccountToken"] is False
    # An existing account is used by name and not created.
    assert pod_spec(objects, f"{CHART}-checkout-api")["serviceAccountName"] == "checkout"
    assert ("ServiceAccount", "checkout") not in found
    # Secret volumes mount read-only unless the mount says otherwise.
    consumer = pod_spec(objects, CONSUMER)["containers"][0]
    mounts = {m["name"]: m for m in consumer["volumeMounts"]}
    assert mounts["kafka-tls"] == {"name": "kafka-tls", "mountPath": "/etc/kafka/tls", "readOnly": True}
    assert "readOnly" not in mounts["cache"]
    assert consumer["envFrom"] == [{"configMapRef": {"name": "payments-shared"}}, {"secretRef": {"name": "kafka-credentials"}, "prefix": "KAFKA_"}]


@pytest.mark.parametrize("how", ["set", "values-file"])
def test_one_global_tag_changes_every_image_and_numbers_work(helm, example_out, tmp_path, how):
    if how == "set":
        args = ["--set", "global.image.tag=20241101"]  # an int64 from --set
    else:
        values = tmp_path / "values.yaml"
        values.write_text("global:\n  image:\n    tag: 20241101\n")  # a float64 from a values file
        args = ["-f", values]
    objects = render(helm, chart_dir(example_out), *args)
    images = [c["image"] for o in objects if o["kind"] in ("Deployment", "Job") for c in o["spec"]["template"]["spec"]["containers"]]
    assert len(images) == 4 and all(i.endswith(":20241101") for i in images), images


def test_an_apps_own_tag_wins_and_a_global_registry_replaces_the_host(helm, example_out):
    objects = render(
        helm,
        chart_dir(example_out),
        "--set",
        "global.image.tag=9.9.9",
        "--set",
        "payments.apps.checkout_api.image.tag=1.0.1",
        "--set",
        "global.image.registry=mirror.internal:5000",
    )
    images = {o["metadata"]["name"]: o["spec"]["template"]["spec"]["containers"][0]["image"] for o in objects if o["kind"] == "Deployment"}
    assert images[LEDGER] == "mirror.internal:5000/payments/payments-ledger-api:9.9.9"
    assert images[f"{CHART}-checkout-api"] == "mirror.internal:5000/payments/payments-checkout-api:1.0.1"


def test_identity_knobs_are_live(helm, example_out):
    objects = by_identity(
        render(
            helm,
            chart_dir(example_out),
            "--set",
            "payments.apps.ledger_api.serviceAccount.annotations.team=ledger",
            "--set",
            "payments.apps.kafka_consumer.serviceAccount.create=true",
            "--set",
            "payments.apps.kafka_consumer.serviceAccount.automountToken=true",
        )
    )
    assert objects[("ServiceAccount", LEDGER)]["metadata"]["annotations"]["team"] == "ledger"
    assert objects[("ServiceAccount", CONSUMER)]["automountServiceAccountToken"] is True
    consumer = objects[("Deployment", CONSUMER)]["spec"]["template"]["spec"]
    assert (consumer["serviceAccountName"], consumer["automountServiceAccountToken"]) == (CONSUMER, True)


def test_a_config_change_rolls_the_pods_and_disabling_removes_config_and_account(helm, example_out):
    before = by_identity(render(helm, chart_dir(example_out)))
    after = by_identity(render(helm, chart_dir(example_out), "--set-string", "payments.apps.ledger_api.configFiles.ledger\\.yaml=currency: USD"))
    checksum = [o[("Deployment", LEDGER)]["spec"]["template"]["metadata"]["annotations"]["checksum/config"] for o in (before, after)]
    assert checksum[0] != checksum[1]
    assert after[("ConfigMap", f"{LEDGER}-config")]["data"] == {"ledger.yaml": "currency: USD"}
    gone = by_identity(render(helm, chart_dir(example_out), "--set", "payments.apps.ledger_api.enabled=false"))
    assert not [key for key in gone if LEDGER in key[1]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "payments.apps.ledger_api.env.X.valueFrom.secretKeyRf.name=x"], "secretKeyRf"),
        (["--set-json", 'payments.apps.kafka_consumer.volumes=[{"name":"tmp","emptyDir":{}}]'], "volume name tmp is the chart's own"),
        (["--set-json", 'payments.apps.kafka_consumer.volumeMounts=[{"name":"nope","mountPath":"/x"}]'], "mounts volume nope"),
        (["--set-json", 'payments.apps.kafka_consumer.volumes=[{"name":"two","emptyDir":{},"secret":{"secretName":"s"}}]'], "/volumes/0"),
        (["--set", "global.imagePullSecrets[0]=Not_A_Name"], "imagePullSecrets"),
    ],
)
def test_bad_values_fail_naming_the_key(helm, example_out, args, message):
    stderr = refusal(helm, example_out, *args)
    assert message in stderr, stderr


def test_extra_ports_reach_the_container_and_the_service_unless_kept_off(helm, example_out):
    checkout = f"{CHART}-checkout-api"
    objects = by_identity(render(helm, chart_dir(example_out)))
    container = objects[("Deployment", checkout)]["spec"]["template"]["spec"]["containers"][0]
    assert [p["name"] for p in container["ports"]] == ["http", "grpc", "admin"]
    service = objects[("Service", f"{checkout}-service")]["spec"]["ports"]
    assert service[1] == {"name": "grpc", "port": 9000, "protocol": "TCP", "targetPort": "grpc", "appProtocol": "grpc"}
    assert [p["name"] for p in service] == ["http", "grpc"]  # admin has expose: false
    # A processor has no own port: its values ports alone make the list.
    changed = by_identity(
        render(
            helm,
            chart_dir(example_out),
            "--set-json",
            'payments.apps.kafka_consumer.ports=[{"name":"admin","port":8081,"protocol":"TCP"}]',
            "--set-json",
            'payments.apps.checkout_api.ports=[{"name":"grpc","port":9100,"appProtocol":"grpc"},{"name":"admin","port":9901,"expose":true}]',
        )
    )
    consumer = changed[("Deployment", CONSUMER)]["spec"]["template"]["spec"]["containers"][0]
    assert consumer["ports"] == [{"containerPort": 8081, "name": "admin", "protocol": "TCP"}]
    ports = {p["name"]: p["port"] for p in changed[("Service", f"{checkout}-service")]["spec"]["ports"]}
    assert ports == {"http": 8000, "grpc": 9100, "admin": 9901}


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ('[{"name":"http","port":9000}]', "ports[0].name: port name http is already used"),
        ('[{"name":"grpc","port":8000}]', "ports[0].port: port 8000/TCP is already used"),
        ('[{"name":"Bad_Name","port":9000}]', "/payments/apps/checkout_api/ports/0/name"),
    ],
)
def test_port_clashes_fail_naming_the_key(helm, example_out, ports, message):
    stderr = refusal(helm, example_out, "--set-json", f"payments.apps.checkout_api.ports={ports}")
    assert message in stderr, stderr


SCHEDULING_SETS = (
    "--set-json",
    'payments.apps.ledger_api.affinity={"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":'
    '[{"matchExpressions":[{"key":"pool","operator":"In","values":["payments"]}]}]}}}',
    "--set-json",
    'payments.apps.ledger_api.topologySpreadConstraints=[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"DoNotSchedule"}]',
    "--set",
    "payments.apps.ledger_api.zoneSpread=true",
    "--set",
    "payments.apps.ledger_api.priorityClassName=payments-critical",
    "--set",
    "payments.apps.ledger_api.terminationGracePeriodSeconds=60",
    "--set",
    "payments.apps.ledger_api.lifecycle.preStop.sleep.seconds=5",
    "--set-json",
    'payments.apps.ledger_api.hostAliases=[{"ip":"10.1.2.3","hostnames":["ledger-db.internal"]}]',
    "--set-json",
    'payments.apps.ledger_api.dnsConfig={"options":[{"name":"ndots","value":"2"}]}',
    "--set",
    "payments.apps.ledger_api.runtimeClassName=gvisor",
    "--set-json",
    'payments.apps.ledger_migrate.affinity={"podAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,'
    '"podAffinityTerm":{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchLabels":{"app":"db"}}}}]}}',
)


def test_scheduling_and_shutdown_knobs_are_live_and_valid_kubernetes(helm, example_out):
    import kubernetes_validate

    default = by_identity(render(helm, chart_dir(example_out)))
    spec = default[("Deployment", LEDGER)]["spec"]["template"]["spec"]
    assert list(spec["affinity"]) == ["podAntiAffinity"] and "topologySpreadConstraints" not in spec
    assert "terminationGracePeriodSeconds" not in spec and "priorityClassName" not in spec
    objects = render(helm, chart_dir(example_out), *SCHEDULING_SETS)
    found = by_identity(objects)
    spec = found[("Deployment", LEDGER)]["spec"]["template"]["spec"]
    assert list(spec["affinity"]) == ["nodeAffinity"]  # replaces the default anti-affinity
    selector = {"matchLabels": {"app.kubernetes.io/name": LEDGER}}
    assert [(c["topologyKey"], c["labelSelector"]) for c in spec["topologySpreadConstraints"]] == [
        ("topology.kubernetes.io/zone", selector),
        ("kubernetes.io/hostname", selector),  # the app's own selector by default
    ]
    assert (spec["priorityClassName"], spec["terminationGracePeriodSeconds"], spec["runtimeClassName"]) == ("payments-critical", 60, "gvisor")
    assert spec["hostAliases"] == [{"ip": "10.1.2.3", "hostnames": ["ledger-db.internal"]}]
    assert spec["dnsConfig"] == {"options": [{"name": "ndots", "value": "2"}]}
    assert spec["containers"][0]["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    job = found[("Job", f"{CHART}-ledger-migrate")]["spec"]["template"]["spec"]
    assert list(job["affinity"]) == ["podAffinity"]
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            for version in ("1.29", "1.37"):
                kubernetes_validate.validate(obj, version, strict=True)


def test_a_misspelled_affinity_fails_naming_the_key(helm, example_out):
    stderr = refusal(helm, example_out, "--set-json", 'payments.apps.ledger_api.affinity={"nodeAfinity":{}}')
    assert "nodeAfinity" in stderr, stderr


def test_probes_each_on_its_own(helm, example_out):
    import kubernetes_validate

    checkout = f"{CHART}-checkout-api"
    objects = render(
        helm,
        chart_dir(example_out),
        "--set",
        "payments.apps.ledger_api.probes.liveness.httpGet.path=/livez",
        "--set",
        "payments.apps.ledger_api.probes.startup=false",
        "--set-json",
        'payments.apps.checkout_api.probes={"readiness":{"grpc":{"port":9000},"periodSeconds":5}}',
        "--set-json",
        'payments.apps.kafka_consumer.probes={"liveness":{"exec":{"command":["/bin/check"]},"periodSeconds":30}}',
    )
    found = by_identity(objects)
    ledger = found[("Deployment", LEDGER)]["spec"]["template"]["spec"]["containers"][0]
    assert ledger["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert ledger["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}  # only liveness changed
    assert ledger["livenessProbe"]["periodSeconds"] == 20 and "startupProbe" not in ledger
    readiness = found[("Deployment", checkout)]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert readiness == {"grpc": {"port": 9000}, "periodSeconds": 5, "timeoutSeconds": 2, "failureThreshold": 3}
    consumer = found[("Deployment", CONSUMER)]["spec"]["template"]["spec"]["containers"][0]
    assert consumer["livenessProbe"] == {"exec": {"command": ["/bin/check"]}, "periodSeconds": 30}
    assert "readinessProbe" not in consumer
    for obj in objects:
        if obj["kind"] == "Deployment":
            kubernetes_validate.validate(obj, "1.37", strict=True)


@pytest.mark.parametrize(
    ("probes", "app", "message"),
    [
        ('{"liveness":{"grpc":{"port":9000},"tcpSocket":{"port":9000}}}', "checkout_api", "probes.liveness: a probe takes one of httpGet"),
        ('{"liveness":{"periodSeconds":5}}', "kafka_consumer", "probes.liveness: needs one of httpGet, grpc, tcpSocket, exec"),
        ('{"liveness":{"httpGet":{"path":"/x"}}}', "kafka_consumer", "probes.liveness.httpGet: httpGet needs a port"),
        ('{"liveness":{"httpGt":{"path":"/x"}}}', "checkout_api", "httpGt"),
        ('{"liveness":true}', "checkout_api", "/payments/apps/checkout_api/probes/liveness"),
    ],
)
def test_bad_probes_fail_naming_the_key(helm, example_out, probes, app, message):
    stderr = refusal(helm, example_out, "--set-json", f"payments.apps.{app}.probes={probes}")
    assert message in stderr, stderr


def init_containers(objects, name, kind="Deployment"):
    return {c["name"]: c for c in pod_spec(objects, name, kind).get("initContainers", [])}


def test_sidecars_and_init_containers_get_the_safe_defaults_and_are_valid_kubernetes(helm, example_out):
    import kubernetes_validate

    objects = render(helm, chart_dir(example_out))
    proxy = init_containers(objects, LEDGER)["db-proxy"]
    assert proxy["restartPolicy"] == "Always"  # a native sidecar
    assert proxy["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    security = proxy["securityContext"]
    assert (security["runAsUser"], security["readOnlyRootFilesystem"], security["capabilities"]) == (65532, True, {"drop": ["ALL"]})
    assert proxy["startupProbe"]["httpGet"] == {"path": "/startup", "port": 9091}
    wait = init_containers(objects, CONSUMER)["wait-for-kafka"]
    assert "restartPolicy" not in wait and wait["resources"]["limits"] == {"cpu": "50m", "memory": "16Mi"}
    job = by_identity(objects)[("Job", f"{CHART}-ledger-migrate")]["spec"]["template"]["spec"]
    assert [(c["name"], c["restartPolicy"]) for c in job["initContainers"]] == [("db-proxy", "Always")]
    checkout = pod_spec(objects, f"{CHART}-checkout-api")["containers"][0]
    assert checkout["terminationMessagePolicy"] == "FallbackToLogsOnError"
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            for version in ("1.29", "1.37"):
                kubernetes_validate.validate(obj, version, strict=True)


def test_containers_and_escape_hatches_are_live(helm, example_out):
    import kubernetes_validate

    objects = render(
        helm,
        chart_dir(example_out),
        "--set-json",
        'payments.apps.checkout_api.sidecars=[{"name":"envoy","image":"envoyproxy/envoy:v1.31.2","securityContext":{"readOnlyRootFilesystem":false}}]',
        "--set-json",
        'payments.apps.checkout_api.initContainers=[{"name":"seed","image":"busybox@sha256:' + "a" * 64 + '","command":["true"]}]',
        "--set",
        "payments.apps.checkout_api.podSpec.shareProcessNamespace=true",
        "--set",
        "payments.apps.checkout_api.podSpec.priority=0",
        "--set",
        "payments.apps.kafka_consumer.container.workingDir=/srv",
        "--set",
        "payments.apps.ledger_api.sidecars[0].name=cloud-sql",  # a list from --set replaces the whole list
        "--set",
        "payments.apps.ledger_api.sidecars[0].image=gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.15.0",
    )
    checkout = f"{CHART}-checkout-api"
    assert list(init_containers(objects, checkout)) == ["envoy", "seed"]  # sidecars first
    envoy = init_containers(objects, checkout)["envoy"]
    assert envoy["securityContext"]["readOnlyRootFilesystem"] is False and envoy["securityContext"]["runAsNonRoot"] is True
    spec = pod_spec(objects, checkout)
    assert (spec["shareProcessNamespace"], spec["priority"]) == (True, 0)
    assert spec["containers"][0]["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert pod_spec(objects, CONSUMER)["containers"][0]["workingDir"] == "/srv"
    ledger = init_containers(objects, LEDGER)
    assert list(ledger) == ["cloud-sql"] and ledger["cloud-sql"]["restartPolicy"] == "Always"
    for obj in objects:
        if obj["kind"] == "Deployment":
            kubernetes_validate.validate(obj, "1.37", strict=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set-json", "payments.apps.checkout_api.podSpec.affinity={}"], "/payments/apps/checkout_api/podSpec/affinity"),
        (["--set-json", "payments.apps.checkout_api.container.env=[]"], "/payments/apps/checkout_api/container/env"),
        (["--set", "payments.apps.checkout_api.podSpec.hostNetwrk=true"], "hostNetwrk"),
        (["--set-json", 'payments.apps.checkout_api.sidecars=[{"name":"envoy","image":"envoyproxy/envoy"}]'], "/sidecars/0/image"),
        (["--set-json", 'payments.apps.checkout_api.sidecars=[{"name":"app","image":"envoy:1"}]'], "sidecars[0].name: container name app is"),
        (
            ["--set-json", 'payments.apps.kafka_consumer.initContainers=[{"name":"w","image":"b:1","volumeMounts":[{"name":"x","mountPath":"/x"}]}]'],
            "initContainers[0].volumeMounts[0].name: mounts volume x",
        ),
        (["--set-json", 'payments.apps.kafka_consumer.initContainers=[{"name":"w","image":"b:1","readinessProbe":{}}]'], "/initContainers/0/"),
        (["--set-json", 'payments.apps.ledger_api.sidecars=[{"name":"p","image":"p:1","restartPolicy":"Always"}]'], "/sidecars/0/restartPolicy"),
    ],
)
def test_bad_containers_and_escape_hatches_fail_naming_the_key(helm, example_out, args, message):
    stderr = refusal(helm, example_out, *args)
    assert message in stderr, stderr


def network_policies(objects):
    return {o["metadata"]["name"].removeprefix(f"{CHART}-").removesuffix("-netpol"): o["spec"] for o in objects if o["kind"] == "NetworkPolicy"}


def test_network_policies_deny_ingress_but_what_each_app_needs(helm, example_out):
    import kubernetes_validate

    objects = render(helm, chart_dir(example_out))
    policies = network_policies(objects)
    assert set(policies) == {"ledger-api", "checkout-api", "kafka-consumer", "ledger-migrate"}
    same_chart = {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": CHART}}}]}
    controller = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ledger = policies["ledger-api"]
    assert ledger["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": LEDGER}}
    assert ledger["ingress"] == [same_chart, {"from": [controller], "ports": [{"port": "http", "protocol": "TCP"}]}]
    assert ledger["policyTypes"] == ["Ingress"] and "egress" not in ledger  # egress open
    consumer = policies["kafka-consumer"]
    assert "ingress" not in consumer and consumer["policyTypes"] == ["Ingress", "Egress"]  # no Service: nothing gets in
    assert [rule["ports"][0]["port"] for rule in consumer["egress"] if "ports" in rule] == [53, 9093]  # DNS, then Kafka
    assert consumer["egress"][1] == {"to": same_chart["from"]}
    assert "ingress" not in policies["ledger-migrate"]
    # With the feature on, checkov's NetworkPolicy check runs instead of being skipped.
    workloads = [o for o in objects if o["kind"] in ("Deployment", "Job")]
    assert not [o for o in workloads if "CKV2_K8S_6" in str(o["metadata"].get("annotations"))]
    for obj in objects:
        if obj["kind"] == "NetworkPolicy":
            for version in ("1.29", "1.37"):
                kubernetes_validate.validate(obj, version, strict=True)


def test_network_policy_knobs_are_live(helm, example_out):
    policies = network_policies(
        render(
            helm,
            chart_dir(example_out),
            "--set-json",
            'networkPolicy.ingressFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"traefik"}}}]',
            "--set",
            "payments.apps.checkout_api.networkPolicy.enabled=false",
            "--set-json",
            'payments.apps.ledger_migrate.networkPolicy.egress=[{"to":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]',
            "--set-json",
            'payments.apps.kafka_consumer.networkPolicy.ingress=[{"from":[{"podSelector":{"matchLabels":{"role":"debug"}}}]}]',
        )
    )
    assert "checkout-api" not in policies
    assert policies["ledger-api"]["ingress"][1]["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "traefik"}
    assert policies["ledger-migrate"]["policyTypes"] == ["Ingress", "Egress"] and len(policies["ledger-migrate"]["egress"]) == 3
    assert policies["kafka-consumer"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": {"role": "debug"}}}]}]
    # Nobody named: the ingress controller's rule goes away (an empty `from` would let everyone in).
    closed = network_policies(render(helm, chart_dir(example_out), "--set-json", "networkPolicy.ingressFrom=[]", "--set", "ingress.enabled=false"))
    assert len(closed["ledger-api"]["ingress"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set-json", 'payments.apps.kafka_consumer.networkPolicy.egress=[{"too":[]}]'], "too"),
        (["--set", "networkPolicy.ingressFrom[0].namespaceSelector.matchLabels.x=y", "--set", "networkPolicy.bogus=1"], "bogus"),
    ],
)
def test_bad_network_policy_values_fail_naming_the_key(helm, example_out, args, message):
    stderr = refusal(helm, example_out, *args)
    assert message in stderr, stderr


def test_extra_objects_land_as_given_and_their_text_stays_data(helm, example_out):
    import kubernetes_validate

    found = by_identity(render(helm, chart_dir(example_out)))
    role = found[("Role", "payments-leader-election")]
    assert role["rules"] == [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]}]
    binding = found[("RoleBinding", "payments-leader-election")]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": LEDGER}]
    for obj in (role, binding):
        kubernetes_validate.validate(obj, "1.29", strict=True)
    changed = by_identity(
        render(
            helm,
            chart_dir(example_out),
            "--set-json",
            'extraObjects=[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"notes"},"data":{"a":"{{ .Values.secret }}"}}]',
        )
    )
    assert changed[("ConfigMap", "notes")]["data"] == {"a": "{{ .Values.secret }}"}
    assert ("Role", "payments-leader-election") not in changed  # the list is the values' own: --set replaces it


def test_a_bad_extra_object_fails_at_install_naming_the_key(helm, example_out):
    stderr = refusal(helm, example_out, "--set-json", 'extraObjects=[{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}]')
    assert "/extraObjects/0/metadata" in stderr, stderr
