"""Service admission: type-dependent fields, ClusterIPs and nodePorts, as the API server's strategy and validation do."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from tutor.cluster.sim.admission.allocations import Allocations
from tutor.cluster.sim.admission.common import (
    _DNS_SUBDOMAIN,
    DNS_SUBDOMAIN_MSG,
    AdmissionBase,
    Obj,
    Problems,
    _check_dns_label,
    _check_labels,
    _check_port_number,
    _int,
)
from tutor.cluster.sim.service_strategy import (
    cluster_ips_change,
    drop_type_dependent_fields,
    port_name_errors,
)
from tutor.cluster.sim.topology import (
    NODE_PORT_MAX,
    NODE_PORT_MIN,
    SERVICE_CIDR,
)


class ServiceAdmission(AdmissionBase):
    """Admits Services."""

    # -- per-kind handlers -------------------------------------------------------------------

    def service(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Service defaults, allocation and validation."""
        spec = obj["spec"]
        meta = obj["metadata"]
        owner = (meta["namespace"], meta["name"])
        old_spec = (old or {}).get("spec") or {}
        obj.setdefault("status", {"loadBalancer": {}})
        svc_type = spec.setdefault("type", "ClusterIP")
        types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
        if svc_type not in types:
            problems.unsupported("spec.type", svc_type, types)
            return
        ports = spec.get("ports") or []
        if not isinstance(ports, list):
            problems.invalid("spec.ports", ports, "must be a list")
            return
        if old is not None:
            drop_type_dependent_fields(spec, old_spec, obj.get("status"))
        spec.setdefault("sessionAffinity", "None")
        _check_labels(problems, "spec.selector", spec.get("selector"))  # a map, never a string
        external = svc_type in ("NodePort", "LoadBalancer")
        headless = spec.get("clusterIP") == "None" or (
            not spec.get("clusterIP") and (spec.get("clusterIPs") or [None])[0] == "None"
        )
        if headless and external:
            # validation.go ValidateService: a headless Service has no ClusterIP to NAT to
            problems.invalid(
                "spec.clusterIPs[0]", "None", f"may not be set to 'None' for {svc_type} services"
            )

        if svc_type == "ExternalName":
            ext = spec.get("externalName")
            if not ext:
                problems.required("spec.externalName")
            elif (
                not isinstance(ext, str)
                or len(ext) > 253
                or not _DNS_SUBDOMAIN.match(ext.rstrip("."))
            ):
                problems.invalid("spec.externalName", ext, DNS_SUBDOMAIN_MSG)
            for bad in ("clusterIP", "clusterIPs"):
                value = spec.get(bad)
                if value and value != "None" and value != ["None"]:
                    problems.forbidden(f"spec.{bad}", "may not be set for ExternalName services")
            for f in ("ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
                spec.pop(f, None)
        elif not ports and not headless:
            problems.required("spec.ports")

        # ports
        names: set[str] = set()
        seen: set[tuple[int, str]] = set()
        for i, port in enumerate(ports):
            path = f"spec.ports[{i}]"
            if not isinstance(port, dict):
                problems.invalid(path, port, "must be an object")
                continue
            protocol = port.setdefault("protocol", "TCP")
            if protocol not in ("TCP", "UDP", "SCTP"):
                problems.unsupported(f"{path}.protocol", protocol, ["SCTP", "TCP", "UDP"])
            _check_port_number(problems, f"{path}.port", port.get("port"))
            pname = port.get("name")
            if len(ports) > 1 and not pname:
                problems.required(f"{path}.name")
            if pname:
                _check_dns_label(problems, f"{path}.name", pname)
                if pname in names:
                    problems.duplicate(f"{path}.name", pname)
                names.add(pname)
            number = _int(port.get("port"))
            if number is not None:
                if (number, protocol) in seen:
                    problems.duplicate(path, {"port": number, "protocol": protocol})
                seen.add((number, protocol))
            if ("targetPort" not in port or port.get("targetPort") in (0, "")) and (
                number is not None
            ):
                port["targetPort"] = number
            target = port.get("targetPort")
            if isinstance(target, str):
                # IntOrString: "8080" is a port *name* (ValidatePortNumOrName), and no valid one
                for message in port_name_errors(target):
                    problems.invalid(f"{path}.targetPort", target, message)
            if isinstance(port.get("targetPort"), int) and not isinstance(
                port.get("targetPort"), bool
            ):
                _check_port_number(problems, f"{path}.targetPort", port["targetPort"])
            if "nodePort" in port and not external:
                if port["nodePort"] not in (None, 0):
                    problems.forbidden(
                        f"{path}.nodePort", f"may not be used when `type` is '{svc_type}'"
                    )
                port.pop("nodePort", None)

        # traffic policies
        etp = spec.get("externalTrafficPolicy")
        externally_reachable = external or bool(spec.get("externalIPs"))
        if etp is not None and etp not in ("Cluster", "Local"):
            problems.unsupported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"])
        if externally_reachable:
            spec.setdefault("externalTrafficPolicy", "Cluster")
        elif etp is not None and svc_type != "ExternalName":
            problems.invalid(
                "spec.externalTrafficPolicy",
                etp,
                "may only be set for externally-accessible services",
            )
        if svc_type != "ExternalName":
            itp = spec.setdefault("internalTrafficPolicy", "Cluster")
            if itp not in ("Cluster", "Local"):
                problems.unsupported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"])
        td = spec.get("trafficDistribution")
        if td is not None and td not in ("PreferClose", "PreferSameZone", "PreferSameNode"):
            problems.unsupported(
                "spec.trafficDistribution", td, ["PreferClose", "PreferSameZone", "PreferSameNode"]
            )

        # session affinity
        affinity = spec["sessionAffinity"]
        if affinity not in ("None", "ClientIP"):
            problems.unsupported("spec.sessionAffinity", affinity, ["ClientIP", "None"])
        elif affinity == "ClientIP":
            cfg = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
            timeout = cfg.setdefault("timeoutSeconds", 10800)
            if _int(timeout) is None or not 0 < timeout <= 86400:
                problems.invalid(
                    "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                    timeout,
                    "must be greater than 0 and less than 86400",
                )
        elif spec.get("sessionAffinityConfig"):
            problems.forbidden(
                "spec.sessionAffinityConfig", "must not be set when `sessionAffinity` is None"
            )

        # LoadBalancer-only fields (what a type change left behind is gone already)
        if svc_type == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        else:
            for f in ("allocateLoadBalancerNodePorts", "loadBalancerClass"):
                if spec.get(f) is not None:
                    problems.forbidden(
                        f"spec.{f}", "may only be used when `type` is 'LoadBalancer'"
                    )
                spec.pop(f, None)
        if (
            old is not None
            and svc_type == "LoadBalancer"
            and old_spec.get("type") == "LoadBalancer"
            and old_spec.get("loadBalancerClass") != spec.get("loadBalancerClass")
        ):
            # validateLoadBalancerClassField: set, changed or removed, it may not change
            problems.invalid(
                "spec.loadBalancerClass", spec.get("loadBalancerClass"), "may not change once set"
            )

        if problems:
            return
        self._service_ips(obj, old_spec, owner, problems, alloc)
        if problems:
            return
        self._service_node_ports(obj, old_spec, owner, problems, alloc)

    def _service_ips(
        self,
        obj: Obj,
        old_spec: Obj,
        owner: tuple[str, str],
        problems: Problems,
        alloc: Allocations,
    ) -> None:
        spec = obj["spec"]
        svc_type = spec["type"]
        old_type = old_spec.get("type")
        old_ip = old_spec.get("clusterIP")
        if svc_type == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
            if old_ip and old_ip != "None":
                alloc.cluster_ips.pop(old_ip, None)
            return
        if old_type is not None and old_type != "ExternalName" and old_ip:
            # storage normalizeClusterIPs runs before validation: compare with the old IPs
            changed = cluster_ips_change(spec, old_spec)
            if changed is not None:
                problems.invalid("spec.clusterIPs[0]", changed, "may not change once set")
                return
        requested = spec.get("clusterIP")
        requested_ips = spec.get("clusterIPs")
        if not requested and isinstance(requested_ips, list) and requested_ips:
            requested = requested_ips[0]
        if (
            isinstance(requested_ips, list)
            and requested
            and requested_ips
            and (requested_ips[0] != requested)
        ):
            problems.invalid("spec.clusterIPs", requested_ips, "element [0] must match clusterIP")
            return
        # ip families
        policy = spec.get("ipFamilyPolicy")
        families = spec.get("ipFamilies")
        headless = requested == "None"
        if policy is None:
            if headless and not spec.get("selector") and not old_spec:
                policy = "RequireDualStack"
            else:
                policy = old_spec.get("ipFamilyPolicy", "SingleStack")
        if policy not in ("SingleStack", "PreferDualStack", "RequireDualStack"):
            problems.unsupported(
                "spec.ipFamilyPolicy",
                policy,
                ["PreferDualStack", "RequireDualStack", "SingleStack"],
            )
            return
        if policy == "RequireDualStack" and not headless:
            problems.invalid(
                "spec.ipFamilyPolicy",
                policy,
                "this cluster is not configured for dual-stack services",
            )
            return
        if families:
            for i, family in enumerate(families):
                if family != "IPv4":
                    problems.invalid(
                        f"spec.ipFamilies[{i}]", family, "not configured on this cluster"
                    )
                    return
        spec["ipFamilyPolicy"] = policy
        spec["ipFamilies"] = ["IPv4"]

        had_ip = old_type is not None and old_type != "ExternalName" and bool(old_ip)
        if had_ip:
            spec["clusterIP"] = old_ip
            spec["clusterIPs"] = [old_ip]
            return
        if headless:
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
            return
        if requested:
            try:
                address = ipaddress.ip_address(requested)
            except ValueError:
                problems.invalid(
                    "spec.clusterIPs[0]",
                    requested,
                    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                )
                return
            usable = (
                address.version == 4
                and address in SERVICE_CIDR
                and address != SERVICE_CIDR.network_address
                and address != SERVICE_CIDR.broadcast_address
            )
            if not usable:
                problems.invalid(
                    "spec.clusterIPs",
                    [requested],
                    f"failed to allocate IP {requested}: the provided IP ({requested}) is not "
                    f"in the valid range. The range of valid IPs is {SERVICE_CIDR}",
                )
                return
            holder = alloc.cluster_ips.get(str(address))
            if holder is not None and holder != owner:
                problems.invalid(
                    "spec.clusterIPs",
                    [requested],
                    f"failed to allocate IP {requested}: provided IP is already allocated",
                )
                return
            alloc.cluster_ips[str(address)] = owner
            spec["clusterIP"] = str(address)
            spec["clusterIPs"] = [str(address)]
            return
        ip = alloc.allocate_ip(owner)
        if ip is None:
            problems.invalid(
                "spec.clusterIPs", [], f"failed to allocate IP: range {SERVICE_CIDR} is full"
            )
            return
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]

    def _service_node_ports(
        self,
        obj: Obj,
        old_spec: Obj,
        owner: tuple[str, str],
        problems: Problems,
        alloc: Allocations,
    ) -> None:
        spec = obj["spec"]
        svc_type = spec["type"]
        wants = svc_type == "NodePort" or (
            svc_type == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True)
        )
        old_ports: dict[tuple[int, str], int] = {}
        for p in old_spec.get("ports") or []:
            if p.get("nodePort"):
                old_ports[(p.get("port"), p.get("protocol", "TCP"))] = p["nodePort"]
        old_hc = old_spec.get("healthCheckNodePort")
        kept: set[int] = set()
        used_here: set[int] = set()
        per_protocol: set[tuple[str, int]] = set()
        by_number = _shared_node_ports(spec.get("ports") or []) if wants else {}
        """service port number -> the nodePort its protocols share (alloc.go initNodePorts)"""
        if wants:
            for i, port in enumerate(spec.get("ports") or []):
                path = f"spec.ports[{i}].nodePort"
                key = (port.get("port"), port.get("protocol", "TCP"))
                requested = port.get("nodePort")
                shared = by_number.get(port.get("port"))
                if (
                    shared is not None
                    and (not requested or requested == shared[0])
                    and shared[1] is not None
                    and shared[1] != i
                ):
                    # a sibling protocol of this port number holds it already
                    port["nodePort"] = shared[0]
                    continue
                if not requested:
                    previous = old_ports.get(key)
                    if previous:
                        port["nodePort"] = previous
                        kept.add(previous)
                        used_here.add(previous)
                        by_number.setdefault(port.get("port"), (previous, i))
                        continue
                    allocated = alloc.allocate_port(owner, str(i))
                    if allocated is None:
                        problems.invalid(path, 0, "failed to allocate a nodePort: range is full")
                        return
                    port["nodePort"] = allocated
                    used_here.add(allocated)
                    by_number[port.get("port")] = (allocated, i)
                    continue
                number = _int(requested)
                if number is None or not NODE_PORT_MIN <= number <= NODE_PORT_MAX:
                    problems.invalid(
                        path,
                        requested,
                        "provided port is not in the valid range. The range of valid ports is "
                        f"{NODE_PORT_MIN}-{NODE_PORT_MAX}",
                    )
                    continue
                protocol = port.get("protocol", "TCP")
                if (protocol, number) in per_protocol:
                    # ValidateService: duplicate nodePorts count per (protocol, nodePort)
                    problems.duplicate(path, number)
                    continue
                per_protocol.add((protocol, number))
                holder = alloc.node_ports.get(number)
                if (holder is not None and holder != owner) or number in used_here:
                    problems.invalid(path, number, "provided port is already allocated")
                    continue
                alloc.node_ports[number] = owner
                kept.add(number)
                used_here.add(number)
                by_number[port.get("port")] = (number, i)
        else:
            for port in spec.get("ports") or []:
                port.pop("nodePort", None)
        # healthCheckNodePort: only LoadBalancer + externalTrafficPolicy Local
        hc_wanted = svc_type == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"
        requested_hc = spec.get("healthCheckNodePort")
        if not hc_wanted:
            if requested_hc:
                problems.invalid(
                    "spec.healthCheckNodePort",
                    requested_hc,
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` "
                    "is 'Local'",
                )
                return
            spec.pop("healthCheckNodePort", None)
        else:
            if not requested_hc and old_hc:
                spec["healthCheckNodePort"] = old_hc
                kept.add(old_hc)
            elif requested_hc:
                if old_hc and requested_hc != old_hc:
                    problems.invalid("spec.healthCheckNodePort", requested_hc, "field is immutable")
                    return
                number = _int(requested_hc)
                if number is None or not NODE_PORT_MIN <= number <= NODE_PORT_MAX:
                    problems.invalid(
                        "spec.healthCheckNodePort",
                        requested_hc,
                        "provided port is not in the valid range. The range of valid ports is "
                        f"{NODE_PORT_MIN}-{NODE_PORT_MAX}",
                    )
                    return
                holder = alloc.node_ports.get(number)
                if (holder is not None and holder != owner) or number in used_here:
                    problems.invalid(
                        "spec.healthCheckNodePort", number, "provided port is already allocated"
                    )
                    return
                alloc.node_ports[number] = owner
                kept.add(number)
            else:
                allocated = alloc.allocate_port(owner, "healthcheck")
                if allocated is not None:
                    spec["healthCheckNodePort"] = allocated
                    kept.add(allocated)
        kept |= used_here
        # free the ports this Service held before and no longer uses
        for port_number in [p for p, o in alloc.node_ports.items() if o == owner]:
            if port_number not in kept:
                del alloc.node_ports[port_number]


def _shared_node_ports(ports: Sequence[Any]) -> dict[Any, tuple[int, int | None]]:
    """Service port number -> (nodePort, index of the entry that asked for it) for the
    numbers whose entries request a nodePort: alloc.go `findRequestedNodePort` lets the
    other protocols of that port number use it too."""
    found: dict[Any, tuple[int, int | None]] = {}
    for i, port in enumerate(ports):
        if isinstance(port, dict) and port.get("nodePort") and port.get("port") not in found:
            number = _int(port.get("nodePort"))
            if number is not None:
                found[port.get("port")] = (number, i)
    return found
