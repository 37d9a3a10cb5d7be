"""Server-side printing: objects -> a `meta.k8s.io/v1` Table, as kube-apiserver prints them.

Built-in kinds follow k8s.io/kubernetes pkg/printers/internalversion/printers.go (`AddHandlers`
column definitions and the `print<Kind>` functions); the server always generates them with
`Wide: true` (pkg/printers/storage `TableConvertor`), kubectl hides priority-1 columns unless
`-o wide`. Gateway API kinds use their CRDs' `additionalPrinterColumns`
(k8s.io/apiextensions-apiserver pkg/registry/customresource/tableconvertor). Kinds without a
printer get NAME and CREATED AT (k8s.io/apiserver pkg/registry/rest/table.go
`defaultTableConvertor`). Row objects follow k8s.io/apiserver endpoints/handlers/response.go
`asTable`: PartialObjectMetadata, the whole object, or none.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from tutor.cluster.sim.api import openapi

Obj = dict[str, Any]
Column = tuple[str, str, str, int, str]
"""(name, type, format, priority, description)"""

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


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _since(value: Any, now: datetime) -> str:
    """printers.go `translateTimestampSince`: `<unknown>` for an unset time."""
    when = _parse_time(value)
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


def _meta(obj: Obj) -> Obj:
    meta: Obj = obj.get("metadata") or {}
    return meta


def _spec(obj: Obj) -> Obj:
    spec: Obj = obj.get("spec") or {}
    return spec


def _status(obj: Obj) -> Obj:
    status: Obj = obj.get("status") or {}
    return status


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# -- printers --------------------------------------------------------------------------


def _pod(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printPod` (restartable init containers, waiting/terminated reasons,
    Terminating, readiness gates)."""
    spec, status, meta = _spec(obj), _status(obj), _meta(obj)
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
        finished = _parse_time(
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
            finished = _parse_time(
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


def _service(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printService`, `getServiceExternalIP` and `makePortString`."""
    spec = _spec(obj)
    svc_type = spec.get("type") or ""
    cluster_ips = spec.get("clusterIPs") or []
    external_ips = spec.get("externalIPs") or []
    if svc_type in ("ClusterIP", "NodePort"):
        external = ",".join(external_ips) or "<none>"
    elif svc_type == "LoadBalancer":
        lb = _lb_status(_status(obj).get("loadBalancer"), wide=True)
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
        _meta(obj).get("name", ""),
        svc_type,
        cluster_ips[0] if cluster_ips else "<none>",
        external,
        ",".join(pieces) or "<none>",
        _since(_meta(obj).get("creationTimestamp"), now),
        format_labels(spec.get("selector")),
    ]


def _endpoints(obj: Obj, now: datetime) -> list[Any]:
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
    return [_meta(obj).get("name", ""), text, _since(_meta(obj).get("creationTimestamp"), now)]


def _join_host_port(host: str, port: int) -> str:
    """Go's net.JoinHostPort: IPv6 addresses in brackets."""
    try:
        is_v6 = isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        is_v6 = ":" in host
    return f"[{host}]:{port}" if is_v6 else f"{host}:{port}"


def _endpointslice(obj: Obj, now: datetime) -> list[Any]:
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
        _meta(obj).get("name", ""),
        obj.get("addressType") or "",
        _with_more(port_texts, len(port_texts)),
        _with_more(addresses, len(addresses)),
        _since(_meta(obj).get("creationTimestamp"), now),
    ]


def _ingress(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printIngress`, `formatHosts`, `formatPorts`."""
    spec = _spec(obj)
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
        _meta(obj).get("name", ""),
        spec.get("ingressClassName") if spec.get("ingressClassName") is not None else "<none>",
        host_text,
        _lb_status(_status(obj).get("loadBalancer"), wide=True),
        "80, 443" if spec.get("tls") else "80",
        _since(_meta(obj).get("creationTimestamp"), now),
    ]


def _ingressclass(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printIngressClass`: PARAMETERS `Kind.group/name`."""
    spec = _spec(obj)
    params = spec.get("parameters")
    text = "<none>"
    if isinstance(params, dict):
        text = str(params.get("kind", ""))
        if params.get("apiGroup") is not None:
            text += "." + str(params["apiGroup"])
        text += "/" + str(params.get("name", ""))
    return [
        _meta(obj).get("name", ""),
        spec.get("controller", ""),
        text,
        _since(_meta(obj).get("creationTimestamp"), now),
    ]


def _deployment(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printDeployment`: READY `ready/desired`."""
    spec, status = _spec(obj), _status(obj)
    names, images = _layout_containers((spec.get("template") or {}).get("spec"))
    return [
        _meta(obj).get("name", ""),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _since(_meta(obj).get("creationTimestamp"), now),
        names,
        images,
        selector_string(spec.get("selector")),
    ]


def _replicas(spec: Obj) -> int:
    # The API server defaults spec.replicas to 1 before any printer sees it.
    value = spec.get("replicas")
    return 1 if value is None else _int(value)


def _replicaset(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printReplicaSet`."""
    spec, status = _spec(obj), _status(obj)
    names, images = _layout_containers((spec.get("template") or {}).get("spec"))
    return [
        _meta(obj).get("name", ""),
        _replicas(spec),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _since(_meta(obj).get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def _statefulset(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printStatefulSet`."""
    spec, status = _spec(obj), _status(obj)
    names, images = _layout_containers((spec.get("template") or {}).get("spec"))
    return [
        _meta(obj).get("name", ""),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _since(_meta(obj).get("creationTimestamp"), now),
        names,
        images,
    ]


def _daemonset(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printDaemonSet`."""
    spec, status = _spec(obj), _status(obj)
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    names, images = _layout_containers(pod_spec)
    return [
        _meta(obj).get("name", ""),
        _int(status.get("desiredNumberScheduled")),
        _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")),
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
        format_labels(pod_spec.get("nodeSelector")),
        _since(_meta(obj).get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def _node(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printNode`, `findNodeRoles`, `getNodeInternalIP`/`getNodeExternalIP`."""
    status, meta = _status(obj), _meta(obj)
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    states = [] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    states = states or ["Unknown"]
    if _spec(obj).get("unschedulable"):
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


def _event(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printEvent` (wide cell order), for core/v1 Events; events.k8s.io/v1
    Events are converted to the same internal type first, so their fields are mapped."""
    if str(obj.get("apiVersion", "")).startswith("events.k8s.io/"):
        obj = _event_from_events_v1(obj)
    first = _since(obj.get("firstTimestamp"), now)
    if _parse_time(obj.get("firstTimestamp")) is None:
        first = _since(obj.get("eventTime"), now)
    last = _since(obj.get("lastTimestamp"), now)
    if _parse_time(obj.get("lastTimestamp")) is None:
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
        _meta(obj).get("name", ""),
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


def _simple(*cells: Callable[[Obj], Any]) -> Callable[[Obj, datetime], list[Any]]:
    def row(obj: Obj, now: datetime) -> list[Any]:
        values = [_meta(obj).get("name", "")]
        values += [cell(obj) for cell in cells]
        values.append(_since(_meta(obj).get("creationTimestamp"), now))
        return values

    return row


def _binding(obj: Obj, now: datetime) -> list[Any]:
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
        _meta(obj).get("name", ""),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        _since(_meta(obj).get("creationTimestamp"), now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]


def _ipaddress(obj: Obj, now: datetime) -> list[Any]:
    """printers.go `printIPAddress`: PARENTREF `resource.group/namespace/name`."""
    ref = _spec(obj).get("parentRef")
    text = "<none>"
    if isinstance(ref, dict):
        resource = str(ref.get("resource", ""))
        group = str(ref.get("group", ""))
        text = (f"{resource}.{group}" if group else resource).lower()
        if ref.get("namespace"):
            text += "/" + str(ref["namespace"])
        text += "/" + str(ref.get("name", ""))
    return [_meta(obj).get("name", ""), text, _since(_meta(obj).get("creationTimestamp"), now)]


# Column descriptions come from the same Go doc comments as the OpenAPI descriptions
# (`SwaggerDoc()`), so they are read from the schema data: (model, field) pairs.
_D = "io.k8s.api.core.v1."
_NAME = ("Name", "string", "name", 0, "@" + openapi.META + "ObjectMeta:name")
_AGE = ("Age", "string", "", 0, "@" + openapi.META + "ObjectMeta:creationTimestamp")
_CONTAINERS = ("Containers", "string", "", 1, "Names of each container in the template.")
_IMAGES = ("Images", "string", "", 1, "Images referenced by each container in the template.")

_PRINTERS: dict[str, tuple[tuple[Column, ...], Callable[[Obj, datetime], list[Any]]]] = {
    "Pod": (
        (
            _NAME,
            (
                "Ready",
                "string",
                "",
                0,
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            ("Status", "string", "", 0, "The aggregate status of the containers in this pod."),
            (
                "Restarts",
                "string",
                "",
                0,
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            _AGE,
            ("IP", "string", "", 1, f"@{_D}PodStatus:podIP"),
            ("Node", "string", "", 1, f"@{_D}PodSpec:nodeName"),
            ("Nominated Node", "string", "", 1, f"@{_D}PodStatus:nominatedNodeName"),
            ("Readiness Gates", "string", "", 1, f"@{_D}PodSpec:readinessGates"),
        ),
        _pod,
    ),
    "Service": (
        (
            _NAME,
            ("Type", "string", "", 0, f"@{_D}ServiceSpec:type"),
            ("Cluster-IP", "string", "", 0, f"@{_D}ServiceSpec:clusterIP"),
            ("External-IP", "string", "", 0, f"@{_D}ServiceSpec:externalIPs"),
            ("Port(s)", "string", "", 0, f"@{_D}ServiceSpec:ports"),
            _AGE,
            ("Selector", "string", "", 1, f"@{_D}ServiceSpec:selector"),
        ),
        _service,
    ),
    "Endpoints": (
        (_NAME, ("Endpoints", "string", "", 0, f"@{_D}Endpoints:subsets"), _AGE),
        _endpoints,
    ),
    "EndpointSlice": (
        (
            _NAME,
            ("AddressType", "string", "", 0, "@io.k8s.api.discovery.v1.EndpointSlice:addressType"),
            ("Ports", "string", "", 0, "@io.k8s.api.discovery.v1.EndpointSlice:ports"),
            ("Endpoints", "string", "", 0, "@io.k8s.api.discovery.v1.EndpointSlice:endpoints"),
            _AGE,
        ),
        _endpointslice,
    ),
    "Ingress": (
        (
            _NAME,
            (
                "Class",
                "string",
                "",
                0,
                "The name of the IngressClass resource that should be used for additional configuration",
            ),
            (
                "Hosts",
                "string",
                "",
                0,
                "Hosts that incoming requests are matched against before the ingress rule",
            ),
            (
                "Address",
                "string",
                "",
                0,
                "Address is a list containing ingress points for the load-balancer",
            ),
            ("Ports", "string", "", 0, "Ports of TLS configurations that open"),
            _AGE,
        ),
        _ingress,
    ),
    "IngressClass": (
        (
            _NAME,
            (
                "Controller",
                "string",
                "",
                0,
                "Controller that is responsible for handling this class",
            ),
            ("Parameters", "string", "", 0, "A reference to a resource with additional parameters"),
            _AGE,
        ),
        _ingressclass,
    ),
    "Deployment": (
        (
            _NAME,
            ("Ready", "string", "", 0, "Number of the pod with ready state"),
            ("Up-to-date", "string", "", 0, "@io.k8s.api.apps.v1.DeploymentStatus:updatedReplicas"),
            (
                "Available",
                "string",
                "",
                0,
                "@io.k8s.api.apps.v1.DeploymentStatus:availableReplicas",
            ),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            ("Selector", "string", "", 1, "@io.k8s.api.apps.v1.DeploymentSpec:selector"),
        ),
        _deployment,
    ),
    "ReplicaSet": (
        (
            _NAME,
            ("Desired", "integer", "", 0, "@io.k8s.api.apps.v1.ReplicaSetSpec:replicas"),
            ("Current", "integer", "", 0, "@io.k8s.api.apps.v1.ReplicaSetStatus:replicas"),
            ("Ready", "integer", "", 0, "@io.k8s.api.apps.v1.ReplicaSetStatus:readyReplicas"),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            ("Selector", "string", "", 1, "@io.k8s.api.apps.v1.ReplicaSetSpec:selector"),
        ),
        _replicaset,
    ),
    "StatefulSet": (
        (
            _NAME,
            ("Ready", "string", "", 0, "Number of the pod with ready state"),
            _AGE,
            _CONTAINERS,
            _IMAGES,
        ),
        _statefulset,
    ),
    "DaemonSet": (
        (
            _NAME,
            (
                "Desired",
                "integer",
                "",
                0,
                "@io.k8s.api.apps.v1.DaemonSetStatus:desiredNumberScheduled",
            ),
            (
                "Current",
                "integer",
                "",
                0,
                "@io.k8s.api.apps.v1.DaemonSetStatus:currentNumberScheduled",
            ),
            ("Ready", "integer", "", 0, "@io.k8s.api.apps.v1.DaemonSetStatus:numberReady"),
            (
                "Up-to-date",
                "integer",
                "",
                0,
                "@io.k8s.api.apps.v1.DaemonSetStatus:updatedNumberScheduled",
            ),
            ("Available", "integer", "", 0, "@io.k8s.api.apps.v1.DaemonSetStatus:numberAvailable"),
            ("Node Selector", "string", "", 0, f"@{_D}PodSpec:nodeSelector"),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            ("Selector", "string", "", 1, "@io.k8s.api.apps.v1.DaemonSetSpec:selector"),
        ),
        _daemonset,
    ),
    "Node": (
        (
            _NAME,
            ("Status", "string", "", 0, "The status of the node"),
            ("Roles", "string", "", 0, "The roles of the node"),
            _AGE,
            ("Version", "string", "", 0, f"@{_D}NodeSystemInfo:kubeletVersion"),
            ("Internal-IP", "string", "", 1, f"@{_D}NodeStatus:addresses"),
            ("External-IP", "string", "", 1, f"@{_D}NodeStatus:addresses"),
            ("OS-Image", "string", "", 1, f"@{_D}NodeSystemInfo:osImage"),
            ("Kernel-Version", "string", "", 1, f"@{_D}NodeSystemInfo:kernelVersion"),
            ("Container-Runtime", "string", "", 1, f"@{_D}NodeSystemInfo:containerRuntimeVersion"),
        ),
        _node,
    ),
    "Event": (
        (
            ("Last Seen", "string", "", 0, f"@{_D}Event:lastTimestamp"),
            ("Type", "string", "", 0, f"@{_D}Event:type"),
            ("Reason", "string", "", 0, f"@{_D}Event:reason"),
            ("Object", "string", "", 0, f"@{_D}Event:involvedObject"),
            ("Subobject", "string", "", 1, f"@{_D}ObjectReference:fieldPath"),
            ("Source", "string", "", 1, f"@{_D}Event:source"),
            ("Message", "string", "", 0, f"@{_D}Event:message"),
            ("First Seen", "string", "", 1, f"@{_D}Event:firstTimestamp"),
            ("Count", "string", "", 1, f"@{_D}Event:count"),
            ("Name", "string", "name", 1, "@" + openapi.META + "ObjectMeta:name"),
        ),
        _event,
    ),
    "Namespace": (
        (_NAME, ("Status", "string", "", 0, "The status of the namespace"), _AGE),
        _simple(lambda o: _status(o).get("phase", "")),
    ),
    "Secret": (
        (
            _NAME,
            ("Type", "string", "", 0, f"@{_D}Secret:type"),
            ("Data", "string", "", 0, f"@{_D}Secret:data"),
            _AGE,
        ),
        _simple(lambda o: o.get("type", ""), lambda o: len(o.get("data") or {})),
    ),
    "ConfigMap": (
        (_NAME, ("Data", "string", "", 0, f"@{_D}ConfigMap:data"), _AGE),
        _simple(lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
    ),
    "ServiceAccount": (
        (_NAME, ("Secrets", "string", "", 0, f"@{_D}ServiceAccount:secrets"), _AGE),
        _simple(lambda o: len(o.get("secrets") or [])),
    ),
    "NetworkPolicy": (
        (
            _NAME,
            (
                "Pod-Selector",
                "string",
                "",
                0,
                "@io.k8s.api.networking.v1.NetworkPolicySpec:podSelector",
            ),
            _AGE,
        ),
        _simple(lambda o: format_label_selector(_spec(o).get("podSelector") or {})),
    ),
    "ServiceCIDR": (
        (
            _NAME,
            ("CIDRs", "string", "", 0, "@io.k8s.api.networking.v1.ServiceCIDRSpec:cidrs"),
            _AGE,
        ),
        _simple(lambda o: ",".join(_spec(o).get("cidrs") or [])),
    ),
    "IPAddress": (
        # Upstream declares only NAME and PARENTREF but prints the age as a third cell; the
        # column is named here so the row and the header have the same length.
        (
            _NAME,
            ("ParentRef", "string", "", 0, "@io.k8s.api.networking.v1.IPAddressSpec:parentRef"),
            _AGE,
        ),
        _ipaddress,
    ),
}
_BINDING_COLUMNS: tuple[Column, ...] = (
    _NAME,
    ("Role", "string", "", 0, "@io.k8s.api.rbac.v1.RoleBinding:roleRef"),
    _AGE,
    ("Users", "string", "", 1, "Users in the roleBinding"),
    ("Groups", "string", "", 1, "Groups in the roleBinding"),
    ("ServiceAccounts", "string", "", 1, "ServiceAccounts in the roleBinding"),
)
_PRINTERS["RoleBinding"] = (_BINDING_COLUMNS, _binding)
_PRINTERS["ClusterRoleBinding"] = (
    tuple(
        (
            n,
            t,
            f,
            p,
            d.replace("roleBinding", "clusterRoleBinding").replace(
                "RoleBinding:", "ClusterRoleBinding:"
            ),
        )
        for n, t, f, p, d in _BINDING_COLUMNS
    ),
    _binding,
)


def _description(text: str) -> str:
    """A column description: literal, or `@model:field` read from the OpenAPI data."""
    if not text.startswith("@"):
        return text
    model, _, field = text[1:].partition(":")
    schema = openapi._definitions().get(model, {})
    prop = schema.get("properties", {}).get(field, {})
    return str(prop.get("description", ""))


def _columns(columns: Sequence[Column]) -> list[Obj]:
    return [
        {
            "name": name,
            "type": typ,
            "format": fmt,
            "description": _description(desc),
            "priority": priority,
        }
        for name, typ, fmt, priority, desc in columns
    ]


# -- CRD printer columns ---------------------------------------------------------------

_FILTER = re.compile(r'^\[\?\(@\.(?P<field>[A-Za-z0-9_]+)=="(?P<value>[^"]*)"\)\]')


def _jsonpath(obj: Any, path: str) -> list[Any]:
    """The subset of client-go's JSONPath the CRDs' printer columns use: `.a.b`, `[*]`,
    `[N]` and `[?(@.field=="value")]`; missing keys give no result (AllowMissingKeys)."""
    values = [obj]
    rest = path
    while rest:
        if rest.startswith("."):
            match = re.match(r"^\.([A-Za-z0-9_\-]+)", rest)
            if match is None:
                return []
            key = match.group(1)
            values = [v[key] for v in values if isinstance(v, dict) and key in v]
            rest = rest[match.end() :]
        elif rest.startswith("[*]"):
            values = [item for v in values if isinstance(v, list) for item in v]
            rest = rest[3:]
        elif (index := re.match(r"^\[(\d+)\]", rest)) is not None:
            i = int(index.group(1))
            values = [v[i] for v in values if isinstance(v, list) and len(v) > i]
            rest = rest[index.end() :]
        elif (flt := _FILTER.match(rest)) is not None:
            field, want = flt.group("field"), flt.group("value")
            values = [
                item
                for v in values
                if isinstance(v, list)
                for item in v
                if isinstance(item, dict) and item.get(field) == want
            ]
            rest = rest[flt.end() :]
        else:
            return []
    return values


def _crd_cell(column: Obj, obj: Obj, now: datetime) -> Any:
    """tableconvertor.go `ConvertToTable`/`cellForJSONValue`: the first result; strings print
    as text, lists and maps as compact JSON; dates as an age; a missing value is null."""
    results = _jsonpath(obj, column["jsonPath"])
    if not results:
        return None
    value = results[0]
    kind = column["type"]
    if kind == "string":
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"))
        if isinstance(value, bool):
            return "true" if value else "false"
        return "null" if value is None else str(value)
    if value is None:
        return None
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        when = _parse_time(value)
        return "<invalid>" if when is None else human_duration((now - when).total_seconds())
    return None


def _crd_printer(
    kind: str, version: str
) -> tuple[list[Obj], Callable[[Obj, datetime], list[Any]]] | None:
    served = openapi.crd_version(kind, version)
    if served is None:
        return None
    crd_columns = served.get("additionalPrinterColumns") or [
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
    ]
    columns = [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": _description(_NAME[4]),
            "priority": 0,
        }
    ]
    for col in crd_columns:
        columns.append(
            {
                "name": col["name"],
                "type": col["type"],
                "format": col.get("format", ""),
                "description": col.get("description")
                or f"Custom resource definition column (in JSONPath format): {col['jsonPath']}",
                "priority": col.get("priority", 0),
            }
        )

    def row(obj: Obj, now: datetime) -> list[Any]:
        return [_meta(obj).get("name", ""), *(_crd_cell(c, obj, now) for c in crd_columns)]

    return columns, row


# -- the table -------------------------------------------------------------------------


def _default_row(obj: Obj, now: datetime) -> list[Any]:
    """rest/table.go: the name and the creation time in RFC 3339, UTC."""
    when = _parse_time(_meta(obj).get("creationTimestamp"))
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else "0001-01-01T00:00:00Z"
    return [_meta(obj).get("name", ""), stamp]


_DEFAULT_COLUMNS: tuple[Column, ...] = (
    _NAME,
    ("Created At", "date", "", 0, "@" + openapi.META + "ObjectMeta:creationTimestamp"),
)


def _row_object(obj: Obj, include_object: str) -> Obj | None:
    if include_object == "Object":
        return obj
    if include_object == "None":
        return None
    return {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": _meta(obj)}


def to_table(
    kind: str,
    objects: Sequence[Obj],
    *,
    now: datetime,
    include_object: str = "Metadata",
    api_version: str | None = None,
    no_headers: bool = False,
    resource_version: str = "",
) -> Obj:
    """A `meta.k8s.io/v1` Table of some objects of one kind, with the columns and cells the
    real API server prints (all columns; kubectl shows priority 1 only with `-o wide`).

    `include_object` is the request's `includeObject`: `Metadata` (default; each row's object
    is a PartialObjectMetadata), `Object` (the object itself) or `None`. `api_version` picks
    the CRD version whose printer columns apply (default: the first object's, else the kind's
    first served version). Raises ValueError for another `include_object`, as the server
    answers 400 (`unrecognized includeObject value`).
    """
    if include_object not in ("Metadata", "Object", "None", ""):
        raise ValueError(f'unrecognized includeObject value: "{include_object}"')
    include_object = include_object or "Metadata"
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    version = api_version or next(
        (str(o["apiVersion"]) for o in objects if o.get("apiVersion")), ""
    )
    group, _, ver = version.rpartition("/")
    crd = None
    if group == openapi.CRD_GROUP or (not version and openapi.crd_names(kind)):
        ver = ver or next(
            s.version for s in openapi.SERVED if s.kind == kind and s.group == openapi.CRD_GROUP
        )
        crd = _crd_printer(kind, ver)
    if crd is not None:
        columns, printer = crd
    elif kind in _PRINTERS:
        column_specs, printer = _PRINTERS[kind]
        columns = _columns(column_specs)
    else:
        columns, printer = _columns(_DEFAULT_COLUMNS), _default_row
    rows = [
        {"cells": printer(obj, now), "object": _row_object(obj, include_object)} for obj in objects
    ]
    table: Obj = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version} if resource_version else {},
        "columnDefinitions": [] if no_headers else columns,
        "rows": rows,
    }
    return table
