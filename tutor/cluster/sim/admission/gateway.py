"""Gateway API admission: GatewayClass, Gateway, HTTPRoute and ReferenceGrant."""

from __future__ import annotations

from typing import Any

from tutor.cluster.sim.admission.allocations import Allocations
from tutor.cluster.sim.admission.common import (
    _DNS_SUBDOMAIN,
    _WILDCARD_HOST,
    DNS_SUBDOMAIN_MSG,
    GATEWAY_GROUP,
    AdmissionBase,
    Obj,
    Problems,
    _check_port_number,
)


class GatewayAdmission(AdmissionBase):
    """Admits Gateway API objects."""

    def gatewayclass(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """GatewayClass: controllerName required and immutable; status starts Pending."""
        controller = obj["spec"].get("controllerName")
        if not controller:
            problems.required("spec.controllerName")
        elif old is not None and old["spec"].get("controllerName") != controller:
            problems.invalid("spec.controllerName", controller, "Value is immutable")
        if old is None or "status" not in old:
            obj["status"] = {"conditions": [_pending_condition("Accepted")]}

    def gateway(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Gateway validation (as the CRD schema and its CEL rules do); status starts Pending."""
        spec = obj["spec"]
        if not spec.get("gatewayClassName"):
            problems.required("spec.gatewayClassName")
        listeners = spec.get("listeners") or []
        if not listeners:
            problems.required("spec.listeners")
        if len(listeners) > 64:
            problems.add("spec.listeners", "Too many: must have at most 64 items")
        names: set[str] = set()
        combos: set[tuple[Any, Any, Any]] = set()
        for i, listener in enumerate(listeners):
            path = f"spec.listeners[{i}]"
            lname = listener.get("name")
            if not lname:
                problems.required(f"{path}.name")
            elif lname in names:
                problems.invalid(
                    "spec.listeners", lname, "Listener name must be unique within the Gateway"
                )
            names.add(lname)
            _check_port_number(problems, f"{path}.port", listener.get("port"))
            protocol = listener.get("protocol")
            if not protocol:
                problems.required(f"{path}.protocol")
            if protocol in ("HTTP", "TCP", "UDP") and listener.get("tls"):
                problems.invalid(
                    f"{path}",
                    "object",
                    "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
                )
            if protocol == "HTTPS" and not listener.get("tls"):
                problems.invalid(f"{path}", "object", "tls mode must be set for protocol HTTPS")
            hostname = listener.get("hostname")
            if hostname and not (_DNS_SUBDOMAIN.match(hostname) or _WILDCARD_HOST.match(hostname)):
                problems.invalid(f"{path}.hostname", hostname, DNS_SUBDOMAIN_MSG)
            combo = (listener.get("port"), protocol, hostname)
            if combo in combos:
                problems.invalid(
                    "spec.listeners",
                    "array",
                    "Combination of port, protocol and hostname must be unique for each listener",
                )
            combos.add(combo)
            allowed = listener.setdefault("allowedRoutes", {})
            allowed.setdefault("namespaces", {}).setdefault("from", "Same")
            source = allowed["namespaces"]["from"]
            if source not in ("All", "Same", "Selector"):
                problems.unsupported(
                    f"{path}.allowedRoutes.namespaces.from", source, ["All", "Same", "Selector"]
                )
            elif source == "Selector" and not allowed["namespaces"].get("selector"):
                problems.required(f"{path}.allowedRoutes.namespaces.selector")
        if old is None or "status" not in old:
            obj["status"] = {
                "conditions": [_pending_condition("Accepted"), _pending_condition("Programmed")]
            }

    def httproute(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """HTTPRoute defaults (the CRD's) and validation."""
        spec = obj["spec"]
        for i, ref in enumerate(spec.get("parentRefs") or []):
            if not ref.get("name"):
                problems.required(f"spec.parentRefs[{i}].name")
            ref.setdefault("group", GATEWAY_GROUP)
            ref.setdefault("kind", "Gateway")
        for i, hostname in enumerate(spec.get("hostnames") or []):
            if not (_DNS_SUBDOMAIN.match(hostname) or _WILDCARD_HOST.match(hostname)):
                problems.invalid(f"spec.hostnames[{i}]", hostname, DNS_SUBDOMAIN_MSG)
        rules = spec.setdefault("rules", [{}])
        if not rules:
            rules.append({})
        for i, rule in enumerate(rules):
            matches = rule.setdefault("matches", [{"path": {"type": "PathPrefix", "value": "/"}}])
            for j, match in enumerate(matches):
                mpath = match.get("path")
                if mpath is None and not match.get("headers") and not match.get("queryParams"):
                    match["path"] = {"type": "PathPrefix", "value": "/"}
                    continue
                if mpath is not None:
                    mpath.setdefault("type", "PathPrefix")
                    mpath.setdefault("value", "/")
                    if mpath["type"] not in ("Exact", "PathPrefix", "RegularExpression"):
                        problems.unsupported(
                            f"spec.rules[{i}].matches[{j}].path.type",
                            mpath["type"],
                            ["Exact", "PathPrefix", "RegularExpression"],
                        )
                    elif mpath["type"] != "RegularExpression" and not str(
                        mpath["value"]
                    ).startswith("/"):
                        problems.invalid(
                            f"spec.rules[{i}].matches[{j}].path",
                            "object",
                            "value must be an absolute path and start with '/' when type one of "
                            "['Exact', 'PathPrefix']",
                        )
            for j, backend in enumerate(rule.get("backendRefs") or []):
                bpath = f"spec.rules[{i}].backendRefs[{j}]"
                if not backend.get("name"):
                    problems.required(f"{bpath}.name")
                backend.setdefault("group", "")
                backend.setdefault("kind", "Service")
                backend.setdefault("weight", 1)
                if (
                    backend["group"] in ("", "core")
                    and backend["kind"] == "Service"
                    and backend.get("port") is None
                ):
                    problems.invalid(bpath, "object", "Must have port for Service reference")

    def referencegrant(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """ReferenceGrant: `from` and `to` lists with group and kind."""
        spec = obj["spec"]
        for section in ("from", "to"):
            items = spec.get(section) or []
            if not items:
                problems.required(f"spec.{section}")
            for i, item in enumerate(items):
                if "group" not in item:
                    problems.required(f"spec.{section}[{i}].group")
                if not item.get("kind"):
                    problems.required(f"spec.{section}[{i}].kind")
                if section == "from" and not item.get("namespace"):
                    problems.required(f"spec.from[{i}].namespace")


def _pending_condition(kind: str) -> Obj:
    return {
        "type": kind,
        "status": "Unknown",
        "reason": "Pending",
        "message": "Waiting for controller",
        "lastTransitionTime": "1970-01-01T00:00:00Z",
    }
