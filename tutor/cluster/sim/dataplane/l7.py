"""L7 routing: an HTTP request through the Ingress or Gateway Envoy to a backend Service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor.cluster.base import (
    Obj,
)
from tutor.cluster.sim.dataplane.gateway import GatewayMatching
from tutor.cluster.sim.dataplane.ingress import IngressMatching
from tutor.cluster.sim.dataplane.l7rules import L7Rule, _apply_filters, _pick_domain, query_params
from tutor.cluster.sim.dataplane.model import (
    CONTROL_PLANE_LABEL,
    ENVOY_CONNECT_TIMEOUT,
    GATEWAY_GROUP,
    Client,
    Ctx,
    Reach,
    _ev,
    _fail,
    _ref,
    _short,
    stable_index,
)
from tutor.cluster.sim.dns import (
    cluster_ips,
    is_headless,
    meta,
    name_of,
    ns_of,
    spec,
)
from tutor.cluster.sim.l7_filters import pick_weighted, redirect, redirect_filter
from tutor.cluster.sim.l7_hooks import ignored_filters, redirect_reason, shake_ok
from tutor.cluster.sim.netpol import Sender
from tutor.cluster.sim.tls import gateway_handshake, ingress_handshake, plain_port
from tutor.cluster.sim.trace import Hop


class L7Routing(IngressMatching, GatewayMatching):
    """Routes HTTP through Ingress and Gateway Envoys."""

    # -- Ingress and Gateway (cloud-provider-kind's Envoy) --

    def _l7(
        self,
        client: Client,
        dst: str,
        port: int,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        owners: list[tuple[str, Obj]],
    ) -> Reach:
        """An Ingress or Gateway address: cloud-provider-kind's Envoy routes the request."""
        ingresses = [o for k, o in owners if k == "ingress"]
        gateways = [o for k, o in owners if k == "gateway"]
        handled = [i for i in ingresses if self.ingress_handled(i)[0]]
        user_gateways = [g for g in gateways if name_of(g) != "kind-ingress-gateway"]
        if handled and not user_gateways:
            return self._ingress(handled, client, dst, port, ctx, hops, index)
        if gateways:
            return self._gateway(
                (user_gateways or gateways)[0], client, dst, port, ctx, hops, index
            )
        ing = ingresses[0]
        hops.append(
            Hop(
                "ingress",
                f"{dst} belongs to {_ref(ing)}, whose class no controller here handles",
                self.ingress_handled(ing)[1],
                ok=False,
                failure="ingress-class-unhandled",
                evidence=(
                    _ev(
                        ing, "spec.ingressClassName", spec(ing).get("ingressClassName") or "(none)"
                    ),
                ),
            )
        )
        return _fail("timeout", "ingress-class-unhandled")

    def _ingress(
        self,
        ingresses: list[Obj],
        client: Client,
        dst: str,
        port: int,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
    ) -> Reach:
        ns = ns_of(ingresses[0])
        has_tls = any(spec(i).get("tls") for i in ingresses)
        ports = [80, 443] if has_tls else [80]
        names = ", ".join(name_of(i) for i in ingresses)
        if port not in ports:
            hops.append(
                Hop(
                    "ingress",
                    f"{dst}:{port}: the Ingress gateway of {ns} has no listener on {port}",
                    f"it listens on {ports} only",
                    ok=False,
                    failure="no-listener",
                )
            )
            return _fail("refused", "no-listener")
        hops.append(
            Hop(
                "ingress",
                f"{dst}:{port} is cloud-provider-kind's Ingress gateway for "
                f"namespace {ns} (Ingress {names})",
                "each Ingress rule host becomes an HTTPRoute on the namespace's Gateway "
                "kind-ingress-gateway: Exact stays Exact, Prefix and "
                "ImplementationSpecific become PathPrefix; wildcard hosts match any "
                "number of labels, as in Gateway API",
                evidence=tuple(
                    _ev(i, "status.loadBalancer.ingress[0].ip", dst) for i in ingresses[:2]
                ),
            )
        )
        if port == 443 or ctx.tls:
            secrets = [
                str(t.get("secretName")) for i in ingresses for t in spec(i).get("tls") or []
            ]
            shake = (
                ingress_handshake(ns, [n for n in secrets if n], ctx.tls, self._tls_lookups()[0])
                if port == 443
                else plain_port(ctx.tls)
            )
            if not shake_ok(shake, hops, ctx):
                return _fail(shake.error, shake.failure)
        rules = [r for ing in ingresses for r in self._ingress_rules(ing)]
        return self._dispatch(rules, "ingress", client, ctx, hops, index, ingresses, dst)

    def _tls_lookups(self) -> tuple[Any, Any]:
        """(kind, ns, name) -> object, and ns -> ReferenceGrants, for `tls`."""
        return (
            lambda kind, ns, name: self.objects.get(kind, name, ns),
            lambda ns: self.objects.all("ReferenceGrant", ns),
        )

    def _gateway(
        self, gw: Obj, client: Client, dst: str, port: int, ctx: Ctx, hops: list[Hop], index: int
    ) -> Reach:
        listeners = [ls for ls in spec(gw).get("listeners") or [] if int(ls.get("port", 0)) == port]
        if not listeners:
            have = sorted({int(ls.get("port", 0)) for ls in spec(gw).get("listeners") or []})
            hops.append(
                Hop(
                    "gateway",
                    f"{dst}:{port}: {_ref(gw)} has no listener on {port}",
                    f"its listeners use ports {have}",
                    ok=False,
                    failure="no-listener",
                    evidence=(_ev(gw, "spec.listeners[*].port", have),),
                )
            )
            return _fail("refused", "no-listener")
        names = ", ".join(
            f"{ls.get('name')} ({ls.get('protocol')}"
            + (f", {ls.get('hostname')})" if ls.get("hostname") else ")")
            for ls in listeners
        )
        hops.append(
            Hop(
                "gateway",
                f"{dst}:{port} is {_ref(gw)}, listener {names}",
                f"class {spec(gw).get('gatewayClassName')}: cloud-provider-kind runs "
                "an Envoy container with this address",
                evidence=(_ev(gw, "status.addresses[0].value", dst),),
            )
        )
        shake = gateway_handshake(gw, listeners, ctx.tls, ctx.sni, *self._tls_lookups())
        if not shake_ok(shake, hops, ctx):
            return _fail(shake.error, shake.failure)
        rules: list[L7Rule] = []
        self._unattached = []
        for route in self.objects.all("HTTPRoute"):
            attached, why = self._attachment(route, gw, listeners)
            if attached is None:
                continue
            if not attached:
                self._unattached.append((route, why))
                continue
            rules.extend(self._route_rules(route, attached))
        return self._dispatch(rules, "gateway", client, ctx, hops, index, [gw], dst)

    def _dispatch(
        self,
        rules: list[L7Rule],
        mode: str,
        client: Client,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        parents: list[Obj],
        proxy_ip: str,
    ) -> Reach:
        host = ctx.host()
        domain = _pick_domain(host, {h for r in rules for h in r.hostnames})
        candidates = sorted(
            (r for r in rules if domain in r.hostnames), key=lambda r: r.precedence()
        )
        params = query_params(ctx.query)
        matched = next((r for r in candidates if r.matches(ctx.path, ctx.headers, params)), None)
        if matched is None:
            return self._no_match(mode, rules, domain, client, ctx, hops, parents)
        src = matched.source
        how = (
            f"host {host or '(none)'} selects the virtual host {domain!r}; among "
            f"{len(candidates)} rule(s) there, this is the most specific match"
            " (Exact before PathPrefix, longer paths first, then more headers and query "
            "parameters)"
        )
        backends = [b for b in matched.backends if int(b.get("weight") or 0) > 0]
        label = f"{_ref(src)} {matched.where}: {matched.describe()}"
        settings = redirect_filter(matched.filters)
        if settings is not None:
            answer = redirect(
                settings, "https" if ctx.tls else "http", ctx.host_header(), ctx.path, ctx.query
            )
            hops.append(Hop("route", label, redirect_reason(answer)))
            return Reach(status=answer.status, location=answer.location)
        if not backends:
            hops.append(
                Hop(
                    "route",
                    label,
                    "the rule has no backendRef with a weight above 0: the gateway answers 500",
                    ok=False,
                    failure="backend-not-found",
                )
            )
            return Reach(status=500, failure="backend-not-found")
        seed = stable_index(1000, "weight", _ref(src), matched.where, client.ip)
        backend = backends[pick_weighted(backends, seed, index)]
        if len(backends) > 1:
            how += (
                "; backend picked by weight ("
                + ", ".join(f"{b.get('name')}={b.get('weight')}" for b in backends)
                + ")"
            )
        # cloud-provider-kind httproute.go buildHTTPRouteAction: one invalid backendRef (even
        # one of weight 0) turns the whole rule into a direct 500, not just its share
        broken = [(b, p) for b in matched.backends if (p := self._backend_problem(src, b))]
        if broken:
            backend, (failure, why) = broken[0]
            if len(matched.backends) > 1:
                why += " (cloud-provider-kind answers 500 for the whole rule, not only this share)"
            hops.append(
                Hop(
                    "route",
                    label,
                    f"{how}. {why}",
                    ok=False,
                    failure=failure,
                    evidence=(
                        _ev(
                            src,
                            f"{matched.where}.backendRefs",
                            _short(
                                {"name": backend.get("name"), "namespace": backend.get("namespace")}
                            ),
                        ),
                    ),
                )
            )
            return Reach(status=500, failure=failure)
        hops.append(Hop("route", label, how + ignored_filters(matched.filters)))
        svc = self.objects.get("Service", str(backend["name"]), str(backend["namespace"]))
        assert svc is not None
        inner_ctx = Ctx(
            ctx.http,
            ctx.path,
            ctx.query,
            _apply_filters(ctx.headers, matched.filters),
            ctx.timeout,
            ctx.via_alias,
        )
        reach = self.proxy_to_service(
            svc, int(backend["port"]), proxy_ip, inner_ctx, hops, index, ns_of(svc)
        )
        ctx.headers = inner_ctx.headers
        if reach.status == 503:
            hops.append(
                Hop(
                    "backend",
                    "the gateway answers 503: it could not connect to the backend",
                    ok=False,
                    failure="backend-unavailable",
                )
            )
        return reach

    def _backend_problem(self, src: Obj, backend: Mapping[str, Any]) -> tuple[str, str] | None:
        kind = backend.get("kind") or "Service"
        if kind != "Service" or backend.get("group"):
            return "backend-not-found", f"backend kind {kind} is not supported (InvalidKind)"
        bns = str(backend.get("namespace"))
        if (
            src.get("kind") == "HTTPRoute"
            and bns != ns_of(src)
            and not self._granted(src, bns, backend)
        ):
            return "backend-not-permitted", (
                f"the backend is in namespace {bns}; a route may only use it when a "
                f"ReferenceGrant in {bns} allows HTTPRoutes from {ns_of(src)} "
                "(RefNotPermitted): the gateway answers 500"
            )
        svc = self.objects.get("Service", str(backend.get("name")), bns)
        if svc is None:
            return "backend-not-found", (
                f"Service {bns}/{backend.get('name')} does not exist "
                "(BackendNotFound): the gateway answers 500"
            )
        if not backend.get("port"):
            if backend.get("portName"):
                return "backend-not-found", (
                    f"Service {bns}/{backend.get('name')} has no port "
                    f"named {backend.get('portName')!r}"
                )
            return "backend-not-found", "the backendRef has no port"
        return None

    def _granted(self, route: Obj, bns: str, backend: Mapping[str, Any]) -> bool:
        for grant in self.objects.all("ReferenceGrant", bns):
            frm = spec(grant).get("from") or []
            to = spec(grant).get("to") or []
            if not any(
                f.get("group") == GATEWAY_GROUP
                and f.get("kind") == "HTTPRoute"
                and f.get("namespace") == ns_of(route)
                for f in frm
            ):
                continue
            if any(
                (t.get("group") or "") == ""
                and t.get("kind") == "Service"
                and (not t.get("name") or t.get("name") == backend.get("name"))
                for t in to
            ):
                return True
        return False

    def _no_match(
        self,
        mode: str,
        rules: list[L7Rule],
        domain: str | None,
        client: Client,
        ctx: Ctx,
        hops: list[Hop],
        parents: list[Obj],
    ) -> Reach:
        host = ctx.host()
        params = query_params(ctx.query)
        offered = sorted({h for r in rules for h in r.hostnames})
        where = (
            f"no rule for host {host!r} (hosts: {', '.join(offered) or 'none'})"
            if domain is None
            else f"no rule under host {domain!r} matches path {ctx.path}"
        )
        if mode == "ingress":
            ns = ns_of(parents[0])
            for ing in self.objects.all("Ingress", ns):
                handled, why = self.ingress_handled(ing)
                if handled:
                    continue
                orphan = [
                    r
                    for r in self._ingress_rules(ing)
                    if _pick_domain(host, set(r.hostnames))
                    and r.matches(ctx.path, ctx.headers, params)
                ]
                if orphan:
                    hops.append(
                        Hop(
                            "route",
                            f"{where}; {_ref(ing)} would match but is not programmed",
                            why + ". The gateway answers 404",
                            ok=False,
                            failure="ingress-class-unhandled",
                            evidence=(
                                _ev(
                                    ing,
                                    "spec.ingressClassName",
                                    spec(ing).get("ingressClassName") or "(none)",
                                ),
                            ),
                        )
                    )
                    return Reach(status=404, failure="ingress-class-unhandled")
            hops.append(
                Hop(
                    "route",
                    where,
                    "Envoy answers 404 when no rule matches the host "
                    "and path (Prefix matches whole path elements: /api matches /api "
                    "and /api/x, not /apiary)",
                    ok=False,
                    failure="no-ingress-rule",
                )
            )
            return Reach(status=404, failure="no-ingress-rule")
        for route, why in self._unattached:
            would = [
                r
                for r in self._route_rules(route, [{}])
                if _pick_domain(host, set(r.hostnames)) and r.matches(ctx.path, ctx.headers, params)
            ]
            if would:
                hops.append(
                    Hop(
                        "route",
                        f"{where}; {_ref(route)} would match but is not attached to this listener",
                        why + ". The gateway answers 404",
                        ok=False,
                        failure="route-not-attached",
                        evidence=(_ev(route, "spec.parentRefs", spec(route).get("parentRefs")),),
                    )
                )
                return Reach(status=404, failure="route-not-attached")
        hops.append(
            Hop(
                "route",
                where,
                "no attached HTTPRoute matches the host, path, headers "
                "and query: Envoy answers 404",
                ok=False,
                failure="no-route-match",
            )
        )
        return Reach(status=404, failure="no-route-match")

    def proxy_to_service(
        self,
        svc: Obj,
        port: int,
        proxy_ip: str,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        namespace: str,
    ) -> Reach:
        """cloud-provider-kind's gateway Envoy connects to the Service's ClusterIP, routed
        through the control-plane node, and relays the answer (503 when it cannot connect)."""
        nodes = self.objects.nodes()
        cp = next(
            (n for n in nodes if CONTROL_PLANE_LABEL in (meta(n).get("labels") or {})),
            nodes[0] if nodes else None,
        )
        envoy = Client("proxy", "gateway Envoy", proxy_ip, namespace, node=None, cluster_dns=False)
        sender, self._sender = self._sender, Sender(proxy_ip)
        try:
            return self._proxy_leg(svc, port, proxy_ip, ctx, hops, index, cp, envoy)
        finally:
            self._sender = sender

    def _proxy_leg(
        self,
        svc: Obj,
        port: int,
        proxy_ip: str,
        ctx: Ctx,
        hops: list[Hop],
        index: int,
        cp: Obj | None,
        envoy: Client,
    ) -> Reach:
        """The Envoy's own connection to the backend (kindnet judges it as the Envoy's)."""
        if is_headless(svc):
            ready, _ = self.dns.ready_endpoints(svc, "IPv4")
            sp = self._service_port(svc, port)
            target = int((sp or {}).get("targetPort") or port) if sp else port
            if not ready:
                hops.append(
                    Hop(
                        "backend",
                        f"headless {_ref(svc)} has no ready endpoint",
                        "Envoy resolves the headless name and finds no address",
                        ok=False,
                        failure="backend-unavailable",
                    )
                )
                reach = _fail("refused", "backend-unavailable")
            else:
                ip, _ = ready[stable_index(len(ready), "headless", name_of(svc), index)]
                pod = self.objects.pod_by_ip(ip)
                hops.append(
                    Hop(
                        "backend", f"headless {_ref(svc)}: Envoy connects to {ip}:{target} directly"
                    )
                )
                reach = (
                    self._to_pod(pod, ip, target, proxy_ip, hops, "TCP")
                    if pod
                    else _fail("timeout", "unknown-address")
                )
        else:
            vips = cluster_ips(svc)
            hops.append(
                Hop(
                    "backend",
                    f"Envoy -> {_ref(svc)} {vips[0] if vips else '?'}:{port} "
                    f"via {name_of(cp) if cp else 'a node'}",
                    "cloud-provider-kind routes the Service CIDR through the "
                    "control-plane node, whose kube-proxy picks the endpoint",
                )
            )
            reach = (
                self._service_vip(svc, envoy, vips[0], port, ctx, hops, index, cp)
                if vips
                else _fail("refused", "backend-unavailable")
            )
        if reach.error is None:
            reach.via_proxy = True
            return reach
        if reach.error == "timeout" and ctx.timeout < ENVOY_CONNECT_TIMEOUT:
            return Reach(error="timeout", failure=reach.failure, via_proxy=True)
        return Reach(
            status=503,
            via_proxy=True,
            failure=reach.failure,
            body="upstream connect error or disconnect/reset before headers. reset "
            "reason: connection " + ("timeout" if reach.error == "timeout" else "failure"),
        )
