"""Diagnosers are right or silent: each fires on its cause and stays silent on three near
misses (the same objects with the one fact that makes it the cause taken away)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.unit.fake_cluster import (
    NS,
    FakeCluster,
    Responder,
    endpoint_slice,
    failing,
    http_ok,
    pod,
    service,
)
from tutor.checks.context import CheckContext
from tutor.checks.registry import CHECK_TYPE_KEY, DIAGNOSERS, load_builtins
from tutor.cluster.base import Obj

load_builtins()


@dataclass
class Case:
    """Objects, check parameters and a probe responder for one diagnoser run."""

    objects: list[Obj]
    params: dict[str, Any] = field(default_factory=lambda: {"service": "web"})
    responder: Responder | None = None
    manifests: list[Obj] = field(default_factory=list)
    namespaces: dict[str, str] = field(default_factory=dict)

    def but(self, change: Callable[[Case], None]) -> Case:
        other = copy.deepcopy(self)
        change(other)
        return other


def fires(name: str, case: Case) -> bool:
    cluster = FakeCluster(case.objects, case.responder)
    ctx = CheckContext(cluster, NS, case.namespaces, tuple(case.manifests))
    return DIAGNOSERS[name](ctx, case.params) is not None


def _node(name: str, control_plane: bool = False) -> Obj:
    labels = {"kubernetes.io/hostname": name}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {"kind": "Node", "metadata": {"name": name, "labels": labels}}


def _find(objects: list[Obj], kind: str, name: str | None = None) -> Obj:
    return next(
        o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    )


# -- fixtures -----------------------------------------------------------------------------


def _hand_slice(label: str | None, port_name: str = "postgres") -> Obj:
    slice_ = endpoint_slice("legacy-db", [("192.0.2.10", True, "")], port=5432)
    slice_["metadata"]["name"] = "legacy-db-manual"
    slice_["metadata"]["labels"] = {"endpointslice.kubernetes.io/managed-by": "platform-team"}
    if label is not None:
        slice_["metadata"]["labels"]["kubernetes.io/service-name"] = label
    slice_["ports"][0]["name"] = port_name
    return slice_


def _selectorless() -> Obj:
    svc = service("legacy-db", None, port=5432, target=5432, clusterIP="None")
    svc["spec"]["ports"][0]["name"] = "postgres"
    return svc


SLICE_UNLINKED = Case([_selectorless(), _hand_slice("legacy")], {"service": "legacy-db"})
SLICE_PORT = Case([_selectorless(), _hand_slice("legacy-db", "pg")], {"service": "legacy-db"})
NO_SLICES = Case([_selectorless()], {"service": "legacy-db"})

_WEB = [service("web", {"app": "web"}), pod("web-1", {"app": "web"})]
PORT_GONE = Case(
    [service("web", {"app": "web"}, port=8080), pod("web-1", {"app": "web"})],
    {"url": "http://web/hostname", "expect": {"status": 200}},
    failing("timeout"),
)

_NODEPORT = service("web", {"app": "web"}, type="NodePort")
SNAT = Case(
    [_NODEPORT, pod("web-1", {"app": "web"})],
    {"url": "http://{node_ip:kube-tutor-worker}:30083/", "expect": {"client_ip": "preserved"}},
    http_ok(["web-1"], client_ip="172.18.0.3:4242", source_ip="172.18.0.1"),
)
SNAT.objects.append(
    {
        "kind": "Node",
        "metadata": {"name": "kube-tutor-worker", "labels": {}},
        "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]},
    }
)

TOPOLOGY = Case(
    [
        service("web", {"app": "web"}),
        endpoint_slice("web", [("10.244.1.2", True, "w1"), ("10.244.2.2", True, "w2")]),
    ],
    {"service": "web", "hints": True},
)


def _ingress(path: str, path_type: str) -> Obj:
    return {
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": NS},
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": path_type,
                                "backend": {"service": {"name": "api", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ]
        },
    }


REGEX = Case([_ingress("/api.*", "ImplementationSpecific")], {"url": "http://1.2.3.4/api/orders"})


def _gateway(allowed: str | None) -> Obj:
    listener: dict[str, Any] = {"name": "http", "protocol": "HTTP", "port": 80}
    if allowed:
        listener["allowedRoutes"] = {"namespaces": {"from": allowed}}
    return {
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "infra"},
        "spec": {"gatewayClassName": "cloud-provider-kind", "listeners": [listener]},
    }


def _route(ns: str = NS) -> Obj:
    return {
        "kind": "HTTPRoute",
        "metadata": {"name": "store", "namespace": ns},
        "spec": {"parentRefs": [{"name": "gw", "namespace": "infra"}], "rules": []},
    }


def _grant(ns: str = "infra", from_ns: str = NS) -> Obj:
    return {
        "kind": "ReferenceGrant",
        "metadata": {"name": "g", "namespace": ns},
        "spec": {
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": from_ns}
            ],
            "to": [{"group": "gateway.networking.k8s.io", "kind": "Gateway"}],
        },
    }


INFRA = {"infra": "infra"}
ALL_NAMESPACES = Case([_gateway("All"), _route()], {"kind": "Gateway"}, namespaces=INFRA)
GRANT = Case([_gateway(None), _route(), _grant()], {}, namespaces=INFRA)

_LB = service("web", {"app": "web"}, type="LoadBalancer", loadBalancerClass="a.example/lb")
_LB_MANIFEST = service("web", {"app": "web"}, type="LoadBalancer", loadBalancerClass="b.example/lb")
LB_CLASS = Case([_LB], manifests=[_LB_MANIFEST])

EXTERNAL_IPS = Case(
    [service("web", {"app": "web"}, externalIPs=["172.18.0.200"])],
    {"service": "web", CHECK_TYPE_KEY: "loadbalancer_ip"},
)


def _walk(case: Case, path: list[Any]) -> Any:
    node: Any = case
    for step in path:
        node = getattr(node, step) if isinstance(node, Case) else node[step]
    return node


def _set(path: list[Any], value: Any) -> Callable[[Case], None]:
    """A change that sets a value in the case: an attribute, then keys and list indexes."""

    def change(case: Case) -> None:
        parent = _walk(case, path[:-1])
        if isinstance(parent, Case):
            setattr(parent, path[-1], value)
        else:
            parent[path[-1]] = value

    return change


def _drop(path: list[Any]) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        _walk(case, path[:-1]).pop(path[-1], None)

    return change


def _responder(responder: Responder) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        case.responder = responder

    return change


CASES: dict[str, tuple[Case, list[tuple[str, Callable[[Case], None]]]]] = {
    "slice-not-linked": (
        SLICE_UNLINKED,
        [
            (
                "the slice is linked",
                _set(
                    ["objects", 1, "metadata", "labels", "kubernetes.io/service-name"], "legacy-db"
                ),
            ),
            ("the Service has a selector", _set(["objects", 0, "spec", "selector"], {"app": "db"})),
            (
                "the slice belongs to another Service that exists",
                lambda c: c.objects.append(service("legacy", None)),
            ),
        ],
    ),
    "slice-port-name": (
        SLICE_PORT,
        [
            ("the names agree", _set(["objects", 1, "ports", 0, "name"], "postgres")),
            ("the Service has a selector", _set(["objects", 0, "spec", "selector"], {"app": "db"})),
            (
                "the slice is not linked (another cause)",
                _set(["objects", 1, "metadata", "labels", "kubernetes.io/service-name"], "x"),
            ),
        ],
    ),
    "selectorless-no-slices": (
        NO_SLICES,
        [
            ("a linked slice exists", lambda c: c.objects.append(_hand_slice("legacy-db"))),
            (
                "an unlinked slice exists (slice-not-linked)",
                lambda c: c.objects.append(_hand_slice(None)),
            ),
            ("the Service has a selector", _set(["objects", 0, "spec", "selector"], {"app": "db"})),
        ],
    ),
    "port-not-exposed": (
        PORT_GONE,
        [
            ("the port is exposed", _set(["objects", 0, "spec", "ports", 0, "port"], 80)),
            ("the request succeeded", _responder(http_ok(["web-1"]))),
            ("the host is not a Service", _set(["params", "url"], "http://10.0.0.1/hostname")),
        ],
    ),
    "cluster-policy-snat": (
        SNAT,
        [
            ("the policy is Local", _set(["objects", 0, "spec", "externalTrafficPolicy"], "Local")),
            (
                "the client IP was seen",
                _responder(http_ok(["web-1"], client_ip="172.18.0.1:1", source_ip="172.18.0.1")),
            ),
            (
                "the check does not ask for the client IP",
                _set(["params", "expect"], {"status": 200}),
            ),
        ],
    ),
    "traffic-distribution": (
        TOPOLOGY,
        [
            (
                "trafficDistribution asks for zones",
                _set(["objects", 0, "spec", "trafficDistribution"], "PreferSameZone"),
            ),
            (
                "the endpoints carry zone hints",
                _set(
                    ["objects", 1], endpoint_slice("web", [("10.244.1.2", True, "w1")], hints=True)
                ),
            ),
            ("the check is not about topology", _set(["params"], {"service": "web"})),
        ],
    ),
    "regex-path": (
        REGEX,
        [
            (
                "a plain Prefix path",
                _set(
                    ["objects", 0, "spec", "rules", 0, "http", "paths", 0],
                    {"path": "/api", "pathType": "Prefix"},
                ),
            ),
            ("the request is for another path", _set(["params", "url"], "http://1.2.3.4/shop")),
            ("the check has no URL", _set(["params"], {"service": "web"})),
        ],
    ),
    "listener-all-namespaces": (
        ALL_NAMESPACES,
        [
            (
                "from: Selector",
                _set(
                    ["objects", 0, "spec", "listeners", 0, "allowedRoutes", "namespaces", "from"],
                    "Selector",
                ),
            ),
            (
                "from: Same (the default)",
                _drop(["objects", 0, "spec", "listeners", 0, "allowedRoutes"]),
            ),
            ("the check is about another Gateway", _set(["params", "name"], "other")),
        ],
    ),
    "referencegrant-for-attachment": (
        GRANT,
        [
            ("no ReferenceGrant", lambda c: c.objects.pop()),
            ("the listener admits the route", _set(["objects", 0], _gateway("All"))),
            (
                "the grant is for routes of another namespace",
                _set(["objects", 2], _grant(from_ns="elsewhere")),
            ),
        ],
    ),
    "loadbalancerclass-immutable": (
        LB_CLASS,
        [
            ("the same class", _set(["manifests", 0, "spec", "loadBalancerClass"], "a.example/lb")),
            (
                "the live Service is not yet a LoadBalancer",
                _set(["objects", 0, "spec", "type"], "ClusterIP"),
            ),
            (
                "the manifest leaves the class out",
                _drop(["manifests", 0, "spec", "loadBalancerClass"]),
            ),
        ],
    ),
    "externalips-not-lb": (
        EXTERNAL_IPS,
        [
            ("no externalIPs", _drop(["objects", 0, "spec", "externalIPs"])),
            (
                "a LoadBalancer with an address",
                lambda c: (
                    c.objects[0].update(
                        {"status": {"loadBalancer": {"ingress": [{"ip": "172.18.0.9"}]}}}
                    )
                    or c.objects[0]["spec"].update({"type": "LoadBalancer"})
                ),
            ),
            ("the check is not about a LoadBalancer", _set(["params"], {"service": "web"})),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fires_on_its_cause(name: str) -> None:
    case, _ = CASES[name]
    assert fires(name, case), name


NEAR_MISSES = [
    (name, label, change) for name, (_, misses) in CASES.items() for label, change in misses
]


@pytest.mark.parametrize(
    ("name", "label", "change"), NEAR_MISSES, ids=[f"{n}: {lbl}" for n, lbl, _ in NEAR_MISSES]
)
def test_silent_on_near_misses(name: str, label: str, change: Callable[[Case], None]) -> None:
    case, _ = CASES[name]
    assert not fires(name, case.but(change)), f"{name} fires although {label}"


def test_every_new_diagnoser_has_three_near_misses() -> None:
    for name, (_, misses) in CASES.items():
        assert name in DIAGNOSERS
        assert len(misses) >= 3, name


# -- the misfires of issue 9, fixed -------------------------------------------------------


def _alias() -> list[Obj]:
    shop_pod = pod("shop-1", {"app": "shop"}, image="nginx:1.27")
    shop_pod["spec"]["containers"][0]["env"] = [{"name": "NGINX_HOST", "value": "shop"}]
    shop_pod["spec"]["containers"][0].pop("args")
    return [
        {
            "kind": "Service",
            "metadata": {"name": "store", "namespace": NS},
            "spec": {"type": "ExternalName", "externalName": f"shop.{NS}.svc.cluster.local"},
        },
        service("shop", {"app": "shop"}),
        shop_pod,
    ]


def test_externalname_host_needs_a_4xx_for_an_unknown_host() -> None:
    """Fires on a 404 for Host `store`; silent on a refused connection, on a 200 with the
    wrong body, and when the Host sent is one the backend serves."""
    params = {"url": "http://store/", "expect": {"status": 200}}
    case = Case(_alias(), params, http_ok(["shop-1"], status=404))
    assert fires("externalname-host", case)
    assert not fires("externalname-host", case.but(_responder(failing("refused"))))
    assert not fires("externalname-host", case.but(_responder(http_ok(["x"], status=200))))
    assert not fires("externalname-host", case.but(_set(["params", "headers"], {"Host": "shop"})))


def test_targetport_mismatch_judges_the_listening_port() -> None:
    """The Pod declares containerPort 9090 but netexec listens on 8080: targetPort 9090 is
    blamed (with the real port named), targetPort 8080 is not, whatever is declared."""
    declared = [{"name": "http", "containerPort": 9090}]
    objects = [
        service("web", {"app": "web"}, target=9090),
        pod("web-1", {"app": "web"}, ports=declared),
    ]
    case = Case(objects)
    assert fires("targetport-mismatch", case)
    assert not fires(
        "targetport-mismatch",
        case.but(_set(["objects", 0, "spec", "ports", 0, "targetPort"], 8080)),
    )
    # An image the catalogue does not know: nothing can be said.
    unknown = case.but(_set(["objects", 1, "spec", "containers", 0, "image"], "example.com/app:1"))
    assert not fires("targetport-mismatch", unknown)
    # A named targetPort resolving to a port that listens.
    named = case.but(
        _set(
            ["objects", 1, "spec", "containers", 0, "ports"],
            [{"name": "http", "containerPort": 8080}],
        )
    )
    assert not fires(
        "targetport-mismatch",
        named.but(_set(["objects", 0, "spec", "ports", 0, "targetPort"], "http")),
    )


def test_readiness_under_publish_not_ready_addresses_does_not_say_no_traffic() -> None:
    objects = [
        service("web", {"app": "web"}, publishNotReadyAddresses=True),
        pod("web-1", {"app": "web"}, ready=False),
    ]
    cluster = FakeCluster(objects)
    found = DIAGNOSERS["readiness-failing"](CheckContext(cluster, NS), {"service": "web"})
    assert found is not None
    assert "no traffic is sent" not in found.message and "publishNotReadyAddresses" in found.message


def test_local_no_endpoint_silent_when_every_worker_has_one() -> None:
    svc = service("web", {"app": "web"}, type="NodePort", externalTrafficPolicy="Local")
    nodes = [_node("cp", control_plane=True), _node("w1"), _node("w2")]
    both = endpoint_slice("web", [("10.244.1.2", True, "w1"), ("10.244.2.2", True, "w2")])
    one = endpoint_slice("web", [("10.244.1.2", True, "w1")])
    assert not fires("local-no-endpoint", Case([svc, both, *nodes]))
    assert fires("local-no-endpoint", Case([svc, one, *nodes]))


def test_no_diagnosis_tells_the_exact_fix() -> None:
    """The first thing a learner sees names the hop and the evidence; the fix is for the
    last hint tier. No diagnosis message is an instruction."""
    imperative = ("Set ", "Change ", "Add ", "Remove ", "Use ", "Rename ")
    messages = []
    for name, (case, _) in CASES.items():
        cluster = FakeCluster(case.objects, case.responder)
        ctx = CheckContext(cluster, NS, case.namespaces, tuple(case.manifests))
        found = DIAGNOSERS[name](ctx, case.params)
        assert found is not None
        messages.append(found.message)
    for message in messages:
        for sentence in message.split(". "):
            assert not sentence.startswith(imperative), message
