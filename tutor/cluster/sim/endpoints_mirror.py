"""core/v1 Endpoints: the endpoints controller, the EndpointSlice mirroring controller, and
their admission.

After k8s.io/kubernetes v1.37.2:

- `pkg/controller/endpoint/endpoints_controller.go` `syncService`: a Service *with* a selector
  gets an Endpoints of its name, kept by the controller (it overwrites anyone's edits): one
  subset per port set, ready Pods under `addresses`, unready ones under `notReadyAddresses`
  (every one ready with `publishNotReadyAddresses`), terminating Pods left out
  (`ShouldPodBeInEndpoints`); labels are the Service's plus
  `endpoints.kubernetes.io/managed-by: endpoint-controller` and, without a ClusterIP,
  `service.kubernetes.io/headless`. Kubernetes 1.33 deprecated the API (the server warns on
  every request) but 1.37 still runs this controller.
- `pkg/controller/endpointslicemirroring`: a Service *without* a selector whose Endpoints a
  person wrote gets EndpointSlices mirrored from it (`utils.go` `newEndpointSlice`: labels of
  the Endpoints plus `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
  endpointslicemirroring-controller.k8s.io`, the Endpoints as controller owner, name from
  `<service>-`; `addressToEndpoint`: only a `ready` condition). A `skip-mirror` label, a
  missing Service or a selector on it removes the mirrored slices.
- `pkg/apis/core/validation/validation.go` `ValidateEndpoints`: addresses must be IPs, not
  loopback/link-local; ports need names when there are several, numbers in range.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.cluster.sim.admission import Admission, Allocations, Problems
    from tutor.cluster.sim.controllers import Controllers

Obj = dict[str, Any]

ENDPOINTS_MANAGED_BY = "endpoints.kubernetes.io/managed-by"
ENDPOINTS_CONTROLLER = "endpoint-controller"
MIRROR_CONTROLLER = "endpointslicemirroring-controller.k8s.io"
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
SERVICE_NAME = "kubernetes.io/service-name"
SLICE_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
HEADLESS = "service.kubernetes.io/headless"
LAST_CHANGE = "endpoints.kubernetes.io/last-change-trigger-time"
DEPRECATION_WARNING = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


# -- admission ---------------------------------------------------------------------------


def admit_endpoints(
    adm: Admission, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
) -> None:
    """Endpoints defaults (protocol TCP) and `ValidateEndpoints`."""
    obj.pop("spec", None)
    subsets = obj.get("subsets")
    if subsets is None:
        return
    if not isinstance(subsets, list):
        problems.invalid("subsets", subsets, "must be a list")
        return
    for i, subset in enumerate(subsets):
        path = f"subsets[{i}]"
        if not isinstance(subset, dict):
            problems.invalid(path, subset, "must be an object")
            continue
        for field in ("addresses", "notReadyAddresses"):
            for j, address in enumerate(subset.get(field) or []):
                _check_address(problems, f"{path}.{field}[{j}]", address)
        ports = subset.get("ports") or []
        for j, port in enumerate(ports):
            ppath = f"{path}.ports[{j}]"
            if len(ports) > 1 and not port.get("name"):
                problems.required(f"{ppath}.name")
            port.setdefault("protocol", "TCP")
            if port["protocol"] not in ("TCP", "UDP", "SCTP"):
                problems.unsupported(f"{ppath}.protocol", port["protocol"], ["SCTP", "TCP", "UDP"])
            number = port.get("port")
            if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 65536:
                problems.invalid(f"{ppath}.port", number, "must be between 1 and 65535, inclusive")


def _check_address(problems: Problems, path: str, address: Any) -> None:
    ip_text = address.get("ip") if isinstance(address, dict) else None
    try:
        ip = ipaddress.ip_address(str(ip_text))
    except ValueError:
        problems.invalid(f"{path}.ip", ip_text, "must be a valid IP address")
        return
    if ip.is_loopback:
        problems.invalid(
            f"{path}.ip", ip_text, "may not be in the loopback range (127.0.0.0/8, ::1/128)"
        )
    elif ip.is_link_local:
        problems.invalid(
            f"{path}.ip", ip_text, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
        )
    elif ip.is_unspecified:
        problems.invalid(f"{path}.ip", ip_text, "may not be unspecified (0.0.0.0)")


# -- the endpoints controller --------------------------------------------------------------


def _address(endpoint: Obj) -> Obj:
    out: Obj = {"ip": endpoint["addresses"][0]}
    if endpoint.get("hostname"):
        out["hostname"] = endpoint["hostname"]
    if endpoint.get("nodeName"):
        out["nodeName"] = endpoint["nodeName"]
    if endpoint.get("targetRef"):
        out["targetRef"] = dict(endpoint["targetRef"])
    return out


def desired_subsets(svc: Obj, slices: list[Obj]) -> list[Obj]:
    """The Endpoints subsets for a selector Service, from the controller's own EndpointSlices
    (the same Pods, grouped by the same resolved port sets)."""
    publish = bool(svc["spec"].get("publishNotReadyAddresses"))
    groups: dict[str, tuple[list[Obj], list[Obj], list[Obj]]] = {}
    for s in slices:
        ports = [  # EndpointPort.name is omitempty, unlike the slice's pointer
            {k: p[k] for k in ("name", "port", "protocol", "appProtocol") if p.get(k)}
            for p in s.get("ports") or []
        ]
        key = repr(sorted((p.get("name", ""), p.get("port"), p.get("protocol")) for p in ports))
        entry = groups.setdefault(key, (ports, [], []))
        for endpoint in s.get("endpoints") or []:
            conditions = endpoint.get("conditions") or {}
            if conditions.get("terminating") and not publish:
                continue
            is_ready = conditions.get("ready") is not False or publish
            (entry[1] if is_ready else entry[2]).append(_address(endpoint))
    subsets = []
    for ports, ready, not_ready in groups.values():
        if not ready and not not_ready:
            continue
        subset: Obj = {}
        if ready:
            subset["addresses"] = sorted(ready, key=_ip_order)
        if not_ready:
            subset["notReadyAddresses"] = sorted(not_ready, key=_ip_order)
        if ports:
            subset["ports"] = ports
        subsets.append(subset)
    return subsets


def _ip_order(address: Obj) -> tuple[int, bytes]:
    """Numeric address order (as sorting `ipaddress` objects gives), via the C parser: the
    mirror sorts every address of every Service on each change."""
    ip = str(address["ip"])
    try:
        return (
            (4, socket.inet_aton(ip))
            if ":" not in ip
            else (6, socket.inet_pton(socket.AF_INET6, ip))
        )
    except OSError:
        return (0, ipaddress.ip_address(ip).packed)


def reconcile_endpoints(ctrl: Controllers, ns: str, name: str) -> None:
    """Keep the Endpoints of a selector Service; leave selector-less ones to their writers,
    and mirror those into EndpointSlices."""
    from tutor.cluster.sim.controllers import CONTROLLER_MANAGER

    store = ctrl.store
    svc = store.get("Service", ns, name)
    current = store.get("Endpoints", ns, name)
    spec = (svc or {}).get("spec") or {}
    if svc is not None and spec.get("selector") and spec.get("type") != "ExternalName":
        labels = {
            **(svc["metadata"].get("labels") or {}),
            ENDPOINTS_MANAGED_BY: ENDPOINTS_CONTROLLER,
        }
        if spec.get("clusterIP") in (None, "", "None"):
            labels[HEADLESS] = ""
        subsets = desired_subsets(svc, ctrl._managed_slices(ns, name))
        if (
            current is not None
            and (current.get("subsets") or []) == subsets
            and (current["metadata"].get("labels") or {}) == labels
        ):
            _mirror(ctrl, ns, name, None)
            return
        meta: Obj = {"name": name, "namespace": ns, "labels": labels}
        if current is not None:
            meta = {**current["metadata"], "labels": labels}
        meta["annotations"] = {
            **((current or {}).get("metadata", {}).get("annotations") or {}),
            LAST_CHANGE: store.now(),
        }
        meta["managedFields"] = [{"manager": CONTROLLER_MANAGER, "operation": "Update"}]
        body: Obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
        if subsets:
            body["subsets"] = subsets
        store.put(body)
        _mirror(ctrl, ns, name, None)
        return
    if (
        current is not None
        and (current["metadata"].get("labels") or {}).get(ENDPOINTS_MANAGED_BY)
        == ENDPOINTS_CONTROLLER
    ):
        # the Service went (or lost its selector): the controller deletes what it made
        store.delete("Endpoints", ns, name)
        current = None
    mirror = (
        current is not None
        and svc is not None
        and not spec.get("selector")
        and (current["metadata"].get("labels") or {}).get(SKIP_MIRROR) != "true"
    )
    _mirror(ctrl, ns, name, current if mirror else None)


def _mirror(ctrl: Controllers, ns: str, name: str, endpoints: Obj | None) -> None:
    """Make the mirrored EndpointSlices of `name` match `endpoints` (none when None)."""
    from tutor.cluster.sim.controllers import CONTROLLER_MANAGER, _owner_ref, name_suffix

    store = ctrl.store
    existing = {
        s["metadata"]["name"]: s
        for s in store.list("EndpointSlice", ns, {SERVICE_NAME: name})
        if (s["metadata"].get("labels") or {}).get(SLICE_MANAGED_BY) == MIRROR_CONTROLLER
    }
    desired: list[Obj] = []
    if endpoints is not None:
        labels = {
            **(endpoints["metadata"].get("labels") or {}),
            SERVICE_NAME: name,
            SLICE_MANAGED_BY: MIRROR_CONTROLLER,
        }
        annotations = {
            k: v
            for k, v in (endpoints["metadata"].get("annotations") or {}).items()
            if k not in (LAST_CHANGE, "kubectl.kubernetes.io/last-applied-configuration")
        }
        by_key: dict[tuple[str, str], Obj] = {}
        for subset in endpoints.get("subsets") or []:
            ports = [
                {
                    "name": p.get("name", ""),
                    "port": p.get("port"),
                    "protocol": p.get("protocol", "TCP"),
                    **({"appProtocol": p["appProtocol"]} if p.get("appProtocol") else {}),
                }
                for p in subset.get("ports") or []
            ]
            for field, ready in (("addresses", True), ("notReadyAddresses", False)):
                for address in subset.get(field) or []:
                    ip = ipaddress.ip_address(address["ip"])
                    family = "IPv4" if ip.version == 4 else "IPv6"
                    key = (family, repr(ports))
                    body = by_key.get(key)
                    if body is None:
                        body = {
                            "apiVersion": "discovery.k8s.io/v1",
                            "kind": "EndpointSlice",
                            "metadata": {
                                "namespace": ns,
                                "labels": labels,
                                "ownerReferences": [_owner_ref(endpoints)],
                                "managedFields": [
                                    {"manager": CONTROLLER_MANAGER, "operation": "Update"}
                                ],
                                **({"annotations": annotations} if annotations else {}),
                            },
                            "addressType": family,
                            "endpoints": [],
                            "ports": ports,
                        }
                        by_key[key] = body
                    endpoint: Obj = {"addresses": [str(ip)], "conditions": {"ready": ready}}
                    for copied in ("hostname", "nodeName", "targetRef"):
                        if address.get(copied):
                            endpoint[copied] = address[copied]
                    body["endpoints"].append(endpoint)
        desired = list(by_key.values())
    unused = sorted(existing)
    for body in desired:
        match = next(
            (
                n
                for n in unused
                if existing[n].get("addressType") == body["addressType"]
                and existing[n].get("ports") == body["ports"]
            ),
            None,
        )
        if match is not None:
            unused.remove(match)
            old = existing[match]
            body["metadata"]["name"] = match
            if all(old.get(k) == body.get(k) for k in ("endpoints", "ports", "addressType")) and (
                old["metadata"].get("labels") == body["metadata"]["labels"]
            ):
                continue
        else:
            seq = ctrl.pod_counter.get(f"mirror:{ns}/{name}", 0) + 1
            ctrl.pod_counter[f"mirror:{ns}/{name}"] = seq
            body["metadata"]["name"] = f"{name}-{name_suffix(f'mirror/{ns}/{name}/{seq}')}"
            body["metadata"]["generateName"] = f"{name}-"
        store.put(body)
    for leftover in unused:
        store.delete("EndpointSlice", ns, leftover)
