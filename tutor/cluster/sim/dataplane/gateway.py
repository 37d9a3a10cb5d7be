"""L7, Gateway API: route attachment to listeners, and HTTPRoute rules in matching order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor.cluster.base import (
    Obj,
)
from tutor.cluster.sim.dataplane.l7rules import L7Rule, _hostnames_for, _order, selector_matches
from tutor.cluster.sim.dataplane.model import GATEWAY_GROUP, _short
from tutor.cluster.sim.dataplane.services import ServiceRouting
from tutor.cluster.sim.dns import (
    meta,
    name_of,
    ns_of,
    spec,
    status,
)


class GatewayMatching(ServiceRouting):
    """Finds the attached HTTPRoute rules that apply."""

    def _attachment(
        self, route: Obj, gw: Obj, listeners: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]] | None, str]:
        """Listeners (on this port) the route is attached to: None when it does not refer to
        the Gateway at all, [] with a reason when it refers to it but is not attached."""
        rns = ns_of(route)
        refs = []
        for ref in spec(route).get("parentRefs") or []:
            if (ref.get("group") or GATEWAY_GROUP) != GATEWAY_GROUP or (
                ref.get("kind") or "Gateway"
            ) != "Gateway":
                continue
            if ref.get("name") == name_of(gw) and (ref.get("namespace") or rns) == ns_of(gw):
                refs.append(ref)
        if not refs:
            return None, ""
        all_listeners = spec(gw).get("listeners") or []
        attached: list[dict[str, Any]] = []
        reasons: list[str] = []
        for ref in refs:
            sel = [
                ls
                for ls in all_listeners
                if (not ref.get("sectionName") or ref["sectionName"] == ls.get("name"))
                and (not ref.get("port") or int(ref["port"]) == int(ls.get("port", 0)))
            ]
            if not sel:
                reasons.append(
                    f"parentRef sectionName={ref.get('sectionName')} "
                    f"port={ref.get('port')} matches no listener (NoMatchingParent)"
                )
                continue
            on_port = [ls for ls in sel if ls in listeners]
            st = self._parent_status(route, ref, gw)
            if st is not None:
                accepted = next(
                    (c for c in st.get("conditions") or [] if c.get("type") == "Accepted"), None
                )
                if accepted is not None and accepted.get("status") != "True":
                    reasons.append(
                        f"status Accepted=False, reason {accepted.get('reason')}: "
                        f"{accepted.get('message', '')}".rstrip(": ")
                    )
                    continue
                if accepted is not None:
                    attached.extend(ls for ls in on_port if _hostnames_for(ls, route) is not None)
                    if not on_port:
                        reasons.append("attached to listeners on another port")
                    continue
            for ls in sel:
                ok, why = self._listener_allows(gw, ls, route)
                if not ok:
                    reasons.append(why)
                elif ls in listeners:
                    attached.append(ls)
                else:
                    reasons.append(
                        f"attached to listener {ls.get('name')} on port "
                        f"{ls.get('port')}, not this port"
                    )
        return attached, "; ".join(reasons)

    def _parent_status(self, route: Obj, ref: Mapping[str, Any], gw: Obj) -> dict[str, Any] | None:
        for parent in status(route).get("parents") or []:
            pref = parent.get("parentRef") or {}
            if (
                pref.get("name") == name_of(gw)
                and (pref.get("namespace") or ns_of(route)) == ns_of(gw)
                and pref.get("sectionName") == ref.get("sectionName")
                and pref.get("port") == ref.get("port")
            ):
                return dict(parent)
        return None

    def _listener_allows(self, gw: Obj, ls: Mapping[str, Any], route: Obj) -> tuple[bool, str]:
        allowed = ls.get("allowedRoutes") or {}
        frm = (allowed.get("namespaces") or {}).get("from") or "Same"
        rns, gns = ns_of(route), ns_of(gw)
        lname = ls.get("name")
        if frm == "Same" and rns != gns:
            return False, (
                f"NotAllowedByListeners: listener {lname} takes routes from its own "
                f"namespace {gns} only (allowedRoutes.namespaces.from defaults to "
                f"Same); the route is in {rns}"
            )
        if frm == "Selector":
            nsobj = self.objects.get("Namespace", rns)
            labels = (meta(nsobj).get("labels") or {}) if nsobj else {}
            labels = {**labels, "kubernetes.io/metadata.name": rns}
            sel = (allowed.get("namespaces") or {}).get("selector")
            if not selector_matches(labels, sel):
                return False, (
                    f"NotAllowedByListeners: namespace {rns} does not match the "
                    f"selector of listener {lname} ({_short(sel)})"
                )
        kinds = allowed.get("kinds") or []
        if kinds and not any(k.get("kind") == "HTTPRoute" for k in kinds):
            return False, f"NotAllowedByListeners: listener {lname} does not take HTTPRoutes"
        if _hostnames_for(ls, route) is None:
            return False, (
                f"NoMatchingListenerHostname: none of the route's hostnames "
                f"{spec(route).get('hostnames')} fits listener {lname}'s hostname "
                f"{ls.get('hostname')}"
            )
        return True, ""

    def _route_rules(self, route: Obj, listeners: list[dict[str, Any]]) -> list[L7Rule]:
        hosts: list[str] = []
        for ls in listeners:
            for h in _hostnames_for(ls, route) or []:
                if h not in hosts:
                    hosts.append(h)
        out = []
        for r_index, rule in enumerate(spec(route).get("rules") or []):
            backends = [
                {
                    "name": b.get("name"),
                    "namespace": b.get("namespace") or ns_of(route),
                    "port": b.get("port"),
                    "weight": b.get("weight", 1),
                    "kind": b.get("kind") or "Service",
                    "group": b.get("group") or "",
                }
                for b in rule.get("backendRefs") or []
            ]
            matches = rule.get("matches") or [{}]
            for m_index, match in enumerate(matches):
                out.append(
                    L7Rule(
                        route,
                        hosts,
                        dict(match),
                        backends,
                        list(rule.get("filters") or []),
                        f"rules[{r_index}]"
                        + (f".matches[{m_index}]" if rule.get("matches") else ""),
                        _order(route, r_index, m_index),
                    )
                )
        return out
