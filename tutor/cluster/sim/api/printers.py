"""Row printers of built-in kinds, after k8s.io/kubernetes pkg/printers/internalversion/printers.go.

Each `_<kind>(obj, now)` returns the cells its upstream `print<Kind>` appends with
`Wide: true` (the API server always prints wide; kubectl hides priority-1 columns). Helpers
keep the upstream function names in their docstrings.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]

_LOAD_BALANCER_WIDTH = 16

# -- formatting helpers (upstream names in comments) -------------------------------------


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration `HumanDuration` (~2-3 significant figures)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _since(value: Any, now: datetime) -> str:
    """printers.go `translateTimestampSince`: `<unknown>` for an unset time."""
    when = parse_time(value)
    if when is None:
        return "<unknown>"
    return human_duration((now - when).total_seconds())


def format_labels(labels: Any) -> str:
    """k8s.io/apimachinery/pkg/labels `FormatLabels`: sorted `k=v,...`, `<none>` when empty."""
    if not isinstance(labels, dict) or not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: Any) -> str:
    """`metav1.LabelSelectorAsSelector(...).String()`: requirements sorted by key; `""` for
    a nil or empty selector."""
    if not isinstance(selector, dict):
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = sorted(expr.get("values") or [])
        text = {
            "In": f"{key} in ({','.join(values)})",
            "NotIn": f"{key} notin ({','.join(values)})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op, "<error>")
        reqs.append((key, text))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


def format_label_selector(selector: Any) -> str:
    """`metav1.FormatLabelSelector`: the selector string, `<none>` when it is empty."""
    return selector_string(selector) or "<none>"


def _layout_containers(pod_spec: Any) -> tuple[str, str]:
    """printers.go `layoutContainerCells`: names and images joined by commas."""
    containers = (pod_spec or {}).get("containers") or []
    return (
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    )


def _with_more(items: list[str], count: int, limit: int = 3) -> str:
    """printers.go `listWithMoreString`: `a,b,c + N more...`, `<unset>` when empty."""
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def _lb_status(status: Any, wide: bool = True) -> str:
    """`loadBalancerStatusStringer`: sorted unique IPs (else hostnames), clipped when not wide."""
    result = set()
    for ingress in (status or {}).get("ingress") or []:
        if ingress.get("ip"):
            result.add(ingress["ip"])
        elif ingress.get("hostname"):
            result.add(ingress["hostname"])
    text = ",".join(sorted(result))
    if not wide and len(text) > _LOAD_BALANCER_WIDTH:
        text = text[: _LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def meta_of(obj: Obj) -> Obj:
    meta: Obj = obj.get("metadata") or {}
    return meta


def spec_of(obj: Obj) -> Obj:
    spec: Obj = obj.get("spec") or {}
    return spec


def status_of(obj: Obj) -> Obj:
    status: Obj = obj.get("status") or {}
    return status


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# -- printers --------------------------------------------------------------------------


def print_pod(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printPod` (restartable init containers, waiting/terminated reasons,
    Terminating, readiness gates)."""
    spec, status, meta = spec_of(obj), status_of(obj), meta_of(obj)
    containers = spec.get("containers") or []
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total = len(containers) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += _int(cs.get("restartCount"))
        finished = parse_time(
            ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        )
        if finished and (last_restart is None or finished > last_restart):
            last_restart = finished
        sidecar = _restartable(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += _int(cs.get("restartCount"))
            if finished and (last_sidecar_restart is None or finished > last_sidecar_restart):
                last_sidecar_restart = finished
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if not terminated.get("reason"):
                if _int(terminated.get("signal")):
                    reason = f"Init:Signal:{terminated['signal']}"
                else:
                    reason = f"Init:ExitCode:{_int(terminated.get('exitCode'))}"
            else:
                reason = "Init:" + terminated["reason"]
        elif (
            waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing"
        ):
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += _int(cs.get("restartCount"))
            finished = parse_time(
                ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
            )
            if finished and (last_restart is None or finished > last_restart):
                last_restart = finished
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                if _int(terminated.get("signal")):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{_int(terminated.get('exitCode'))}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in status.get("conditions") or []
            )
            reason = "Running" if pod_ready else "NotReady"
    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration((now - last_restart).total_seconds())} ago)"
    pod_ips = status.get("podIPs") or []
    pod_ip = (pod_ips[0].get("ip") if pod_ips else "") or "<none>"
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        conditions = status.get("conditions") or []
        true = 0
        for gate in gates:
            match = next(
                (c for c in conditions if c.get("type") == gate.get("conditionType")), None
            )
            if match is not None and match.get("status") == "True":
                true += 1
        gates_text = f"{true}/{len(gates)}"
    return [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _since(meta.get("creationTimestamp"), now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]


def _restartable(container: Any) -> bool:
    """k8s.io/kubernetes pkg/api/pod `IsRestartableInitContainer` (a sidecar)."""
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def print_service(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printService`, `getServiceExternalIP` and `makePortString`."""
    spec = spec_of(obj)
    svc_type = spec.get("type") or ""
    cluster_ips = spec.get("clusterIPs") or []
    external_ips = spec.get("externalIPs") or []
    if svc_type in ("ClusterIP", "NodePort"):
        external = ",".join(external_ips) or "<none>"
    elif svc_type == "LoadBalancer":
        lb = _lb_status(status_of(obj).get("loadBalancer"), wide=True)
        if external_ips:
            external = ",".join([*(lb.split(",") if lb else []), *external_ips])
        else:
            external = lb or "<pending>"
    elif svc_type == "ExternalName":
        external = spec.get("externalName") or ""
    else:
        external = "<unknown>"
    pieces = []
    for port in spec.get("ports") or []:
        piece = f"{_int(port.get('port'))}/{port.get('protocol') or ''}"
        if _int(port.get("nodePort")) > 0:
            piece = f"{_int(port.get('port'))}:{port['nodePort']}/{port.get('protocol') or ''}"
        pieces.append(piece)
    return [
        meta_of(obj).get("name", ""),
        svc_type,
        cluster_ips[0] if cluster_ips else "<none>",
        external,
        ",".join(pieces) or "<none>",
        _since(meta_of(obj).get("creationTimestamp"), now),
        format_labels(spec.get("selector")),
    ]


def print_endpoints(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printEndpoints` / `formatEndpoints` (first 3, `+ N more...`)."""
    subsets = obj.get("subsets") or []
    text = "<none>"
    if subsets:
        shown: list[str] = []
        count = 0
        for subset in subsets:
            addresses = subset.get("addresses") or []
            ports = subset.get("ports") or []
            if not ports:
                count += len(addresses)
                shown += [a.get("ip", "") for a in addresses][: 3 - len(shown)]
                continue
            for port in ports:
                count += len(addresses)
                for a in addresses:
                    if len(shown) < 3:
                        shown.append(_join_host_port(a.get("ip", ""), _int(port.get("port"))))
        text = ",".join(shown)
        if count > 3:
            text = f"{text} + {count - 3} more..."
    return [meta_of(obj).get("name", ""), text, _since(meta_of(obj).get("creationTimestamp"), now)]


def _join_host_port(host: str, port: int) -> str:
    """Go's net.JoinHostPort: IPv6 addresses in brackets."""
    try:
        is_v6 = isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        is_v6 = ":" in host
    return f"[{host}]:{port}" if is_v6 else f"{host}:{port}"


def print_endpointslice(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printEndpointSlice`, `formatDiscoveryPorts`, `formatDiscoveryEndpoints`."""
    ports = obj.get("ports") or []
    port_texts = []
    for port in ports:
        if port.get("port") is not None:
            port_texts.append(str(port["port"]))
        elif port.get("name") is not None:
            port_texts.append(str(port["name"]))
        else:
            port_texts.append("*")
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [
        meta_of(obj).get("name", ""),
        obj.get("addressType") or "",
        _with_more(port_texts, len(port_texts)),
        _with_more(addresses, len(addresses)),
        _since(meta_of(obj).get("creationTimestamp"), now),
    ]


def print_ingress(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printIngress`, `formatHosts`, `formatPorts`."""
    spec = spec_of(obj)
    rules = spec.get("rules") or []
    hosts: list[str] = []
    more = False
    for rule in rules:  # formatHosts, step by step: `more` once a rule follows 3 hosts
        if len(hosts) == 3:
            more = True
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    host_text = ",".join(hosts) or "*"
    if more and hosts:
        host_text = f"{host_text} + {len(rules) - 3} more..."
    return [
        meta_of(obj).get("name", ""),
        spec.get("ingressClassName") if spec.get("ingressClassName") is not None else "<none>",
        host_text,
        _lb_status(status_of(obj).get("loadBalancer"), wide=True),
        "80, 443" if spec.get("tls") else "80",
        _since(meta_of(obj).get("creationTimestamp"), now),
    ]


def print_ingressclass(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printIngressClass`: PARAMETERS `Kind.group/name`."""
    spec = spec_of(obj)
    params = spec.get("parameters")
    text = "<none>"
    if isinstance(params, dict):
        text = str(params.get("kind", ""))
        if params.get("apiGroup") is not None:
            text += "." + str(params["apiGroup"])
        text += "/" + str(params.get("name", ""))
    return [
        meta_of(obj).get("name", ""),
        spec.get("controller", ""),
        text,
        _since(meta_of(obj).get("creationTimestamp"), now),
    ]


def print_deployment(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printDeployment`: READY `ready/desired`."""
    spec, status = spec_of(obj), status_of(obj)
    names, images = _layout_containers((spec.get("template") or {}).get("spec"))
    return [
        meta_of(obj).get("name", ""),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _since(meta_of(obj).get("creationTimestamp"), now),
        names,
        images,
        selector_string(spec.get("selector")),
    ]


def _replicas(spec: Obj) -> int:
    # The API server defaults spec.replicas to 1 before any printer sees it.
    value = spec.get("replicas")
    return 1 if value is None else _int(value)


def print_replicaset(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printReplicaSet`."""
    spec, status = spec_of(obj), status_of(obj)
    names, images = _layout_containers((spec.get("template") or {}).get("spec"))
    return [
        meta_of(obj).get("name", ""),
        _replicas(spec),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _since(meta_of(obj).get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def print_statefulset(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printStatefulSet`."""
    spec, status = spec_of(obj), status_of(obj)
    names, images = _layout_containers((spec.get("template") or {}).get("spec"))
    return [
        meta_of(obj).get("name", ""),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _since(meta_of(obj).get("creationTimestamp"), now),
        names,
        images,
    ]


def print_daemonset(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printDaemonSet`."""
    spec, status = spec_of(obj), status_of(obj)
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    names, images = _layout_containers(pod_spec)
    return [
        meta_of(obj).get("name", ""),
        _int(status.get("desiredNumberScheduled")),
        _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")),
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
        format_labels(pod_spec.get("nodeSelector")),
        _since(meta_of(obj).get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def print_node(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printNode`, `findNodeRoles`, `getNodeInternalIP`/`getNodeExternalIP`."""
    status, meta = status_of(obj), meta_of(obj)
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    states = [] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    states = states or ["Unknown"]
    if spec_of(obj).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in (meta.get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.removeprefix(
            "node-role.kubernetes.io/"
        ):
            roles.add(key.removeprefix("node-role.kubernetes.io/"))
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = status.get("nodeInfo") or {}
    addresses = status.get("addresses") or []

    def address(kind: str) -> str:
        return next((a["address"] for a in addresses if a.get("type") == kind), "<none>")

    return [
        meta.get("name", ""),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _since(meta.get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def print_event(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printEvent` (wide cell order), for core/v1 Events; events.k8s.io/v1
    Events are converted to the same internal type first, so their fields are mapped."""
    if str(obj.get("apiVersion", "")).startswith("events.k8s.io/"):
        obj = _event_from_events_v1(obj)
    first = _since(obj.get("firstTimestamp"), now)
    if parse_time(obj.get("firstTimestamp")) is None:
        first = _since(obj.get("eventTime"), now)
    last = _since(obj.get("lastTimestamp"), now)
    if parse_time(obj.get("lastTimestamp")) is None:
        last = first
    count = _int(obj.get("count"))
    series = obj.get("series")
    if isinstance(series, dict):
        last = _since(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1
    involved = obj.get("involvedObject") or {}
    target = str(involved.get("kind", "")).lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        f"{component}, {host}" if host else component,
        str(obj.get("message", "")).strip(),
        first,
        count,
        meta_of(obj).get("name", ""),
    ]


def _event_from_events_v1(obj: Obj) -> Obj:
    """events.k8s.io/v1 -> core field names (k8s.io/kubernetes pkg/apis/events/v1 conversion)."""
    series = obj.get("series")
    return {
        "metadata": obj.get("metadata") or {},
        "firstTimestamp": obj.get("deprecatedFirstTimestamp"),
        "lastTimestamp": obj.get("deprecatedLastTimestamp"),
        "eventTime": obj.get("eventTime"),
        "count": obj.get("deprecatedCount"),
        "series": (
            {"count": series.get("count"), "lastObservedTime": series.get("lastObservedTime")}
            if isinstance(series, dict)
            else None
        ),
        "involvedObject": obj.get("regarding") or {},
        "source": obj.get("deprecatedSource") or {},
        "reportingComponent": obj.get("reportingController"),
        "reportingInstance": obj.get("reportingInstance"),
        "type": obj.get("type"),
        "reason": obj.get("reason"),
        "message": obj.get("note"),
    }


def simple_printer(*cells: Callable[[Obj], Any]) -> Callable[[Obj, datetime], list[Any]]:
    def row(obj: Obj, now: datetime) -> list[Any]:
        values = [meta_of(obj).get("name", "")]
        values += [cell(obj) for cell in cells]
        values.append(_since(meta_of(obj).get("creationTimestamp"), now))
        return values

    return row


def print_binding(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printRoleBinding`/`printClusterRoleBinding` with rbac `SubjectsStrings`."""
    ref = obj.get("roleRef") or {}
    users, groups, sas = [], [], []
    for subject in obj.get("subjects") or []:
        kind = subject.get("kind")
        if kind == "User":
            users.append(subject.get("name", ""))
        elif kind == "Group":
            groups.append(subject.get("name", ""))
        elif kind == "ServiceAccount":
            sas.append(f"{subject.get('namespace', '')}/{subject.get('name', '')}")
    return [
        meta_of(obj).get("name", ""),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        _since(meta_of(obj).get("creationTimestamp"), now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]


def print_ipaddress(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printIPAddress`: PARENTREF `resource.group/namespace/name`."""
    ref = spec_of(obj).get("parentRef")
    text = "<none>"
    if isinstance(ref, dict):
        resource = str(ref.get("resource", ""))
        group = str(ref.get("group", ""))
        text = (f"{resource}.{group}" if group else resource).lower()
        if ref.get("namespace"):
            text += "/" + str(ref["namespace"])
        text += "/" + str(ref.get("name", ""))
    return [meta_of(obj).get("name", ""), text, _since(meta_of(obj).get("creationTimestamp"), now)]
