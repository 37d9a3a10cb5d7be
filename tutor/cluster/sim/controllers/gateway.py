"""The Gateway API controller of cloud-provider-kind: Gateway, listener and route status."""

from __future__ import annotations

from collections.abc import Mapping

from tutor.cluster.sim.admission import GATEWAY_GROUP, selector_matches
from tutor.cluster.sim.controllers.common import (
    GATEWAY_CONTROLLER,
    Obj,
    _condition,
    _keep_transition_times,
)
from tutor.cluster.sim.controllers.loadbalancer import LoadBalancerControl
from tutor.cluster.sim.tls import listener_problem as tls_listener_problem

ROUTE_KINDS = ("HTTPRoute",)
"""The route kinds cloud-provider-kind v0.11.1 supports (gateway.go CloudProviderSupportedKinds)."""


def _hostnames_intersect(route_host: str, listener_host: str) -> bool:
    """Gateway API hostname intersection (wildcards match one or more labels)."""
    if route_host == listener_host:
        return True
    if listener_host.startswith("*."):
        suffix = listener_host[1:]
        if route_host.endswith(suffix) and not route_host.startswith("*."):
            return True
    if route_host.startswith("*."):
        suffix = route_host[1:]
        if listener_host.endswith(suffix) and not listener_host.startswith("*."):
            return True
        if listener_host.startswith("*.") and (
            listener_host.endswith(suffix) or route_host.endswith(listener_host[1:])
        ):
            return True
    return False


class GatewayControl(LoadBalancerControl):
    """Reconciles Gateways and HTTPRoutes."""

    # -- Gateway API -------------------------------------------------------------------------

    def _reconcile_gateways(self) -> None:
        now = self.store.now()
        ours: set[str] = set()
        for gc in self.store.list("GatewayClass"):
            if gc["spec"].get("controllerName") != GATEWAY_CONTROLLER:
                continue
            ours.add(gc["metadata"]["name"])
            conditions = [
                {
                    **_condition("Accepted", True, "Accepted", "GatewayClass is accepted", now),
                    "observedGeneration": gc["metadata"].get("generation", 1),
                },
                {
                    **_condition(
                        "SupportedVersion",
                        True,
                        "SupportedVersion",
                        "Gateway API CRD bundle version v1.6.1 is supported",
                        now,
                    ),
                    "observedGeneration": gc["metadata"].get("generation", 1),
                },
            ]
            _keep_transition_times(conditions, (gc.get("status") or {}).get("conditions"))
            status = {**(gc.get("status") or {}), "conditions": conditions}
            if status != gc.get("status"):
                self.store.put({**gc, "status": status})
        gateways = [
            g for g in self.store.list("Gateway") if g["spec"].get("gatewayClassName") in ours
        ]
        managed = {(g["metadata"]["namespace"], g["metadata"]["name"]): g for g in gateways}
        for key in [k for k in self.lb_ips if k[0] == "Gateway"]:
            if (key[1], key[2]) not in managed:
                self.release_lb(key)
        listener_valid: dict[tuple[str, str, str], bool] = {}
        for (ns, name), gw in managed.items():
            for listener in gw["spec"].get("listeners") or ():
                # a certificate problem does not stop Routes attaching (cloud-provider-kind
                # validateHTTPRoute looks only at parentRef, allowedRoutes and hostnames)
                listener_valid[(ns, name, listener.get("name", ""))] = (
                    self._listener_problem(gw, listener) is None
                    or tls_listener_problem(gw, listener, self.store.get, self._grants) is not None
                )
        attached: dict[tuple[str, str, str], int] = {}
        for route in self.store.list("HTTPRoute"):
            self._route_status(route, managed, listener_valid, attached, now)
        for gw in managed.values():
            self._gateway_status(gw, attached, now)

    def _listener_problem(self, gw: Obj, listener: Obj) -> tuple[str, str, str] | None:
        """(condition, reason, message) making the listener invalid, or None."""
        protocol = listener.get("protocol")
        if protocol not in ("HTTP", "HTTPS"):
            return ("Accepted", "UnsupportedProtocol", f"protocol {protocol} is not supported")
        kinds = (listener.get("allowedRoutes") or {}).get("kinds")
        if kinds:
            # cloud-provider-kind gateway.go getSupportedKinds: one unsupported kind makes the
            # listener ResolvedRefs=False InvalidRouteKinds ("GRPCRoute" is commented out)
            good = [
                k
                for k in kinds
                if k.get("kind") in ROUTE_KINDS and k.get("group", GATEWAY_GROUP) == GATEWAY_GROUP
            ]
            if len(good) != len(kinds):
                return (
                    "ResolvedRefs",
                    "InvalidRouteKinds",
                    "Invalid route kinds specified in allowedRoutes",
                )
        bad = tls_listener_problem(gw, listener, self.store.get, self._grants)
        if bad is not None:
            return ("ResolvedRefs", bad.reason, bad.message)
        return None

    def _grants(self, ns: str) -> list[Obj]:
        return list(self.store.list("ReferenceGrant", ns))

    def _supported_kinds(self, listener: Obj) -> list[Obj]:
        kinds = (listener.get("allowedRoutes") or {}).get("kinds")
        names = list(ROUTE_KINDS)
        if kinds:
            names = [k.get("kind") for k in kinds if k.get("kind") in names]
        return [{"group": GATEWAY_GROUP, "kind": k} for k in names]

    def _gateway_status(
        self, gw: Obj, attached: Mapping[tuple[str, str, str], int], now: str
    ) -> None:
        ns = gw["metadata"]["namespace"]
        name = gw["metadata"]["name"]
        generation = gw["metadata"].get("generation", 1)
        key = ("Gateway", ns, name)
        ip = self.lb_ips.get(key)
        if ip is None:
            ip = self.lb_pool.allocate()
            if ip is not None:
                self.lb_ips[key] = ip
        old_status = gw.get("status") or {}
        old_listeners = {
            ls.get("name"): ls.get("conditions") for ls in old_status.get("listeners") or ()
        }
        listeners = []
        any_valid = False
        not_programmed = 0
        for listener in gw["spec"].get("listeners") or ():
            lname = listener.get("name", "")
            problem = self._listener_problem(gw, listener)
            conds = {
                "Accepted": _condition("Accepted", True, "Accepted", "Listener is accepted", now),
                "Programmed": _condition(
                    "Programmed", True, "Programmed", "Listener is programmed", now
                ),
                "ResolvedRefs": _condition(
                    "ResolvedRefs", True, "ResolvedRefs", "All references resolved", now
                ),
                "Conflicted": _condition("Conflicted", False, "NoConflicts", "No conflicts", now),
            }
            if problem is not None:
                cond_type, reason, message = problem
                conds[cond_type] = _condition(cond_type, False, reason, message, now)
                cert = tls_listener_problem(gw, listener, self.store.get, self._grants)
                if cert is not None and cert.programmed:
                    any_valid = True  # RefNotPermitted, yet programmed (see tutor.cluster.sim.tls)
                else:
                    conds["Programmed"] = _condition("Programmed", False, "Invalid", message, now)
                    not_programmed += 1
            else:
                any_valid = True
            cond_list = [{**c, "observedGeneration": generation} for c in conds.values()]
            _keep_transition_times(cond_list, old_listeners.get(lname))
            listeners.append(
                {
                    "name": lname,
                    "supportedKinds": self._supported_kinds(listener),
                    "attachedRoutes": attached.get((ns, name, lname), 0),
                    "conditions": cond_list,
                }
            )
        programmed = any_valid and ip is not None and not not_programmed
        conditions = [
            {
                **_condition("Accepted", True, "Accepted", "Gateway is accepted", now),
                "observedGeneration": generation,
            },
            {
                **_condition(
                    "Programmed",
                    programmed,
                    "Programmed"
                    if programmed
                    else ("ListenersNotProgrammed" if not_programmed else "Invalid"),
                    "Gateway is programmed"
                    if programmed
                    # setGatewayConditions (cloud-provider-kind gateway.go)
                    else (
                        f"{len(listeners) - not_programmed} out of {len(listeners)} listeners "
                        "failed to be programmed"
                        if not_programmed
                        else "Gateway has no valid listeners"
                    ),
                    now,
                ),
                "observedGeneration": generation,
            },
        ]
        _keep_transition_times(conditions, old_status.get("conditions"))
        status: Obj = {"conditions": conditions, "listeners": listeners}
        if ip is not None:
            status["addresses"] = [{"type": "IPAddress", "value": ip}]
        if status != old_status:
            self.store.put({**gw, "status": status})

    def _route_status(
        self,
        route: Obj,
        gateways: Mapping[tuple[str, str], Obj],
        listener_valid: Mapping[tuple[str, str, str], bool],
        attached: dict[tuple[str, str, str], int],
        now: str,
    ) -> None:
        meta = route["metadata"]
        ns = meta["namespace"]
        generation = meta.get("generation", 1)
        resolved = self._resolve_backends(route)
        old_status = route.get("status") or {}
        old_parents = old_status.get("parents") or []
        parents = []
        for ref in route["spec"].get("parentRefs") or ():
            if ref.get("group", GATEWAY_GROUP) != GATEWAY_GROUP or ref.get("kind", "Gateway") != (
                "Gateway"
            ):
                continue
            gw_ns = ref.get("namespace") or ns
            gw = gateways.get((gw_ns, ref.get("name", "")))
            if gw is None:
                continue
            accepted = self._attach(route, ref, gw, listener_valid, attached)
            conditions = [
                {**_condition("Accepted", *accepted, now), "observedGeneration": generation},
                {**_condition("ResolvedRefs", *resolved, now), "observedGeneration": generation},
            ]
            previous = next(
                (p.get("conditions") for p in old_parents if p.get("parentRef") == ref), None
            )
            _keep_transition_times(conditions, previous)
            parents.append(
                {
                    "parentRef": dict(ref),
                    "controllerName": GATEWAY_CONTROLLER,
                    "conditions": conditions,
                }
            )
        status = {"parents": parents}
        if status != old_status:
            self.store.put({**route, "status": status})

    def _attach(
        self,
        route: Obj,
        ref: Obj,
        gw: Obj,
        listener_valid: Mapping[tuple[str, str, str], bool],
        attached: dict[tuple[str, str, str], int],
    ) -> tuple[bool, str, str]:
        gw_ns = gw["metadata"]["namespace"]
        gw_name = gw["metadata"]["name"]
        candidates = [
            ls
            for ls in gw["spec"].get("listeners") or ()
            if (ref.get("sectionName") in (None, ls.get("name")))
            and (ref.get("port") in (None, ls.get("port")))
            and listener_valid.get((gw_ns, gw_name, ls.get("name", "")), False)
        ]
        if not candidates:
            return (False, "NoMatchingParent", "No listener matches the parentRef")
        allowed = [ls for ls in candidates if self._listener_allows(gw, ls, route)]
        if not allowed:
            return (
                False,
                "NotAllowedByListeners",
                "The Gateway's listeners do not allow this route (allowedRoutes)",
            )
        hostnames = route["spec"].get("hostnames") or []
        matching = [
            ls
            for ls in allowed
            if not ls.get("hostname")
            or not hostnames
            or any(_hostnames_intersect(h, ls["hostname"]) for h in hostnames)
        ]
        if not matching:
            return (
                False,
                "NoMatchingListenerHostname",
                "No listener hostname matches the route's hostnames",
            )
        for ls in matching:
            key = (gw_ns, gw_name, ls.get("name", ""))
            attached[key] = attached.get(key, 0) + 1
        return (True, "Accepted", "Route is accepted")

    def _listener_allows(self, gw: Obj, listener: Obj, route: Obj) -> bool:
        allowed = listener.get("allowedRoutes") or {}
        source = (allowed.get("namespaces") or {}).get("from", "Same")
        route_ns = route["metadata"]["namespace"]
        gw_ns = gw["metadata"]["namespace"]
        if source == "Same" and route_ns != gw_ns:
            return False
        if source == "Selector":
            selector = (allowed.get("namespaces") or {}).get("selector") or {}
            ns_obj = self.store.get("Namespace", "", route_ns)
            labels = (ns_obj or {}).get("metadata", {}).get("labels") or {}
            if not selector_matches(selector, labels):
                return False
        kinds = allowed.get("kinds")
        return not kinds or any(
            k.get("kind") == "HTTPRoute" and k.get("group", GATEWAY_GROUP) in (GATEWAY_GROUP, "")
            for k in kinds
        )

    def _resolve_backends(self, route: Obj) -> tuple[bool, str, str]:
        ns = route["metadata"]["namespace"]
        for rule in route["spec"].get("rules") or ():
            for backend in rule.get("backendRefs") or ():
                group = backend.get("group", "")
                kind = backend.get("kind", "Service")
                name = backend.get("name", "")
                if group not in ("", "core") or kind != "Service":
                    return (False, "InvalidKind", f"backend kind {group}/{kind} is not supported")
                target_ns = backend.get("namespace") or ns
                if target_ns != ns and not self._grant_allows(ns, target_ns, name):
                    return (
                        False,
                        "RefNotPermitted",
                        f"backendRef {target_ns}/{name} is in another namespace and no "
                        f"ReferenceGrant in {target_ns} allows it",
                    )
                if self.store.get("Service", target_ns, name) is None:
                    return (False, "BackendNotFound", f"backend {target_ns}/{name} not found")
        return (True, "ResolvedRefs", "All references resolved")

    def _grant_allows(self, from_ns: str, to_ns: str, name: str) -> bool:
        for grant in self.store.list("ReferenceGrant", to_ns):
            spec = grant.get("spec") or {}
            from_ok = any(
                f.get("group") == GATEWAY_GROUP
                and f.get("kind") == "HTTPRoute"
                and f.get("namespace") == from_ns
                for f in spec.get("from") or ()
            )
            to_ok = any(
                t.get("group", "") in ("", "core")
                and t.get("kind") == "Service"
                and (not t.get("name") or t.get("name") == name)
                for t in spec.get("to") or ()
            )
            if from_ok and to_ok:
                return True
        return False
