"""NetworkPolicy as kind's kindnet enforces it: the kube-network-policies evaluator, over objects.

kindnet (kind v0.24.0 and later, kind PR 3612) embeds sigs.k8s.io/kube-network-policies. Its
nftables chain sits in POSTROUTING just before source NAT (UDP DNS in PREROUTING just after
DNAT), so the first packet of each new connection is judged with the *translated* destination:
the Pod IP and the Pod's port, never a ClusterIP or a Service port
(`pkg/dataplane/controller.go`, `syncNFTablesRules`). The rules below follow
`pkg/networkpolicy/networkpolicy.go` (`EvaluatePolicyDirection`, `evaluateIngress`,
`evaluateEgress`, `evaluateSelectors`, `evaluateIPBlocks`, `evaluatePorts`) and the API's own
definitions (`k8s.io/api/networking/v1/types.go`, defaulting in
`pkg/apis/networking/v1/defaults.go`):

- A policy applies to the Pods its `podSelector` matches in its namespace; hostNetwork Pods are
  never managed. A Pod no policy selects for a direction is not isolated in it.
- Isolated: allowed only when some rule of some selecting policy matches; rules only add.
- `policyTypes`, when empty, is `[Ingress]` plus `Egress` if the policy has egress rules.
- A rule with no `ports` matches every port; with no `from`/`to` every peer.
- Ports: `protocol` (TCP by default), a number, a container port name resolved on the Pod that
  owns the port (the receiver for ingress, the destination Pod for egress), or `port`-`endPort`.
- Peers: `ipBlock` (cidr minus `except`) matches addresses of anything; selectors match Pods only.
  `podSelector` alone means the policy's namespace; `namespaceSelector` (with or without a
  `podSelector` in the same item) matches namespace labels.
- Denied packets are dropped: the client times out.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tutor.cluster.base import MANAGED_LABEL, MANAGED_VALUE, Obj, matches_selector
from tutor.cluster.sim.objectview import Objects
from tutor.cluster.sim.trace import Evidence, Hop

if TYPE_CHECKING:
    from tutor.cluster.sim.admission import Admission, Allocations, Problems

INGRESS = "Ingress"
EGRESS = "Egress"
PROTOCOLS = ("TCP", "UDP", "SCTP")


@dataclass(frozen=True)
class PodEnd:
    """One end of a connection as kindnet's pod-info provider resolves its address."""

    ip: str
    pod: Obj | None = None
    """The Pod that owns the address, or None for a node, your machine or the outside."""
    namespace_labels: Mapping[str, str] | None = None
    """Labels of the Pod's namespace (None when `pod` is None)."""

    @property
    def namespace(self) -> str:
        """The Pod's namespace ('' for non-Pods)."""
        return str(((self.pod or {}).get("metadata") or {}).get("namespace") or "")

    @property
    def labels(self) -> Mapping[str, str]:
        """The Pod's labels (empty for non-Pods)."""
        return ((self.pod or {}).get("metadata") or {}).get("labels") or {}

    @property
    def name(self) -> str:
        """`namespace/name` of the Pod, or its IP."""
        if self.pod is None:
            return self.ip
        return f"{self.namespace}/{(self.pod.get('metadata') or {}).get('name')}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one direction's check."""

    allowed: bool
    direction: str
    isolating: tuple[str, ...] = ()
    """`namespace/name` of every policy that selects the Pod for this direction."""
    allowed_by: str = ""
    """`namespace/name` of the policy (and rule) that allowed it."""

    @property
    def isolated(self) -> bool:
        """True when at least one policy selects the Pod for this direction."""
        return bool(self.isolating)


def label_selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A metav1 LabelSelector against labels; an empty (or absent) selector matches all."""
    if not selector:
        return True
    if not matches_selector(labels, selector.get("matchLabels") or {}):
        return False
    for expr in selector.get("matchExpressions") or []:
        key = str(expr.get("key"))
        op = expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        has = key in labels
        if op == "In" and not (has and labels[key] in values):
            return False
        if op == "NotIn" and has and labels[key] in values:
            return False
        if op == "Exists" and not has:
            return False
        if op == "DoesNotExist" and has:
            return False
    return True


def default_policy_types(spec: Mapping[str, Any]) -> list[str]:
    """`SetDefaults_NetworkPolicy`: Ingress always, plus Egress when there are egress rules."""
    types = [INGRESS]
    if spec.get("egress"):
        types.append(EGRESS)
    return types


def policy_types(policy: Obj) -> list[str]:
    """The policy's types after the API server's defaulting."""
    spec = policy.get("spec") or {}
    given = spec.get("policyTypes") or []
    return [str(t) for t in given] if given else default_policy_types(spec)


def _ref(policy: Obj) -> str:
    meta = policy.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def ip_block_matches(block: Mapping[str, Any], ip: str) -> bool:
    """`evaluateIPBlocks`: inside `cidr` and outside every `except`."""
    try:
        addr = ipaddress.ip_address(ip)
        if addr not in ipaddress.ip_network(str(block.get("cidr")), strict=False):
            return False
        for hole in block.get("except") or []:
            if addr in ipaddress.ip_network(str(hole), strict=False):
                return False
    except ValueError:
        return False  # an address of another family, or an unparsable one
    return True


def _container_ports(pod: Obj | None) -> list[Mapping[str, Any]]:
    ports: list[Mapping[str, Any]] = []
    for container in ((pod or {}).get("spec") or {}).get("containers") or []:
        ports.extend(container.get("ports") or [])
    return ports


def ports_match(
    entries: Sequence[Mapping[str, Any]] | None, owner: Obj | None, port: int, protocol: str
) -> bool:
    """`evaluatePorts`: does any entry allow `port`/`protocol`? Named ports are looked up in
    the container ports of `owner`, the Pod that listens on the port."""
    if not entries:
        return True
    for entry in entries:
        if str(entry.get("protocol") or "TCP") != protocol:
            continue
        value = entry.get("port")
        if value is None:
            return True
        if isinstance(value, int) or str(value).isdigit():
            start = int(value)
            end = entry.get("endPort")
            if port == start or (end is not None and start < port <= int(end)):
                return True
            continue
        for cp in _container_ports(owner):
            if (
                cp.get("name") == value
                and int(cp.get("containerPort") or 0) == port
                and str(cp.get("protocol") or "TCP") == protocol
            ):
                return True
    return False


def peer_matches(peer: Mapping[str, Any], policy_ns: str, other: PodEnd) -> bool:
    """One `from`/`to` item against the other end of the connection (`evaluateSelectors`)."""
    block = peer.get("ipBlock")
    if block is not None:
        return ip_block_matches(block, other.ip)
    if other.pod is None:
        return False  # selectors only match Pods: nodes and outside addresses never
    pod_sel = peer.get("podSelector")
    ns_sel = peer.get("namespaceSelector")
    if pod_sel is None and ns_sel is None:
        return False
    if pod_sel is not None:
        if not label_selector_matches(pod_sel, other.labels):
            return False
        if ns_sel is None:
            return other.namespace == policy_ns
    return label_selector_matches(ns_sel, other.namespace_labels or {})


class NetworkPolicies:
    """Evaluates the NetworkPolicies of a cluster for one connection at a time."""

    def __init__(self, policies_in: Callable[[str], Sequence[Obj]]) -> None:
        self._policies_in = policies_in

    def selecting(self, pod: Obj, direction: str) -> list[Obj]:
        """The policies that isolate `pod` for `direction` (none for hostNetwork Pods)."""
        if (pod.get("spec") or {}).get("hostNetwork"):
            return []
        meta = pod.get("metadata") or {}
        labels = meta.get("labels") or {}
        return [
            policy
            for policy in self._policies_in(str(meta.get("namespace") or ""))
            if direction in policy_types(policy)
            and label_selector_matches((policy.get("spec") or {}).get("podSelector"), labels)
        ]

    def ingress(self, dst: PodEnd, port: int, protocol: str, src: PodEnd) -> Verdict:
        """May `src` open a connection to `dst` on `port` (the Pod's port, after DNAT)?"""
        return self._judge(INGRESS, dst, src, port, protocol)

    def egress(self, src: PodEnd, dst: PodEnd, port: int, protocol: str) -> Verdict:
        """May `src` open a connection to `dst` on `port` (the translated destination)?"""
        return self._judge(EGRESS, src, dst, port, protocol)

    def _judge(
        self, direction: str, subject: PodEnd, other: PodEnd, port: int, proto: str
    ) -> Verdict:
        if subject.pod is None:
            return Verdict(True, direction)
        policies = self.selecting(subject.pod, direction)
        names = tuple(_ref(p) for p in policies)
        key, peers_key = ("ingress", "from") if direction == INGRESS else ("egress", "to")
        # ingress: named ports belong to the receiving Pod; egress: to the destination Pod
        owner = subject.pod if direction == INGRESS else other.pod
        for policy in policies:
            spec = policy.get("spec") or {}
            ns = str((policy.get("metadata") or {}).get("namespace") or "")
            for i, rule in enumerate(spec.get(key) or []):
                if not ports_match(rule.get("ports"), owner, port, proto):
                    continue
                peers = rule.get(peers_key) or []
                if not peers or any(peer_matches(p, ns, other) for p in peers):
                    return Verdict(True, direction, names, f"{_ref(policy)} {key}[{i}]")
        return Verdict(not policies, direction, names)


# -- enforcement on the simulated data plane ---------------------------------------------------

PROBE_LABELS = {"app.kubernetes.io/name": "kube-tutor-probe", MANAGED_LABEL: MANAGED_VALUE}
"""Labels of kube-tutor's probe Pod (`tutor.cluster.probes.PROBE_LABELS`), for its stand-in."""


@dataclass(frozen=True)
class Sender:
    """Who opened the connection, as the data plane knows it."""

    ip: str
    pod: Obj | None = None
    """The client Pod (a stand-in probe Pod too), None for nodes, your machine and proxies."""
    node_process_on: str | None = None
    """For a process in a node's network namespace: that node's name."""


def out_name(sender: Sender) -> str:
    """`namespace/name` of the sending Pod, or its address."""
    meta = (sender.pod or {}).get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}" if sender.pod else sender.ip


class Enforcer:
    """kindnet's NetworkPolicy enforcement over one consistent view of the objects."""

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.policies = NetworkPolicies(lambda ns: self.objects.all("NetworkPolicy", ns))

    def any_policy(self) -> bool:
        """True when the cluster has at least one NetworkPolicy (nothing to judge otherwise)."""
        return bool(self.objects.all("NetworkPolicy"))

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        """A namespace's labels; `kubernetes.io/metadata.name` is always there (the API server
        sets it on every namespace since 1.22)."""
        ns = self.objects.get("Namespace", namespace)
        labels = dict(((ns or {}).get("metadata") or {}).get("labels") or {})
        labels.setdefault("kubernetes.io/metadata.name", namespace)
        return labels

    def end(self, ip: str, pod: Obj | None = None) -> PodEnd:
        """The address as kindnet's pod-info provider sees it (hostNetwork Pods are not Pods
        to it: their address is the node's)."""
        if pod is None:
            pod = self.objects.pod_by_ip(ip)
        if pod is not None and (pod.get("spec") or {}).get("hostNetwork"):
            pod = None
        if pod is None:
            return PodEnd(ip)
        ns = str((pod.get("metadata") or {}).get("namespace") or "")
        return PodEnd(ip, pod, self.namespace_labels(ns))

    def _snat_on(self, node_name: str, ip: str) -> bool:
        """Is `ip` an address masquerade on `node_name` would pick (the node's own address or
        its Pod subnet's gateway)? kindnet judges before that SNAT."""
        node = self.objects.node(node_name)
        if node is None:
            return False
        addresses = [
            str(a.get("address")) for a in (node.get("status") or {}).get("addresses") or []
        ]
        spec = node.get("spec") or {}
        for cidr in spec.get("podCIDRs") or [spec.get("podCIDR")]:
            if cidr:
                addresses.append(str(next(ipaddress.ip_network(str(cidr), strict=False).hosts())))
        return ip in addresses

    def connection(
        self,
        sender: Sender | None,
        pod: Obj,
        ip: str,
        port: int,
        protocol: str,
        seen: str,
    ) -> tuple[bool, Hop | None]:
        """Judge a new connection that reaches `pod` at `ip:port` (after DNAT), the Pod seeing
        its source as `seen`. Returns (allowed, the hop to show, if any)."""
        if not self.any_policy():
            return True, None
        node_name = str((pod.get("spec") or {}).get("nodeName") or "")
        dst = self.end(ip, pod)
        # the check runs before this node's SNAT: judge the original client when the Pod
        # sees an address of its own node; a source NATed on another node stays NATed
        from_sender = sender is not None and (seen == sender.ip or self._snat_on(node_name, seen))
        src_ip = sender.ip if sender is not None and from_sender else seen
        src = (
            self.end(src_ip, sender.pod)
            if sender is not None and from_sender and sender.pod is not None
            else self.end(src_ip)
        )
        notes: list[str] = []
        if sender is not None and sender.pod is not None:
            # egress is judged on the client's node, whatever happens to the source later
            out = self.policies.egress(self.end(sender.ip, sender.pod), dst, port, protocol)
            if not out.allowed:
                return False, self._denied(
                    out, self.end(sender.ip, sender.pod), dst, port, protocol
                )
            if out.isolated:
                notes.append(f"egress of Pod {out_name(sender)} allowed by {out.allowed_by}")
        local_root = sender is not None and from_sender and sender.node_process_on == node_name
        inn = self.policies.ingress(dst, port, protocol, src)
        if not inn.allowed and not local_root:
            return False, self._denied(inn, src, dst, port, protocol)
        if inn.isolated:
            notes.append(
                f"ingress of {dst.name} allowed by {inn.allowed_by}"
                if inn.allowed
                else f"ingress of {dst.name}: a root process on its own node is not judged"
            )
        if not notes:
            return True, None
        return True, Hop(
            "policy",
            "NetworkPolicy: " + "; ".join(notes),
            f"kindnet judged {src.ip} -> {dst.ip}:{port}/{protocol} after the Service's DNAT",
        )

    def egress_to(self, sender: Sender | None, ip: str, port: int, protocol: str) -> Hop | None:
        """Judge a client Pod's connection to an address that is no Pod (a node, a load
        balancer or gateway address): only egress applies. Returns the failing hop or None."""
        if sender is None or sender.pod is None or not self.any_policy():
            return None
        src = self.end(sender.ip, sender.pod)
        dst = self.end(ip)
        out = self.policies.egress(src, dst, port, protocol)
        return None if out.allowed else self._denied(out, src, dst, port, protocol)

    def dns(self, sender: Sender | None) -> Hop | None:
        """Judge a lookup: UDP 53 from the client Pod to a CoreDNS Pod (kube-dns's endpoints,
        DNAT first, as for any Service). Returns the failing hop or None."""
        if sender is None or sender.pod is None or not self.any_policy():
            return None
        coredns = [
            p
            for p in self.objects.all("Pod", "kube-system")
            if ((p.get("metadata") or {}).get("labels") or {}).get("k8s-app") == "kube-dns"
        ]
        if not coredns:
            # a hand-built object set without CoreDNS Pods: judge against what kind deploys
            coredns = [_COREDNS_STANDIN]
        src = self.end(sender.ip, sender.pod)
        last: Hop | None = None
        for pod in coredns:
            ips = [str(a.get("ip")) for a in (pod.get("status") or {}).get("podIPs") or []]
            ip = ips[0] if ips else str((pod.get("status") or {}).get("podIP") or "")
            dst = PodEnd(ip, pod, self.namespace_labels("kube-system"))
            out = self.policies.egress(src, dst, 53, "UDP")
            inn = self.policies.ingress(dst, 53, "UDP", src)
            if out.allowed and inn.allowed:
                return None
            last = self._denied(out if not out.allowed else inn, src, dst, 53, "UDP")
        return last

    def _denied(self, verdict: Verdict, src: PodEnd, dst: PodEnd, port: int, protocol: str) -> Hop:
        whose = src if verdict.direction == EGRESS else dst
        names = ", ".join(verdict.isolating)
        plural = "policies" if len(verdict.isolating) > 1 else "policy"
        return Hop(
            "policy",
            f"NetworkPolicy {names} denies {verdict.direction.lower()} "
            f"{src.name} -> {dst.name}:{port}/{protocol}",
            f"{whose.name} is isolated for {verdict.direction} by {plural} {names} and no rule "
            f"allows this connection (judged after the Service's DNAT, on the Pod's port "
            f"{port}); kindnet drops the packet, so the client times out",
            ok=False,
            failure="policy-denied",
            evidence=tuple(self._evidence(name) for name in verdict.isolating),
        )

    def _evidence(self, ref: str) -> Evidence:
        ns, name = ref.split("/", 1)
        policy = self.objects.get("NetworkPolicy", name, ns) or {}
        selector = (policy.get("spec") or {}).get("podSelector") or {}
        return Evidence("NetworkPolicy", name, ns, "spec.podSelector", json.dumps(selector))


_COREDNS_STANDIN: Obj = {
    "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
    "spec": {
        "containers": [
            {
                "name": "coredns",
                "ports": [
                    {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                    {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                ],
            }
        ]
    },
    "status": {"podIP": "10.244.0.2"},
}
"""What a lookup is judged against when the objects have no CoreDNS Pod (kind runs two)."""


# -- admission: defaulting and validation --------------------------------------------------------


class ProblemSink(Protocol):
    """Where admission collects field errors (`tutor.cluster.sim.admission.Problems`)."""

    def invalid(self, path: str, value: Any, detail: str) -> None:
        """`Invalid value`."""
        ...

    def required(self, path: str, detail: str = "") -> None:
        """`Required value`."""
        ...

    def unsupported(self, path: str, value: Any, allowed: Sequence[str]) -> None:
        """`Unsupported value`."""
        ...

    def forbidden(self, path: str, detail: str) -> None:
        """`Forbidden`."""
        ...


_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def admit(
    spec: dict[str, Any],
    problems: ProblemSink,
    check_selector: Callable[[str, Any], None],
) -> None:
    """Default and validate a NetworkPolicy spec as kube-apiserver does:
    `pkg/apis/networking/v1/defaults.go` (protocol TCP, policyTypes) and
    `pkg/apis/networking/validation/validation.go` (`ValidateNetworkPolicySpec`)."""
    check_selector("spec.podSelector", spec.get("podSelector"))
    if "podSelector" not in spec:
        spec["podSelector"] = {}
    for key, peers_key in (("ingress", "from"), ("egress", "to")):
        rules = spec.get(key)
        if rules is None:
            continue
        if not isinstance(rules, list):
            problems.invalid(f"spec.{key}", rules, "must be a list")
            continue
        for i, rule in enumerate(rules):
            path = f"spec.{key}[{i}]"
            for j, port in enumerate(rule.get("ports") or []):
                _admit_port(port, f"{path}.ports[{j}]", problems)
            for j, peer in enumerate(rule.get(peers_key) or []):
                _admit_peer(peer, f"{path}.{peers_key}[{j}]", problems, check_selector)
    types = spec.get("policyTypes")
    if not types:
        spec["policyTypes"] = default_policy_types(spec)
        return
    for i, value in enumerate(types):
        if value not in (INGRESS, EGRESS):
            problems.unsupported(f"spec.policyTypes[{i}]", value, [INGRESS, EGRESS])
    if len(types) > 2:
        problems.invalid("spec.policyTypes", types, "may not specify more than two policyTypes")


def _admit_port(port: dict[str, Any], path: str, problems: ProblemSink) -> None:
    protocol = port.setdefault("protocol", "TCP")
    if protocol not in PROTOCOLS:
        problems.unsupported(f"{path}.protocol", protocol, PROTOCOLS)
    value = port.get("port")
    end = port.get("endPort")
    if isinstance(value, int) and not 1 <= value <= 65535:
        problems.invalid(f"{path}.port", value, "must be between 1 and 65535, inclusive")
    elif isinstance(value, str) and not (len(value) <= 15 and _PORT_NAME.match(value)):
        problems.invalid(
            f"{path}.port", value, "must be a valid IANA_SVC_NAME (at most 15 characters)"
        )
    if end is None:
        return
    if value is None:
        problems.required(f"{path}.port", "must be specified when endPort is specified")
    elif not isinstance(value, int):
        problems.forbidden(f"{path}.endPort", "may not be specified when port is non-numeric")
    elif not isinstance(end, int) or end < value:
        problems.invalid(f"{path}.endPort", end, "must be greater than or equal to `port`")


def _admit_peer(
    peer: dict[str, Any],
    path: str,
    problems: ProblemSink,
    check_selector: Callable[[str, Any], None],
) -> None:
    count = 0
    for field in ("podSelector", "namespaceSelector"):
        if peer.get(field) is not None:
            count += 1
            check_selector(f"{path}.{field}", peer[field])
    block = peer.get("ipBlock")
    if block is not None:
        count += 1
        _admit_ip_block(block, f"{path}.ipBlock", problems)
    if count == 0:
        problems.required(path, "must specify a peer")
    elif count > 1 and block is not None:
        problems.forbidden(path, "may not specify both ipBlock and another peer")


def _admit_ip_block(block: dict[str, Any], path: str, problems: ProblemSink) -> None:
    cidr = block.get("cidr")
    if not cidr:
        problems.required(f"{path}.cidr")
        return
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        problems.invalid(f"{path}.cidr", cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24)")
        return
    for i, hole in enumerate(block.get("except") or []):
        try:
            inner = ipaddress.ip_network(str(hole), strict=False)
        except ValueError:
            problems.invalid(f"{path}.except[{i}]", hole, "must be a valid CIDR value")
            continue
        if (
            inner.version != network.version
            or not inner.subnet_of(network)  # type: ignore[arg-type]
            or inner.prefixlen <= network.prefixlen
        ):
            problems.invalid(f"{path}.except[{i}]", hole, "must be a strict subset of `cidr`")


def admit_networkpolicy(
    adm: Admission, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
) -> None:
    """The admission handler for NetworkPolicy (`tutor.cluster.sim.admission._HANDLERS`)."""
    from tutor.cluster.sim.admission.common import _check_label_selector

    admit(obj["spec"], problems, lambda path, sel: _check_label_selector(problems, path, sel))
