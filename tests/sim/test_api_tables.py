"""Server-side printing of the simulator's API server (tutor.cluster.sim.api.tables).

Expected cells are what k8s.io/kubernetes pkg/printers/internalversion/printers.go produces
for the same objects (function named in each test), the Gateway CRDs' printer columns as
apiextensions-apiserver's tableconvertor evaluates them, and rest/table.go's default.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tutor.cluster.sim.api.printers import format_label_selector, human_duration, selector_string
from tutor.cluster.sim.api.tables import to_table

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
Obj = dict[str, Any]


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, **extra: Any) -> Obj:
    return {"name": name, "namespace": "lab", "creationTimestamp": ago(minutes=5), **extra}


def cells(kind: str, obj: Obj) -> list[Any]:
    table = to_table(kind, [obj], now=NOW)
    row: list[Any] = table["rows"][0]["cells"]
    assert len(row) == len(table["columnDefinitions"])
    return row


def headers(kind: str, api_version: str | None = None) -> list[tuple[str, int]]:
    table = to_table(kind, [], now=NOW, api_version=api_version)
    return [(c["name"], c["priority"]) for c in table["columnDefinitions"]]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (121, "2m1s"),
        (9 * 60 + 59, "9m59s"),
        (10 * 60 + 30, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 61, "3h1m"),
        (8 * 3600 + 600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (49 * 3600, "2d1h"),
        (8 * 86400, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        (731 * 86400, "2y1d"),
        (8 * 365 * 86400, "8y"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    """k8s.io/apimachinery/pkg/util/duration `HumanDuration`, band by band."""
    assert human_duration(seconds) == text


def test_selectors_print_sorted_like_labels_selector_string() -> None:
    """labels/selector.go `Requirement.String` and `internalSelector.Add` (sorted by key)."""
    selector = {
        "matchLabels": {"tier": "web", "app": "shop"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "zone", "operator": "DoesNotExist"},
        ],
    }
    assert selector_string(selector) == "app=shop,env in (dev,prod),tier=web,!zone"
    assert format_label_selector({}) == "<none>"
    assert selector_string(None) == ""


def test_service_columns_and_cells() -> None:
    """`printService`, `getServiceExternalIP`, `makePortString`; SELECTOR is priority 1."""
    assert headers("Service") == [
        ("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0),
        ("Age", 0), ("Selector", 1),
    ]  # fmt: skip
    cluster_ip = {
        "metadata": meta("web"),
        "spec": {"type": "ClusterIP", "clusterIPs": ["10.96.0.10"], "selector": {"b": "2", "a": "1"},
                 "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]},
    }  # fmt: skip
    assert cells("Service", cluster_ip) == [
        "web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53/UDP", "5m", "a=1,b=2",
    ]  # fmt: skip
    node_port = {
        "metadata": meta("np"),
        "spec": {"type": "NodePort", "clusterIPs": ["10.96.0.11"],
                 "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]},
    }  # fmt: skip
    assert cells("Service", node_port)[3:5] == ["<none>", "80:30080/TCP"]
    assert cells("Service", node_port)[6] == "<none>"  # no selector
    pending = {"metadata": meta("lb"), "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.12"],
               "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]}}  # fmt: skip
    assert cells("Service", pending)[3] == "<pending>"
    pending["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.0.9"}, {"ip": "172.18.0.10"}]}}
    assert cells("Service", pending)[3] == "172.18.0.10,172.18.0.9"  # sorted set, wide: unclipped
    headless = {"metadata": meta("db"), "spec": {"type": "ClusterIP", "clusterIPs": ["None"]}}
    assert cells("Service", headless)[2:5] == ["None", "<none>", "<none>"]
    external = {
        "metadata": meta("ext"),
        "spec": {"type": "ExternalName", "externalName": "example.com"},
    }
    assert cells("Service", external)[2:4] == ["<none>", "example.com"]


def _pod(**status: Any) -> Obj:
    return {
        "metadata": meta("client"),
        "spec": {"nodeName": "kind-worker", "containers": [{"name": "c", "image": "netshoot"}]},
        "status": {"phase": "Running", "podIPs": [{"ip": "10.244.1.5"}], **status},
    }


def test_pod_running_ready_with_restarts_and_wide_cells() -> None:
    """`printPod`: READY counts ready running containers; RESTARTS `2 (4m ago)`; wide cells
    IP, NODE, NOMINATED NODE, READINESS GATES."""
    pod = _pod(
        conditions=[{"type": "Ready", "status": "True"}],
        containerStatuses=[
            {"name": "c", "ready": True, "restartCount": 2, "state": {"running": {}},
             "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(minutes=4)}}},
        ],
    )  # fmt: skip
    assert cells("Pod", pod) == [
        "client", "1/1", "Running", "2 (4m ago)", "5m", "10.244.1.5", "kind-worker", "<none>", "<none>",
    ]  # fmt: skip
    assert [p for _, p in headers("Pod")] == [0, 0, 0, 0, 0, 1, 1, 1, 1]


def test_pod_pending_waiting_terminating_and_gates() -> None:
    """`printPod` reasons: a waiting container's reason; Terminating once deletionTimestamp is
    set on a pod not Succeeded/Failed; readiness gates `true/total`; no IP `<none>`."""
    waiting = _pod(containerStatuses=[{"name": "c", "ready": False, "restartCount": 0,
                                       "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])  # fmt: skip
    waiting["status"]["podIPs"] = []
    row = cells("Pod", waiting)
    assert row[1:4] == ["0/1", "CrashLoopBackOff", "0"]
    assert row[5] == "<none>"
    gone = _pod(containerStatuses=[{"name": "c", "ready": True, "state": {"running": {}}}])
    gone["metadata"]["deletionTimestamp"] = ago(seconds=3)
    assert cells("Pod", gone)[2] == "Terminating"
    gated = _pod(conditions=[{"type": "example.com/lb", "status": "True"}])
    gated["spec"]["readinessGates"] = [{"conditionType": "example.com/lb"}, {"conditionType": "x"}]
    assert cells("Pod", gated)[8] == "1/2"
    init = _pod(
        initContainerStatuses=[
            {"name": "setup", "state": {"waiting": {"reason": "PodInitializing"}}}
        ]
    )
    init["spec"]["initContainers"] = [{"name": "setup", "image": "busybox"}]
    assert cells("Pod", init)[2] == "Init:0/1"


def test_endpointslice_and_endpoints() -> None:
    """`printEndpointSlice` (`formatDiscoveryPorts`, `formatDiscoveryEndpoints`, `<unset>`)
    and `printEndpoints` (`formatEndpoints`: ip:port, first 3, `+ N more...`)."""
    assert headers("EndpointSlice") == [
        ("Name", 0), ("AddressType", 0), ("Ports", 0), ("Endpoints", 0), ("Age", 0),
    ]  # fmt: skip
    eps = {
        "metadata": meta("web-abc12"),
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [f"10.244.1.{i}"]} for i in range(1, 6)],
    }
    assert cells("EndpointSlice", eps) == [
        "web-abc12", "IPv4", "8080", "10.244.1.1,10.244.1.2,10.244.1.3 + 2 more...", "5m",
    ]  # fmt: skip
    empty = {"metadata": meta("web-x"), "addressType": "IPv4", "ports": None, "endpoints": None}
    assert cells("EndpointSlice", empty)[2:4] == ["<unset>", "<unset>"]
    endpoints = {
        "metadata": meta("web"),
        "subsets": [{"addresses": [{"ip": "10.244.1.7"}, {"ip": "10.244.2.3"}],
                     "ports": [{"name": "http", "port": 8080}]}],
    }  # fmt: skip
    assert cells("Endpoints", endpoints)[1] == "10.244.1.7:8080,10.244.2.3:8080"
    assert cells("Endpoints", {"metadata": meta("none")})[1] == "<none>"


def test_ingress_and_ingressclass() -> None:
    """`printIngress` (`formatHosts`, `formatPorts`) and `printIngressClass`."""
    ingress = {
        "metadata": meta("shop"),
        "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example.com"]}],
                 "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "172.18.0.7"}]}},
    }  # fmt: skip
    assert cells("Ingress", ingress) == [
        "shop", "nginx", "a.example.com,b.example.com", "172.18.0.7", "80, 443", "5m",
    ]  # fmt: skip
    bare = {"metadata": meta("any"), "spec": {"rules": [{"http": {}}]}}
    assert cells("Ingress", bare)[1:5] == ["<none>", "*", "", "80"]
    many = {"metadata": meta("m"), "spec": {"rules": [{"host": f"h{i}"} for i in range(5)]}}
    assert cells("Ingress", many)[2] == "h0,h1,h2 + 2 more..."
    klass = {"metadata": meta("nginx"), "spec": {"controller": "k8s.io/ingress-nginx",
             "parameters": {"apiGroup": "k8s.example.com", "kind": "Params", "name": "p"}}}  # fmt: skip
    assert cells("IngressClass", klass)[1:3] == ["k8s.io/ingress-nginx", "Params.k8s.example.com/p"]


def test_workloads() -> None:
    """`printDeployment` (READY `ready/desired`, wide containers/images/selector),
    `printReplicaSet`, `printStatefulSet`, `printDaemonSet`."""
    template = {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"},
                                        {"name": "log", "image": "busybox"}]}}  # fmt: skip
    deploy = {
        "metadata": meta("web"),
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert cells("Deployment", deploy) == [
        "web", "2/3", 3, 2, "5m", "web,log", "nginx:1.27,busybox", "app=web",
    ]  # fmt: skip
    assert headers("Deployment")[1:4] == [("Ready", 0), ("Up-to-date", 0), ("Available", 0)]
    rs = {"metadata": meta("web-5d"), "spec": {"replicas": 3, "template": template,
          "selector": {"matchLabels": {"app": "web"}}}, "status": {"replicas": 3, "readyReplicas": 1}}  # fmt: skip
    assert cells("ReplicaSet", rs)[:4] == ["web-5d", 3, 3, 1]
    sts = {
        "metadata": meta("db"),
        "spec": {"replicas": 2, "template": template},
        "status": {"readyReplicas": 2},
    }
    assert cells("StatefulSet", sts)[:2] == ["db", "2/2"]
    ds = {"metadata": meta("agent"), "spec": {"template": template},
          "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 3,
                     "updatedNumberScheduled": 3, "numberAvailable": 3}}  # fmt: skip
    assert cells("DaemonSet", ds)[:7] == ["agent", 3, 3, 3, 3, 3, "<none>"]


def test_node_and_event_and_simple_kinds() -> None:
    """`printNode` (roles from labels, wide addresses), `printEvent` (wide cell order,
    `kind/name`, count 1 for singletons), `printNamespace`, `printConfigMap`, `printSecret`."""
    node = {
        "metadata": {"name": "kind-control-plane", "creationTimestamp": ago(hours=50),
                     "labels": {"node-role.kubernetes.io/control-plane": ""}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
                   "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
                   "nodeInfo": {"kubeletVersion": "v1.37.1", "osImage": "Debian"}},
    }  # fmt: skip
    assert cells("Node", node) == [
        "kind-control-plane", "Ready", "control-plane", "2d2h", "v1.37.1",
        "172.18.0.2", "<none>", "Debian", "<unknown>", "<unknown>",
    ]  # fmt: skip
    event = {
        "apiVersion": "v1",
        "metadata": meta("web.1"),
        "involvedObject": {"kind": "Deployment", "name": "web"},
        "reason": "ScalingReplicaSet",
        "type": "Normal",
        "message": " Scaled up replica set web-5d to 3 ",
        "source": {"component": "deployment-controller"},
        "firstTimestamp": ago(seconds=30),
        "lastTimestamp": ago(seconds=10),
    }
    assert cells("Event", event) == [
        "10s", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller",
        "Scaled up replica set web-5d to 3", "30s", 1, "web.1",
    ]  # fmt: skip
    assert (
        cells("Namespace", {"metadata": meta("lab"), "status": {"phase": "Active"}})[1] == "Active"
    )
    assert cells("ConfigMap", {"metadata": meta("c"), "data": {"a": "1", "b": "2"}})[1] == 2
    assert cells("Secret", {"metadata": meta("s"), "type": "Opaque", "data": {"k": "dg=="}})[1:3] == [
        "Opaque", 1,
    ]  # fmt: skip


def test_gateway_api_kinds_use_their_crd_printer_columns() -> None:
    """apiextensions tableconvertor.go: NAME then the CRD's additionalPrinterColumns; a list
    prints as compact JSON, a filter picks the condition, a missing value is null, dates age."""
    assert headers("Gateway", "gateway.networking.k8s.io/v1") == [
        ("Name", 0), ("Class", 0), ("Address", 0), ("Programmed", 0), ("Age", 0),
    ]  # fmt: skip
    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": meta("gw"),
        "spec": {"gatewayClassName": "kind"},
        "status": {"addresses": [{"type": "IPAddress", "value": "172.18.0.5"}, {"value": "x"}],
                   "conditions": [{"type": "Accepted", "status": "True"},
                                  {"type": "Programmed", "status": "False"}]},
    }  # fmt: skip
    assert cells("Gateway", gateway) == ["gw", "kind", "172.18.0.5", "False", "5m"]
    fresh = {**gateway, "status": {}}
    assert cells("Gateway", fresh) == ["gw", "kind", None, None, "5m"]
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta("r"),
             "spec": {"hostnames": ["web.example.com", "b.example.com"]}}  # fmt: skip
    assert cells("HTTPRoute", route) == ["r", '["web.example.com","b.example.com"]', "5m"]
    assert headers("GatewayClass") == [
        ("Name", 0), ("Controller", 0), ("Accepted", 0), ("Age", 0), ("Description", 1),
    ]  # fmt: skip
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": meta("g"),
    }
    assert cells("ReferenceGrant", grant) == ["g", "5m"]


def test_kinds_without_a_printer_get_name_and_created_at() -> None:
    """rest/table.go `defaultTableConvertor`: Name and `Created At` (RFC 3339, UTC)."""
    table = to_table("Role", [{"metadata": meta("reader")}], now=NOW)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Created At"]
    assert table["columnDefinitions"][1]["type"] == "date"
    assert table["rows"][0]["cells"] == ["reader", ago(minutes=5)]


def test_row_objects_follow_include_object() -> None:
    """handlers/response.go `asTable`: PartialObjectMetadata by default, the object, or none."""
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta("web"),
        "spec": {"type": "ClusterIP"},
    }
    table = to_table("Service", [svc], now=NOW)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["rows"][0]["object"] == {
        "apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": svc["metadata"],
    }  # fmt: skip
    assert to_table("Service", [svc], now=NOW, include_object="Object")["rows"][0]["object"] is svc
    assert to_table("Service", [svc], now=NOW, include_object="None")["rows"][0]["object"] is None
    assert to_table("Service", [svc], now=NOW, no_headers=True)["columnDefinitions"] == []
    with pytest.raises(ValueError, match="unrecognized includeObject"):
        to_table("Service", [svc], now=NOW, include_object="All")


def test_column_descriptions_come_from_the_api_docs() -> None:
    """Upstream takes most descriptions from SwaggerDoc(), the text the OpenAPI data carries."""
    columns = to_table("Service", [], now=NOW)["columnDefinitions"]
    assert all(c["description"] for c in columns)
    assert columns[0]["format"] == "name"
    assert columns[0]["description"].startswith("Name must be unique within a namespace.")
