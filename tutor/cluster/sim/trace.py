"""Explain one request hop by hop: which way it went at each hop, why, and where it broke.

`trace(source, request)` runs the same routing model the simulator's data plane uses for its
probes (`tutor.cluster.sim.dataplane.Router`), on any `ObjectSource` (the simulator, or a
snapshot of a real cluster's objects), and returns a `Trace` of `Hop`s.

Failure codes (`Hop.failure`, on the one hop where the request broke), with what the client
sees:

| code | client sees | meaning |
|---|---|---|
| `client-not-found` | error | the source Pod or node does not exist |
| `bad-target` | error | the URL / `host:port` / name cannot be parsed |
| `nxdomain` | nxdomain | no such name in cluster DNS (after the search path) |
| `unresolvable` | unresolvable | the name is outside the cluster (no Internet in the model), or the client does not use cluster DNS (nodes, your machine) |
| `externalname-unresolvable` | unresolvable | an ExternalName's CNAME target resolves to nothing |
| `no-endpoints` | refused | the Service has no endpoints at all (selector matches no Pod, or no EndpointSlice for a selector-less Service); headless: nxdomain |
| `no-ready-endpoints` | refused | endpoints exist but none is ready (nor serving while terminating); headless: nxdomain |
| `no-endpoint-port` | refused | the EndpointSlices carry no port for this Service port (a named targetPort the Pods do not declare, or a port name mismatch in a hand-made slice) |
| `port-not-in-service` | timeout (refused at a load balancer) | the VIP was reached on a port the Service does not declare |
| `no-local-endpoint` | timeout | internal/externalTrafficPolicy Local and no ready endpoint on that node: kube-proxy drops |
| `target-port-closed` | refused | the Pod (or node) has nothing listening on the port |
| `unknown-address` | timeout | no Service, node, Pod, load balancer or gateway has this address |
| `not-routable` | timeout | your machine cannot reach ClusterIPs or Pod IPs (only node IPs, LB and gateway IPs) |
| `nodeport-closed` | refused | a node address on a port that is no NodePort and where nothing listens |
| `lb-no-nodes` | reset | the load balancer has no node to send to |
| `lb-source-range` | reset | the client's source is in none of the Service's loadBalancerSourceRanges (cloud-provider-kind's Envoy closes the connection) |
| `no-listener` | refused | the Ingress/Gateway address has no listener on this port |
| `ingress-class-unhandled` | HTTP 404 | the Ingress that would match names a class no controller here handles |
| `no-ingress-rule` | HTTP 404 | no Ingress rule matches the host and path |
| `route-not-attached` | HTTP 404 | an HTTPRoute would match but is not attached to the Gateway listener |
| `no-route-match` | HTTP 404 | no attached HTTPRoute matches the host, path, headers and query |
| `backend-not-found` | HTTP 500 | the rule's backend Service does not exist (or has no usable port) |
| `backend-not-permitted` | HTTP 500 | a cross-namespace backendRef without a ReferenceGrant |
| `backend-unavailable` | HTTP 503 | the proxy could not connect to the backend Service (see the inner hops) |
| `host-mismatch` | HTTP 404 | the backend rejected the Host header (an ExternalName alias, a vhost) |
| `app-error` | HTTP 4xx/5xx | the backend answered with an error status |
| `not-http` | reset | the port listens but does not speak HTTP |
| `policy-denied` | timeout (unresolvable for a name lookup) | a NetworkPolicy isolates the sending Pod (egress) or the receiving Pod (ingress) and no rule allows the connection: kindnet drops it |
| `tls-not-programmed` | refused | no HTTPS listener on the port has a usable certificate (missing or malformed Secret), so the proxy opened none |
| `tls-handshake` | TLS error | no HTTPS listener matches the SNI name (none is sent for an IP), or TLS was sent to a plain-HTTP port |
| `tls-required` | reset | plain HTTP sent to an HTTPS port |
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from tutor.cluster.base import ObjectSource, ProbeAttempt, ProbeRequest

FAILURES: dict[str, str] = {
    "client-not-found": "the source Pod or node does not exist",
    "bad-target": "the target cannot be parsed",
    "nxdomain": "no such name in cluster DNS",
    "unresolvable": "the name cannot be resolved from this client",
    "externalname-unresolvable": "the ExternalName target resolves to nothing",
    "no-endpoints": "the Service has no endpoints",
    "no-ready-endpoints": "no endpoint of the Service is ready",
    "no-endpoint-port": "the EndpointSlices carry no port for this Service port",
    "port-not-in-service": "the Service does not declare this port",
    "no-local-endpoint": "traffic policy Local and no ready endpoint on this node",
    "target-port-closed": "nothing listens on the target port",
    "unknown-address": "nothing in the cluster has this address",
    "not-routable": "this address is not reachable from outside the cluster",
    "nodeport-closed": "no NodePort and no listener on this node port",
    "lb-no-nodes": "the load balancer has no node to send to",
    "lb-no-healthy-node": "no node passes the load balancer's health check",
    "lb-source-range": "the client is outside the load balancer's source ranges",
    "no-listener": "no listener on this port of the Ingress/Gateway address",
    "ingress-class-unhandled": "the Ingress class has no controller here",
    "no-ingress-rule": "no Ingress rule matches",
    "route-not-attached": "the HTTPRoute is not attached to the Gateway",
    "no-route-match": "no attached HTTPRoute matches",
    "backend-not-found": "the backend Service does not exist",
    "backend-not-permitted": "cross-namespace backend without a ReferenceGrant",
    "backend-unavailable": "the proxy could not reach the backend",
    "host-mismatch": "the backend rejected the Host header",
    "app-error": "the backend answered with an error status",
    "not-http": "the port does not speak HTTP",
    "policy-denied": "a NetworkPolicy denies the connection (dropped)",
    "tls-not-programmed": "no HTTPS listener on this port has a usable certificate",
    "tls-handshake": "the TLS handshake failed (SNI matches no listener, or a plain port)",
    "tls-required": "plain HTTP sent to an HTTPS port",
}
"""The fixed failure vocabulary: code -> one-line meaning (table in the module docstring)."""

WIDTH = 78


@dataclass(frozen=True)
class Evidence:
    """One object field that shows why a hop went the way it did."""

    kind: str
    name: str
    namespace: str | None
    path: str
    """Typed path of the field (`spec.ports[0].targetPort`), or empty for the whole object."""
    value: str

    def __str__(self) -> str:
        ref = (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else (f"{self.kind} {self.name}")
        )
        if not self.path:
            return f"{ref}: {self.value}"
        return f"{ref} {self.path} = {self.value}"


@dataclass(frozen=True)
class Hop:
    """One step of a request's path."""

    name: str
    """What the hop is: `client`, `dns`, `service`, `kube-proxy`, `nodeport`,
    `load-balancer`, `ingress`, `gateway`, `route`, `backend`, `pod`, `node`, `answer`."""
    summary: str
    """What happened, in one line."""
    reason: str = ""
    """Why it went this way (which rule, which endpoints were eligible and why)."""
    ok: bool = True
    failure: str | None = None
    """On the failing hop: a code from `FAILURES`."""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Trace:
    """The path of one request, and what the client got."""

    request: ProbeRequest
    hops: tuple[Hop, ...]
    attempt: ProbeAttempt
    """What the client saw (the same record a probe returns)."""

    @property
    def failing_hop(self) -> Hop | None:
        """The hop where the request broke, or None."""
        for hop in self.hops:
            if not hop.ok:
                return hop
        return None

    @property
    def ok(self) -> bool:
        """True when no hop failed."""
        return self.failing_hop is None

    @property
    def failure(self) -> str | None:
        """The failing hop's code."""
        hop = self.failing_hop
        return hop.failure if hop else None

    def render(self, plain: bool = False, width: int = WIDTH) -> str:
        """The trace as text, at most `width` (78) columns: box drawing, or ASCII with `plain`."""
        bar, arrow, bullet = ("|", "v", "-") if plain else ("│", "▼", "·")
        lines: list[str] = []
        title = f"{self.request.protocol.upper()} {self.request.target}  from {self.request.source}"
        lines.extend(_wrap(title, "", "  ", width))
        lines.append("")
        for index, hop in enumerate(self.hops):
            mark = _mark(hop, plain)
            head = f"{mark} {hop.name}: {hop.summary}"
            if hop.failure:
                head += f" [{hop.failure}]"
            lines.extend(_wrap(head, "", "    ", width))
            body = f"{bar}   "
            if hop.reason:
                lines.extend(_wrap(hop.reason, body, body, width))
            for item in hop.evidence:
                lines.extend(_wrap(f"{bullet} {item}", body, body + "  ", width))
            if index < len(self.hops) - 1:
                lines.append(arrow)
        lines.append("")
        lines.extend(_wrap("Result: " + describe_attempt(self.attempt), "", "        ", width))
        return "\n".join(lines)


def _mark(hop: Hop, plain: bool) -> str:
    if plain:
        return "[ok]" if hop.ok else "[FAIL]"
    return "✔" if hop.ok else "✘"


def _wrap(text: str, first: str, rest: str, width: int = WIDTH) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def describe_attempt(attempt: ProbeAttempt) -> str:
    """One line for what the client saw."""
    if attempt.status is not None:
        who = f" from {attempt.backend}" if attempt.backend else ""
        seen = f" (it saw client {attempt.client_ip})" if attempt.client_ip else ""
        body = attempt.body.strip().splitlines()[0][:40] if attempt.body.strip() else ""
        return f"HTTP {attempt.status}{who}{seen}" + (f": {body}" if body else "")
    if attempt.records:
        return "answer: " + ", ".join(attempt.records)
    if attempt.ok:
        who = f" to {attempt.backend}" if attempt.backend else ""
        return f"connected{who}"
    return {
        "refused": "connection refused",
        "timeout": "timed out (no answer)",
        "reset": "connection reset",
        "nxdomain": "name not found (NXDOMAIN)",
        "unresolvable": "name could not be resolved",
    }.get(attempt.error or "", attempt.error or "failed")


def trace(source: ObjectSource, request: ProbeRequest) -> Trace:
    """Explain the first attempt of `request` hop by hop."""
    # dataplane builds Hops, so it imports this module; import it here to avoid the cycle
    from tutor.cluster.sim.dataplane import Router

    journey = Router(source).run(request, 0)
    return Trace(request, tuple(journey.hops), journey.attempt)
