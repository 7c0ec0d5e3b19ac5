"""The vendored Kubernetes schemas (constructs_lib/spec/k8s_schemas.json) are current, use only
the keywords our checker and Helm understand, accept real Kubernetes objects and refuse
typos, missing keys, wrong types and the one-of violations the API server would refuse."""

from __future__ import annotations

import importlib.util
import json
import re

import jsonschema
import kubernetes_validate
import pytest
import yaml
from conftest import ROOT, run_helm

from constructs_lib.spec.validate import check

SCHEMAS_FILE = ROOT / "constructs_lib" / "spec" / "k8s_schemas.json"
SCHEMAS = json.loads(SCHEMAS_FILE.read_text(encoding="utf-8"))
ALLOWED_KEYWORDS = {
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "anyOf",
    "not",
    "$ref",
    "propertyNames",
    "description",
}
TYPES = {"object", "array", "string", "boolean", "integer", "number"}


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_k8s_schemas", ROOT / "scripts" / "gen_k8s_schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def subschemas(schema: dict, path: str = ""):
    """Every schema node as (path, node); property names are not mistaken for keywords."""
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from subschemas(sub, f"{path}/properties/{name}")
    for key in ("items", "additionalProperties", "not", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from subschemas(schema[key], f"{path}/{key}")
    for index, sub in enumerate(schema.get("anyOf", [])):
        yield from subschemas(sub, f"{path}/anyOf/{index}")


# --- the objects: embedded in a Pod for the upstream (kubernetes-validate) check -------------

CONTAINER = {"name": "app", "image": "nginx:1.27"}


def pod(spec: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def network_policy(spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"}, "spec": {"podSelector": {}, **spec}}


def in_container(key: str, listed: bool = False):
    return lambda value: pod({"containers": [{**CONTAINER, key: [value] if listed else value}]})


def in_pod(key: str, listed: bool = False):
    return lambda value: pod({"containers": [CONTAINER], key: [value] if listed else value})


EMBED = {
    "EnvVarSource": lambda value: pod({"containers": [{**CONTAINER, "env": [{"name": "X", "valueFrom": value}]}]}),
    "EnvFromSource": in_container("envFrom", listed=True),
    "Volume": in_pod("volumes", listed=True),
    "VolumeMount": in_container("volumeMounts", listed=True),
    "Probe": in_container("livenessProbe"),
    "Lifecycle": in_container("lifecycle"),
    "Affinity": in_pod("affinity"),
    "TopologySpreadConstraint": in_pod("topologySpreadConstraints", listed=True),
    "HostAlias": in_pod("hostAliases", listed=True),
    "PodDNSConfig": in_pod("dnsConfig"),
    "Toleration": in_pod("tolerations", listed=True),
    "ContainerPort": in_container("ports", listed=True),
    "SecurityContext": in_container("securityContext"),
    "PodSecurityContext": in_pod("securityContext"),
    "ResourceRequirements": in_container("resources"),
    "Container": lambda value: pod({"containers": [value]}),
    "PodSpec": pod,
    "NetworkPolicyPeer": lambda value: network_policy({"ingress": [{"from": [value]}]}),
    "NetworkPolicyIngressRule": lambda value: network_policy({"ingress": [value]}),
    "NetworkPolicyEgressRule": lambda value: network_policy({"egress": [value]}),
}

SELECTOR = {"matchLabels": {"app.kubernetes.io/name": "api"}}
CONTAINER_FULL = {
    **CONTAINER,
    "imagePullPolicy": "IfNotPresent",
    "args": ["--port=8080"],
    "env": [
        {"name": "MODE", "value": "prod"},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
    ],
    "envFrom": [{"configMapRef": {"name": "settings"}}],
    "ports": [{"name": "http", "containerPort": 8080}],
    "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
    "lifecycle": {"preStop": {"sleep": {"seconds": 10}}},
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    "securityContext": {"runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
}

VALID = {
    "EnvVarSource": [
        {"secretKeyRef": {"name": "db", "key": "password"}},
        {"configMapKeyRef": {"name": "settings", "key": "mode", "optional": True}},
        {"fieldRef": {"fieldPath": "metadata.namespace"}},
        {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIPs"}},
        {"fieldRef": {"fieldPath": "metadata.labels['app.kubernetes.io/name']"}},
        {"fieldRef": {"fieldPath": "metadata.annotations['Example.com/Build_ID']"}},
        {"resourceFieldRef": {"containerName": "app", "resource": "limits.memory", "divisor": "1Mi"}},
        {"resourceFieldRef": {"resource": "requests.cpu", "divisor": 1}},
    ],
    "EnvFromSource": [
        {"configMapRef": {"name": "settings"}},
        {"prefix": "DB_", "secretRef": {"name": "db", "optional": True}},
    ],
    "Volume": [
        {"name": "tmp", "emptyDir": {}},
        {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
        {"name": "config", "configMap": {"name": "settings", "defaultMode": 420, "items": [{"key": "app.yaml", "path": "app.yaml"}]}},
        {"name": "tls", "secret": {"secretName": "api-tls", "optional": False}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data", "readOnly": True}},
        {
            "name": "token",
            "projected": {
                "defaultMode": 292,
                "sources": [
                    {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "token"}},
                    {"configMap": {"name": "ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                ],
            },
        },
        {
            "name": "secrets-store",
            "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True, "volumeAttributes": {"secretProviderClass": "vault-db"}},
        },
        {
            "name": "podinfo",
            "downwardAPI": {
                "items": [
                    {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                    {"path": "cpu", "resourceFieldRef": {"containerName": "app", "resource": "limits.cpu", "divisor": "1m"}},
                ]
            },
        },
    ],
    "VolumeMount": [
        {"name": "config", "mountPath": "/etc/app", "readOnly": True},
        {"name": "data", "mountPath": "/data", "subPath": "app", "mountPropagation": "None"},
    ],
    "Probe": [
        {"httpGet": {"path": "/healthz", "port": "http", "httpHeaders": [{"name": "X-Probe", "value": "1"}]}, "initialDelaySeconds": 5},
        {"grpc": {"port": 9090, "service": "health"}, "periodSeconds": 10, "failureThreshold": 3},
        {"tcpSocket": {"port": 5432}, "timeoutSeconds": 2},
        {"exec": {"command": ["pg_isready"]}, "terminationGracePeriodSeconds": 30},
    ],
    "Lifecycle": [
        {"preStop": {"sleep": {"seconds": 5}}},
        {"postStart": {"exec": {"command": ["sh", "-c", "echo hi"]}}, "preStop": {"httpGet": {"path": "/drain", "port": 8080}}},
    ],
    "Affinity": [
        {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}]}]
                },
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 50, "preference": {"matchExpressions": [{"key": "node-type", "operator": "In", "values": ["spot"]}]}}
                ],
            },
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 100, "podAffinityTerm": {"labelSelector": SELECTOR, "topologyKey": "kubernetes.io/hostname"}}
                ]
            },
        },
        {
            "podAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                        "namespaceSelector": {},
                        "topologyKey": "topology.kubernetes.io/zone",
                    }
                ]
            }
        },
    ],
    "TopologySpreadConstraint": [
        {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": SELECTOR},
        {
            "maxSkew": 2,
            "minDomains": 3,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "matchLabelKeys": ["pod-template-hash"],
        },
    ],
    "HostAlias": [{"ip": "10.0.0.10", "hostnames": ["db.internal", "db"]}],
    "PodDNSConfig": [
        {"nameservers": ["1.1.1.1"], "searches": ["svc.cluster.local"], "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}
    ],
    "Toleration": [
        {"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    ],
    "ContainerPort": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP", "hostPort": 53}],
    "SecurityContext": [
        {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    ],
    "PodSecurityContext": [
        {
            "runAsUser": 1000,
            "runAsGroup": 3000,
            "fsGroup": 2000,
            "fsGroupChangePolicy": "OnRootMismatch",
            "sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}],
        }
    ],
    "ResourceRequirements": [
        {"requests": {"cpu": "250m", "memory": "128Mi"}, "limits": {"cpu": 1, "memory": "1Gi", "ephemeral-storage": "2G"}},
        {"requests": {"cpu": 0.5, "memory": "1e9", "nvidia.com/gpu": "1"}},
    ],
    "Container": [CONTAINER, CONTAINER_FULL],
    "NetworkPolicyPeer": [
        {"podSelector": SELECTOR},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}, "podSelector": SELECTOR},
        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
    ],
    "NetworkPolicyIngressRule": [{"from": [{"podSelector": SELECTOR}], "ports": [{"port": "http", "protocol": "TCP"}]}, {}],
    "NetworkPolicyEgressRule": [
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 30000, "endPort": 32767}]}
    ],
    "PodSpec": [
        {
            "serviceAccountName": "api",
            "initContainers": [{"name": "migrate", "image": "migrate:1", "command": ["migrate", "up"]}],
            "containers": [CONTAINER_FULL],
            "volumes": [
                {"name": "tmp", "emptyDir": {}},
                {
                    "name": "scratch",
                    "ephemeral": {
                        "volumeClaimTemplate": {
                            "metadata": {"labels": {"type": "scratch"}},
                            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                        }
                    },
                },
            ],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"operator": "Exists"}],
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}],
            "terminationGracePeriodSeconds": 30,
        }
    ],
}

# (entry, value, whether the upstream strict schema refuses it too). Values upstream accepts
# are the API server's one-of and format rules that only our entries encode.
SECRET_REF = {"name": "db", "key": "password"}
INVALID = [
    ("NetworkPolicyPeer", {"podSelectr": {}}, True),
    ("NetworkPolicyIngressRule", {"from": {"podSelector": {}}}, True),
    ("NetworkPolicyEgressRule", {"to": [{"ipBlock": {}}]}, True),
    ("EnvVarSource", {"secretKeyRf": SECRET_REF}, True),
    ("EnvVarSource", {"secretKeyRef": {"name": "db"}}, True),
    ("EnvVarSource", {"secretKeyRef": {"name": "db", "key": 5}}, True),
    ("EnvVarSource", {"secretKeyRef": SECRET_REF, "configMapKeyRef": SECRET_REF}, False),
    ("EnvVarSource", {}, False),
    ("EnvVarSource", {"fieldRef": {"fieldPath": "metadata.labels"}}, False),
    ("EnvVarSource", {"fieldRef": {"fieldPath": "spec.restartPolicy"}}, False),
    ("EnvVarSource", {"fieldRef": {"fieldPath": "metadata.labels['bad key']"}}, False),
    ("EnvVarSource", {"resourceFieldRef": {"resource": "limits.gpu"}}, False),
    ("EnvVarSource", {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1 m"}}, False),
    ("EnvFromSource", {"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}, False),
    ("EnvFromSource", {"prefix": "X_"}, False),
    ("EnvFromSource", {"secretRef": {"nmae": "db"}}, True),
    ("EnvFromSource", {"configMapRef": "settings"}, True),
    ("Volume", {"name": "v", "emptyDir": {}, "configMap": {"name": "c"}}, False),
    ("Volume", {"name": "v", "emptydir": {}}, True),
    ("Volume", {"emptyDir": {}}, True),
    ("Volume", {"name": "v"}, False),
    ("Volume", {"name": "Data_Vol", "emptyDir": {}}, False),
    ("Volume", {"name": "v" * 64, "emptyDir": {}}, False),
    ("Volume", {"name": "v", "hostPath": {"path": "/var/run"}}, False),
    ("Volume", {"name": "v", "secret": {"secretname": "tls"}}, True),
    ("Volume", {"name": "v", "projected": {"sources": [{"serviceAccountToken": {"audience": "vault"}}]}}, True),
    ("Volume", {"name": "v", "csi": {"driver": "d", "volumeAttributes": {"size": 5}}}, True),
    ("VolumeMount", {"name": "v"}, True),
    ("VolumeMount", {"name": "v", "mountpath": "/data"}, True),
    ("VolumeMount", {"name": "v", "mountPath": "/data", "readOnly": "yes"}, True),
    ("Probe", {"httpGet": {"path": "/"}}, True),
    ("Probe", {"httpGet": {"port": 80, "pth": "/"}}, True),
    ("Probe", {"tcpSocket": {"port": 80}, "initialDelay": 5}, True),
    ("Probe", {"grpc": {"port": "grpc"}}, True),
    ("Probe", {"exec": {"command": "true"}, "periodSeconds": "10"}, True),
    ("Lifecycle", {"preStop": {"sleep": {"seconds": "5"}}}, True),
    ("Lifecycle", {"preStart": {"exec": {"command": ["true"]}}}, True),
    ("Affinity", {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}}, True),
    ("Affinity", {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"podAffinityTerm": {"topologyKey": "zone"}}]}}, True),
    ("Affinity", {"podAntiAfinity": {}}, True),
    ("TopologySpreadConstraint", {"maxSkew": 1, "topologyKey": "zone"}, True),
    ("TopologySpreadConstraint", {"maxSkew": "1", "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}, True),
    ("HostAlias", {"ip": "10.0.0.1", "hostnames": "db"}, True),
    ("HostAlias", {"ip": "10.0.0.1", "hostname": ["db"]}, True),
    ("PodDNSConfig", {"options": [{"name": "ndots", "value": 2}]}, True),
    ("Toleration", {"key": "k", "operator": "Exists", "tolerationSeconds": "300"}, True),
    ("Toleration", {"key": "k", "effects": "NoSchedule"}, True),
    ("ContainerPort", {"name": "http"}, True),
    ("ContainerPort", {"containerPort": "8080"}, True),
    ("SecurityContext", {"capabilities": {"drop": "ALL"}}, True),
    ("SecurityContext", {"runAsNonroot": True}, True),
    ("PodSecurityContext", {"fsGroup": "1000"}, True),
    ("ResourceRequirements", {"request": {"cpu": "1"}}, True),
    ("ResourceRequirements", {"limits": {"cpu": True}}, True),
    ("ResourceRequirements", {"limits": {"cpu": "250 m"}}, False),
    ("ResourceRequirements", {"limits": {"memory": "1GB"}}, False),
    ("Container", {"image": "nginx"}, True),
    ("Container", {**CONTAINER, "imagePullPolicy": 1}, True),
    ("Container", {**CONTAINER, "env": [{"name": "X", "valueFrom": {"secretKeyRf": SECRET_REF}}]}, True),
    ("PodSpec", {"volumes": [{"name": "v", "emptyDir": {}}]}, True),
    ("PodSpec", {"containers": [CONTAINER], "restartpolicy": "Always"}, True),
    ("PodSpec", {"containers": [{**CONTAINER, "resources": {"limits": {"cpu": "1 core"}}}]}, False),
]


def valid_cases():
    return [pytest.param(name, value, id=f"{name}-{index}") for name, values in VALID.items() for index, value in enumerate(values)]


def invalid_cases():
    return [pytest.param(name, value, upstream, id=f"{name}-{index}") for index, (name, value, upstream) in enumerate(INVALID)]


# --- (a) the vendored file is what the generator writes today --------------------------------


def test_file_is_current():
    generator = load_generator()
    expected = generator.render(generator.generate())
    assert SCHEMAS_FILE.read_text(encoding="utf-8") == expected, "run: .venv/bin/python scripts/gen_k8s_schemas.py"


def test_generation_is_deterministic():
    generator = load_generator()
    assert generator.render(generator.generate()) == generator.render(generator.generate())


# --- (b) only the keywords constructs_lib/spec/validate.py (and Helm) understand ------------------


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_only_allowed_keywords(name):
    for path, node in subschemas(SCHEMAS[name]):
        where = f"{name}{path}"
        assert set(node) <= ALLOWED_KEYWORDS, f"{where}: {sorted(set(node) - ALLOWED_KEYWORDS)}"
        assert "$ref" not in node, f"{where}: entries are fully inlined"
        assert "type" not in node or node["type"] in TYPES, f"{where}: type {node['type']!r}"
        assert isinstance(node.get("additionalProperties", False), (bool, dict)), where
        assert isinstance(node.get("items", {}), dict), where
        assert set(node.get("propertyNames", {})) <= {"pattern"}, where
        if "properties" in node:
            assert node.get("type") == "object", f"{where}: objects with properties say so"
            assert node.get("additionalProperties") is False, f"{where}: objects with properties are strict"
            assert set(node.get("required", [])) <= set(node["properties"]), where
        if "description" in node:
            assert path == "", f"{where}: descriptions only at the top of an entry"
        if "pattern" in node:
            re.compile(node["pattern"])
            # RE2 (Helm) has no lookaround or backreferences.
            assert "(?" not in node["pattern"], where
            assert not re.search(r"\\[1-9]", node["pattern"]), where
    jsonschema.Draft7Validator.check_schema(SCHEMAS[name])


def test_entries_and_descriptions():
    assert set(SCHEMAS) == set(VALID) == set(EMBED)
    for name, schema in SCHEMAS.items():
        assert 0 < len(schema["description"]) <= 120, name


def test_maps_stay_string_maps():
    volume = {option["required"][-1]: option for option in SCHEMAS["Volume"]["anyOf"]}
    attributes = volume["csi"]["properties"]["csi"]["properties"]["volumeAttributes"]
    assert attributes == {"type": "object", "additionalProperties": {"type": "string"}}
    labels = SCHEMAS["Affinity"]["properties"]["podAffinity"]["properties"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert labels["items"]["properties"]["labelSelector"]["properties"]["matchLabels"] == attributes


# --- (c) real objects: ours, the checker and the upstream strict schema agree ----------------


@pytest.mark.parametrize(("name", "value"), valid_cases())
def test_valid_objects_pass(name, value):
    kubernetes_validate.validate(EMBED[name](value), "1.29", strict=True)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft7Validator(SCHEMAS[name]).iter_errors(value)]
    assert errors == []
    assert check(value, SCHEMAS[name]) == []


@pytest.mark.parametrize(("name", "value", "upstream_refuses"), invalid_cases())
def test_invalid_objects_fail(name, value, upstream_refuses):
    assert not jsonschema.Draft7Validator(SCHEMAS[name]).is_valid(value)
    assert check(value, SCHEMAS[name]) != []
    if upstream_refuses:
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(EMBED[name](value), "1.29", strict=True)
    else:
        # Accepted by the OpenAPI schema; only the API server's validation (and our entry) refuses it.
        kubernetes_validate.validate(EMBED[name](value), "1.29", strict=True)


def test_checker_names_the_misspelled_key():
    problems = check({"httpGet": {"port": 80, "pth": "/"}}, SCHEMAS["Probe"], path=("livenessProbe",))
    assert [path for path, _ in problems] == [("livenessProbe", "httpGet", "pth")]
    assert "path" in problems[0][1]


def test_quantity_pattern_matches_kubernetes_syntax():
    pattern = re.compile(SCHEMAS["ResourceRequirements"]["properties"]["limits"]["additionalProperties"]["anyOf"][0]["pattern"])
    for good in ("1", "0.5", ".5", "1.", "250m", "100n", "1u", "2k", "1Mi", "1.5Gi", "1e3", "1E-3", "+1", "-1", "8Ei", "1E"):
        assert pattern.search(good), good
    for bad in ("", "1 Mi", "1GB", "1K", "1mi", "Mi", "1e", "1e1.5", "1.2.3", "--1"):
        assert not pattern.search(bad), bad


# --- Helm (RE2 patterns, draft-07 evaluation) refuses what we refuse, naming the path --------


@pytest.mark.helm
def test_helm_checks_values_against_the_entries(helm, tmp_path):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: k8s-schemas\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": SCHEMAS,
        "type": "object",
        "properties": {name: {"type": "array", "items": {"$ref": f"#/definitions/{name}"}} for name in SCHEMAS},
    }
    (chart / "values.schema.json").write_text(json.dumps(schema))
    (chart / "values.yaml").write_text("{}\n")
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(VALID))
    run_helm(helm, "template", "r", chart, "-f", good)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump({"EnvVarSource": [VALID["EnvVarSource"][0], {"secretKeyRf": SECRET_REF}], "Probe": [{"httpGet": {"port": 80, "pth": "/"}}]})
    )
    result = run_helm(helm, "template", "r", chart, "-f", bad, check=False)
    assert result.returncode != 0
    assert "EnvVarSource/1" in result.stderr and "secretKeyRf" in result.stderr, result.stderr
    assert "Probe/0/httpGet" in result.stderr and "pth" in result.stderr, result.stderr
