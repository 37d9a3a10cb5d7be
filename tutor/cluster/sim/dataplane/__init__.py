"""The traffic model: kube-proxy (iptables mode), kindnet and cloud-provider-kind, over objects.

`Router.run(request, attempt)` follows one request from its client to the process that
answers it and returns the hops it took (see `tutor.cluster.sim.trace`) together with the
`ProbeAttempt` the client sees. `DataPlane.probe` runs it `count` times; `trace()` runs it
once: both share this one implementation.

What is modelled (Kubernetes 1.37, kind with kindnet, cloud-provider-kind v0.11):

- Clients: a Pod (`probe` = Pod `kube-tutor-probe`, or a stand-in on `kube-tutor-worker` at
  10.244.1.250; `pod:NAME`), a node process (`node:NAME`), your machine (`host`, 172.18.0.1 on
  the kind network: reaches node IPs, LoadBalancer and Gateway/Ingress IPs only).
- kube-proxy: endpoints of the Service port from its EndpointSlices (ready ones; serving and
  terminating ones when none is ready), topology hints (`forNodes`, then `forZones`, else all),
  internal/externalTrafficPolicy Local (drop when no local endpoint), ClientIP session
  affinity, REJECT when there is no endpoint (refused), no rule for an undeclared port (timeout),
  masquerade (SNAT) as iptables mode does with kind's cluster CIDR local detector.
- cloud-provider-kind: a LoadBalancer IP is an Envoy container that proxies TCP to the nodes'
  NodePort (RANDOM, or RING_HASH on the source IP with ClientIP affinity; health-checked on
  kube-proxy's :10256 or the healthCheckNodePort); Ingress (class `cloud-provider-kind`, or no
  class while it is the default) and Gateway API are an Envoy that routes HTTP and connects to
  the backend Service's ClusterIP through the control-plane node.
- Load balancing is pseudo-random but deterministic: a stable hash of (service, client,
  attempt index) picks the endpoint, so 20 requests spread over backends the same way on
  every run.
"""

from __future__ import annotations

from tutor.cluster.sim.dataplane.l7rules import (
    L7Rule,
    header,
    query_params,
    regex_full,
    selector_matches,
)
from tutor.cluster.sim.dataplane.model import (
    CLUSTER_CIDR,
    CLUSTER_CIDR_V6,
    CONTROL_PLANE_LABEL,
    DEFAULT_AFFINITY_TIMEOUT,
    DEFAULT_CLASS_ANNOTATION,
    ENVOY_CONNECT_TIMEOUT,
    EXCLUDE_LB_LABEL,
    GATEWAY_CONTROLLER,
    GATEWAY_GROUP,
    HOST_IP,
    INGRESS_CLASS,
    INGRESS_CONTROLLER,
    KUBE_PROXY_HEALTH_PORT,
    PROBE_NODE,
    PROBE_POD,
    PROBE_STANDIN_IP,
    ZONE_LABEL,
    AffinityTable,
    Client,
    Ctx,
    Endpoint,
    Journey,
    Reach,
    stable_index,
)
from tutor.cluster.sim.dataplane.router import DataPlane, Router

__all__ = [
    "AffinityTable",
    "CLUSTER_CIDR",
    "CLUSTER_CIDR_V6",
    "CONTROL_PLANE_LABEL",
    "Client",
    "Ctx",
    "DEFAULT_AFFINITY_TIMEOUT",
    "DEFAULT_CLASS_ANNOTATION",
    "DataPlane",
    "ENVOY_CONNECT_TIMEOUT",
    "EXCLUDE_LB_LABEL",
    "Endpoint",
    "GATEWAY_CONTROLLER",
    "GATEWAY_GROUP",
    "HOST_IP",
    "INGRESS_CLASS",
    "INGRESS_CONTROLLER",
    "Journey",
    "KUBE_PROXY_HEALTH_PORT",
    "L7Rule",
    "PROBE_NODE",
    "PROBE_POD",
    "PROBE_STANDIN_IP",
    "Reach",
    "Router",
    "ZONE_LABEL",
    "header",
    "query_params",
    "regex_full",
    "selector_matches",
    "stable_index",
]
