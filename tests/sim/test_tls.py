"""TLS termination on Gateway listeners and Ingresses, HTTPRoute redirects and weights, as the
simulator models cloud-provider-kind v0.11.1 (sources in `tutor.cluster.sim.tls` and
`tutor.cluster.sim.l7_filters`), probed with `curl -k --resolve` as on kind."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
import yaml

from tutor.cluster.base import InvalidObjectError, ProbeRequest
from tutor.cluster.sim.api.execs import ExecResult, run_command
from tutor.cluster.sim.cluster import SimCluster
from tutor.cluster.sim.l7_filters import pick_weighted, redirect
from tutor.cluster.sim.tls import pick_listener, secret_problem, sni_of

NS = "lab"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"
Obj = dict[str, Any]


def self_signed(name: str) -> tuple[str, str]:
    """A PEM certificate and key for `name` (what `openssl req -x509` gives a lab)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


CERT, KEY = self_signed("shop.example.com")


def tls_secret(name: str, ns: str = NS, *, kind: str = "kubernetes.io/tls", **data: str) -> Obj:
    values = data or {"tls.crt": CERT, "tls.key": KEY}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "type": kind,
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


def app(name: str) -> list[Obj]:
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": AGNHOST,
                                "args": ["serve-hostname", "--http=true", "--port=8080"],
                            }
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
        },
    ]


def https_gateway(*refs: Obj, hostname: str | None = "shop.example.com") -> Obj:
    listener: Obj = {
        "name": "https",
        "port": 443,
        "protocol": "HTTPS",
        "tls": {"mode": "Terminate", "certificateRefs": list(refs)},
    }
    if hostname:
        listener["hostname"] = hostname
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "edge"},
        "spec": {
            "gatewayClassName": "cloud-provider-kind",
            "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}, listener],
        },
    }


def route(rules: list[Obj], section: str | None = None) -> Obj:
    parent: Obj = {"name": "edge"}
    if section:
        parent["sectionName"] = section
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "shop"},
        "spec": {"parentRefs": [parent], "hostnames": ["shop.example.com"], "rules": rules},
    }


CLIENT: Obj = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "client"},
    "spec": {"containers": [{"name": "c", "image": AGNHOST, "args": ["pause"]}]},
}


def lab(*objects: Obj) -> SimCluster:
    text = yaml.safe_dump_all([*app("shop"), CLIENT, *objects])
    return SimCluster.from_manifests(text, NS)


def gw_ip(c: SimCluster) -> str:
    gw = c.get("Gateway", "edge", NS)
    assert gw is not None
    return str(gw["status"]["addresses"][0]["value"])


def listener(c: SimCluster, name: str = "https") -> dict[str, Obj]:
    gw = c.get("Gateway", "edge", NS)
    assert gw is not None
    found = next(ls for ls in gw["status"]["listeners"] if ls["name"] == name)
    return {cond["type"]: cond for cond in found["conditions"]}


def curl(c: SimCluster, *args: str) -> ExecResult:
    return run_command(c, NS, "client", None, ["curl", *args])


def get(
    c: SimCluster, url: str, resolve: str | None, count: int = 1, host: str | None = None
) -> list[Any]:
    headers = {"Host": host} if host else {}
    request = ProbeRequest(
        "http", url, NS, source="host", resolve=resolve, count=count, headers=headers
    )
    return list(c.probe(request).attempts)


SHOP = [{"backendRefs": [{"name": "shop", "port": 80}]}]


# -- Gateway HTTPS listeners --------------------------------------------------------------------


def test_https_listener_terminates_tls_for_its_sni_name() -> None:
    """An HTTPS listener with a hostname is an Envoy filter chain with that server name
    (listener.go translateListenerToFilterChain): `--resolve` sends SNI, `-k` skips the
    self-signed certificate's verification, and without `-k` curl stops at it (exit 60)."""
    c = lab(tls_secret("shop-tls"), https_gateway({"name": "shop-tls"}), route(SHOP))
    ip = gw_ip(c)
    conds = listener(c)
    assert conds["ResolvedRefs"]["status"] == "True" and conds["Programmed"]["status"] == "True"
    ok = curl(c, "-sk", "--resolve", f"shop.example.com:443:{ip}", "https://shop.example.com/")
    assert ok.code == 0 and ok.stdout.startswith("shop-")
    strict = curl(c, "-sS", "--resolve", f"shop.example.com:443:{ip}", "https://shop.example.com/")
    assert strict.code == 60 and "self-signed certificate" in strict.stderr
    attempt = get(c, "https://shop.example.com/", ip)[0]
    assert attempt.status == 200 and attempt.certificate == f"Secret {NS}/shop-tls"


def test_an_ip_url_sends_no_sni_so_a_hostname_listener_closes_the_handshake() -> None:
    """RFC 6066 section 3: SNI carries host names only. No filter chain matches a ClientHello
    without SNI when every HTTPS listener has a hostname: Envoy closes it, curl exits 35."""
    c = lab(tls_secret("shop-tls"), https_gateway({"name": "shop-tls"}), route(SHOP))
    ip = gw_ip(c)
    out = curl(c, "-sSk", f"https://{ip}/", "-H", "Host: shop.example.com")
    assert out.code == 35 and "SSL_ERROR_SYSCALL" in out.stderr
    other = curl(c, "-sSk", "--resolve", f"blog.example.com:443:{ip}", "https://blog.example.com/")
    assert other.code == 35


def test_a_listener_without_hostname_takes_any_sni_and_plain_http_is_reset() -> None:
    c = lab(tls_secret("shop-tls"), https_gateway({"name": "shop-tls"}, hostname=None), route(SHOP))
    ip = gw_ip(c)
    assert curl(c, "-sk", f"https://{ip}/", "-H", "Host: shop.example.com").code == 0
    plain = curl(c, "-sS", f"http://{ip}:443/", "-H", "Host: shop.example.com")
    assert plain.code == 56
    tls_to_http = curl(c, "-sSk", f"https://{ip}:80/", "-H", "Host: shop.example.com")
    assert tls_to_http.code == 35


def test_missing_secret_is_invalid_certificate_ref_and_the_port_refuses() -> None:
    """listener.go: a Secret that is not found -> ResolvedRefs=False InvalidCertificateRef;
    buildDownstreamTLSContext fails -> Programmed=False Invalid, no filter chain, no Envoy
    listener on 443; gateway.go setGatewayConditions -> Gateway ListenersNotProgrammed."""
    c = lab(https_gateway({"name": "shop-tls"}), route(SHOP))
    conds = listener(c)
    assert conds["ResolvedRefs"]["status"] == "False"
    assert conds["ResolvedRefs"]["reason"] == "InvalidCertificateRef"
    assert conds["Programmed"]["status"] == "False" and conds["Programmed"]["reason"] == "Invalid"
    assert listener(c, "http")["Programmed"]["status"] == "True"
    gw = c.get("Gateway", "edge", NS)
    assert gw is not None
    programmed = next(x for x in gw["status"]["conditions"] if x["type"] == "Programmed")
    assert programmed["status"] == "False" and programmed["reason"] == "ListenersNotProgrammed"
    ip = gw_ip(c)
    out = curl(c, "-sSk", "--resolve", f"shop.example.com:443:{ip}", "https://shop.example.com/")
    assert out.code == 7 and "refused" in out.stderr.lower()
    assert curl(c, "-s", f"http://{ip}/", "-H", "Host: shop.example.com").code == 0


def test_malformed_secret_is_invalid_but_the_type_is_not_checked() -> None:
    """validateSecretCertificate checks tls.key and tls.crt are PEM; it never reads
    `secret.Type`, so an Opaque Secret with those keys serves."""
    bad = tls_secret("shop-tls", kind="Opaque", cert=CERT, key=KEY)
    c = lab(bad, https_gateway({"name": "shop-tls"}), route(SHOP))
    conds = listener(c)
    assert conds["ResolvedRefs"]["reason"] == "InvalidCertificateRef"
    assert "malformed" in conds["ResolvedRefs"]["message"]
    c.apply([tls_secret("shop-tls", kind="Opaque")], NS)
    assert listener(c)["ResolvedRefs"]["status"] == "True"


def test_cross_namespace_secret_needs_a_grant_from_gateways() -> None:
    """Gateway API v1.6 gateway_types.go: a certificateRef into another namespace without a
    ReferenceGrant is ResolvedRefs=False RefNotPermitted. cloud-provider-kind's TLS builder
    does not re-check the grant, so the listener stays programmed and serves the Secret."""
    c = lab(https_gateway({"name": "shop-tls", "namespace": "certs"}), route(SHOP))
    c.ensure_namespace("certs", {})
    c.apply([tls_secret("shop-tls", "certs")], "certs")
    conds = listener(c)
    assert conds["ResolvedRefs"]["reason"] == "RefNotPermitted"
    assert conds["Programmed"]["status"] == "True"
    assert get(c, "https://shop.example.com/", gw_ip(c))[0].status == 200
    wrong_from = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "edge", "namespace": "certs"},
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": NS}],
            "to": [{"group": "", "kind": "Secret"}],
        },
    }
    c.apply([wrong_from], "certs")
    assert listener(c)["ResolvedRefs"]["reason"] == "RefNotPermitted"
    grant = {**wrong_from, "spec": {**wrong_from["spec"]}}
    grant["spec"]["from"] = [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": NS}
    ]
    c.apply([grant], "certs")
    assert listener(c)["ResolvedRefs"]["status"] == "True"


def test_ref_not_permitted_takes_precedence_over_not_found() -> None:
    """gateway_types.go ListenerReasonInvalidCertificateRef: 'This reason must be used only
    when the reference is allowed'; a denied reference to a missing Secret is RefNotPermitted,
    and with nothing to serve the listener is not programmed."""
    c = lab(https_gateway({"name": "ghost", "namespace": "certs"}), route(SHOP))
    conds = listener(c)
    assert conds["ResolvedRefs"]["reason"] == "RefNotPermitted"
    assert conds["Programmed"]["status"] == "False"


# -- Ingress spec.tls -------------------------------------------------------------------------


def shop_ingress(secret: str, tls_host: str = "shop.example.com") -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop"},
        "spec": {
            "ingressClassName": "cloud-provider-kind",
            "tls": [{"hosts": [tls_host], "secretName": secret}],
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "shop", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def ingress_ip(c: SimCluster) -> str:
    ing = c.get("Ingress", "shop", NS)
    assert ing is not None
    return str(ing["status"]["loadBalancer"]["ingress"][0]["ip"])


def test_ingress_tls_serves_443_with_the_namespace_secret() -> None:
    """ingress/controller.go reconcileNamespaceGateway: tls[].secretName -> certificateRefs of
    an `https` listener on 443 without a hostname; `tls[].hosts` is not used, so a tls host
    that differs from the rule host still terminates."""
    c = lab(tls_secret("shop-tls"), shop_ingress("shop-tls", tls_host="www.shop.example.com"))
    ip = ingress_ip(c)
    out = curl(c, "-sk", "--resolve", f"shop.example.com:443:{ip}", "https://shop.example.com/")
    assert out.code == 0 and out.stdout.startswith("shop-")
    assert get(c, "https://shop.example.com/", ip)[0].certificate == f"Secret {NS}/shop-tls"


def test_ingress_secret_in_another_namespace_leaves_443_closed() -> None:
    """secretName is looked up in the Ingress's namespace; not found -> the https listener is
    not programmed and Envoy has nothing on 443, while port 80 keeps serving."""
    c = lab(shop_ingress("shop-tls"))
    c.ensure_namespace("certs", {})
    c.apply([tls_secret("shop-tls", "certs")], "certs")
    ip = ingress_ip(c)
    attempt = get(c, "https://shop.example.com/", ip)[0]
    assert not attempt.ok and attempt.error == "refused"
    assert get(c, "http://shop.example.com/", ip)[0].status == 200
    c.apply([tls_secret("shop-tls")], NS)
    assert get(c, "https://shop.example.com/", ip)[0].status == 200


# -- filters and weights -----------------------------------------------------------------------


def test_redirect_status_defaults_to_302_and_keeps_the_scheme_on_kind() -> None:
    """httproute_types.go: statusCode defaults to 302 (enum 301/302/303/307/308).
    cloud-provider-kind httproute.go sets only HostRedirect and ResponseCode, so `scheme:
    https` is not applied and the Location stays http."""
    rule = {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}
    c = lab(tls_secret("shop-tls"), https_gateway({"name": "shop-tls"}), route([rule], "http"))
    ip = gw_ip(c)
    out = curl(c, "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
               f"http://{ip}/cart", "-H", "Host: shop.example.com")  # fmt: skip
    assert out.stdout == "302 http://shop.example.com/cart"
    moved = {"type": "RequestRedirect", "requestRedirect": {"statusCode": 301, "hostname": "x.io"}}
    c.apply([route([{"filters": [moved]}], "http")], NS)
    moved_answer = get(c, f"http://{ip}/a?b=1", None, host="shop.example.com")[0]
    assert moved_answer.status == 301 and moved_answer.location == "http://x.io/a?b=1"


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_answers_each_allowed_code(code: int) -> None:
    answer = redirect({"statusCode": code}, "http", "shop.example.com", "/x", "")
    assert answer.status == code and answer.location == "http://shop.example.com/x"


def test_redirect_hostname_keeps_the_port() -> None:
    answer = redirect({"hostname": "www.example.com"}, "http", "shop.example.com:8080", "/", "q=1")
    assert answer.location == "http://www.example.com:8080/?q=1"


def test_weights_split_deterministically_over_attempts() -> None:
    """httproute_types.go BackendRef.Weight: weight / sum of weights; default 1; 0 sends none."""
    backends = [{"name": "v1", "weight": 90}, {"name": "v2", "weight": 10}]
    picks = [pick_weighted(backends, 7, i) for i in range(50)]
    assert 44 <= picks.count(0) <= 46
    assert pick_weighted([{"name": "a"}, {"name": "b", "weight": 0}], 3, 5) == 0
    even = [pick_weighted([{"name": "a"}, {"name": "b"}], 1, i) for i in range(20)]
    assert even.count(0) == 10
    with pytest.raises(ValueError):
        pick_weighted([{"name": "a", "weight": 0}], 0, 0)


def test_canary_route_splits_90_10() -> None:
    canary = {
        "backendRefs": [
            {"name": "shop", "port": 80, "weight": 90},
            {"name": "shop-v2", "port": 80, "weight": 10},
        ]
    }
    c = lab(*app("shop-v2"), https_gateway({"name": "x"}), route([canary], "http"))
    attempts = get(c, f"http://{gw_ip(c)}/", None, count=50, host="shop.example.com")
    hits = [a.body for a in attempts if a.status == 200]
    assert len(hits) == 50
    assert 3 <= sum(1 for h in hits if h.startswith("shop-v2-")) <= 7


# -- helpers -----------------------------------------------------------------------------------


def test_sni_and_listener_choice() -> None:
    assert sni_of("10.0.0.1") is None and sni_of("[fd00::1]") is None
    assert sni_of("Shop.Example.com") == "shop.example.com"
    ls = [
        {"name": "wild", "hostname": "*.example.com"},
        {"name": "exact", "hostname": "a.example.com"},
    ]
    assert pick_listener(ls, "a.example.com") == ls[1]
    assert pick_listener(ls, "b.c.example.com") == ls[0]
    assert pick_listener(ls, None) is None


def test_secret_problem_names_the_missing_key() -> None:
    secret = tls_secret("s")
    assert secret_problem(secret) is None
    del secret["data"]["tls.key"]
    assert "does not contain key tls.key" in (secret_problem(secret) or "")
    junk = tls_secret("s", **{"tls.crt": "hello", "tls.key": KEY})
    assert "valid PEM-encoded certificate chain" in (secret_problem(junk) or "")


def test_kind_probe_command_with_resolve_round_trips_through_curl() -> None:
    """The check's `resolve` becomes `curl -k --resolve HOST:443:ADDRESS` on kind
    (tutor.cluster.probes.http_command); the simulator's curl answers it the same way, and a
    closed handshake (exit 35) parses as `tls`."""
    from tutor.cluster.probes import http_command, parse_http

    c = lab(tls_secret("shop-tls"), https_gateway({"name": "shop-tls"}), route(SHOP))
    ip = gw_ip(c)
    request = ProbeRequest("http", "https://shop.example.com/", NS, resolve=ip)
    argv = http_command(request)
    assert "-k" in argv and argv[argv.index("--resolve") + 1] == f"shop.example.com:443:{ip}"
    out = run_command(c, NS, "client", None, argv)
    attempt = parse_http(request.target, out.code, out.stdout, out.stderr)
    assert attempt.status == 200 and attempt.body.startswith("shop-")
    bare = ProbeRequest("http", f"https://{ip}/", NS, headers={"Host": "shop.example.com"})
    out = run_command(c, NS, "client", None, http_command(bare))
    assert parse_http(bare.target, out.code, out.stdout, out.stderr).error == "tls"


def test_api_server_requires_both_keys_of_a_tls_secret() -> None:
    """pkg/apis/core/validation ValidateSecret: a `kubernetes.io/tls` Secret without `tls.key`
    is rejected (Required value); its PEM content is not checked there."""
    c = lab()
    bad = tls_secret("half", **{"tls.crt": CERT})
    with pytest.raises(InvalidObjectError, match=r"data\[tls.key\]: Required value"):
        c.apply([bad], NS)
    assert c.get("Secret", "half", NS) is None
    junk = tls_secret("junk", **{"tls.crt": "x", "tls.key": "y"})
    c.apply([junk], NS)
    assert c.get("Secret", "junk", NS) is not None


def test_listeners_support_only_httproute_on_kind() -> None:
    """cloud-provider-kind v0.11.1 gateway.go: CloudProviderSupportedKinds holds HTTPRoute
    only ("GRPCRoute" is commented out), and getSupportedKinds marks a listener whose
    allowedRoutes.kinds names another kind ResolvedRefs=False InvalidRouteKinds."""
    c = lab(tls_secret("shop-tls"), https_gateway({"name": "shop-tls"}), route(SHOP))
    gw = c.get("Gateway", "edge", NS)
    assert gw is not None
    kinds = {k["kind"] for ls in gw["status"]["listeners"] for k in ls["supportedKinds"]}
    assert kinds == {"HTTPRoute"}
    grpc = https_gateway({"name": "shop-tls"})
    grpc["spec"]["listeners"][0]["allowedRoutes"] = {"kinds": [{"kind": "GRPCRoute"}]}
    c.apply([grpc], NS)
    assert listener(c, "http")["ResolvedRefs"]["reason"] == "InvalidRouteKinds"


def test_curl_verbose_shows_the_served_certificate() -> None:
    """`curl -v` prints the server certificate's subject and issuer (lib/vtls/openssl.c);
    this is how to see which certificate a proxy presented when `-k` hides it."""
    c = lab(tls_secret("shop-tls"), https_gateway({"name": "shop-tls"}), route(SHOP))
    ip = gw_ip(c)
    out = curl(c, "-skv", "--resolve", f"shop.example.com:443:{ip}", "https://shop.example.com/")
    assert out.code == 0
    assert "*  subject: CN=shop.example.com" in out.stderr
    assert "*  subjectAltName: shop.example.com" in out.stderr
    assert "continuing anyway" in out.stderr


def test_url_rewrite_is_not_applied_on_kind_and_the_trace_says_so() -> None:
    """cloud-provider-kind httproute.go translates RequestRedirect and RequestHeaderModifier
    only: a URLRewrite (Extended support in Gateway API) leaves the path as it was."""
    from tutor.cluster.sim.trace import trace

    rewrite = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v2"}},
    }
    rule = {
        "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
        "filters": [rewrite],
        "backendRefs": [{"name": "shop", "port": 80}],
    }
    c = lab(https_gateway({"name": "x"}), route([rule], "http"))
    request = ProbeRequest(
        "http", f"http://{gw_ip(c)}/api/items", NS, source="host",
        headers={"Host": "shop.example.com"},
    )  # fmt: skip
    result = trace(c, request)
    assert result.attempt.status == 200
    assert any("URLRewrite are not applied" in hop.reason for hop in result.hops)


def test_ingresses_get_the_namespace_gateway_of_cloud_provider_kind() -> None:
    """ingress/controller.go reconcileNamespaceGateway: Gateway kind-ingress-gateway with
    `http` on 80 and, for tls[].secretName, `https` on 443 whose certificateRefs are the
    namespace's secret names; the Ingress status carries the Gateway's address, and the
    listener shows why 443 is closed."""
    c = lab(shop_ingress("shop-tls"))
    gw = c.get("Gateway", "kind-ingress-gateway", NS)
    assert gw is not None
    https = gw["spec"]["listeners"][1]
    assert (https["port"], https["protocol"]) == (443, "HTTPS") and "hostname" not in https
    assert https["tls"]["certificateRefs"] == [{"group": "", "kind": "Secret", "name": "shop-tls"}]
    assert gw["status"]["addresses"][0]["value"] == ingress_ip(c)
    conds = {x["type"]: x for x in gw["status"]["listeners"][1]["conditions"]}
    assert conds["ResolvedRefs"]["reason"] == "InvalidCertificateRef"
    c.delete("Ingress", "shop", NS)
    c.wait_for_change(NS, 0.1)
    assert c.get("Gateway", "kind-ingress-gateway", NS) is None


def test_one_invalid_backend_fails_the_whole_rule_on_kind() -> None:
    """Gateway API asks for 500 on the invalid backend's share only (httproute_types.go
    BackendRefs); cloud-provider-kind v0.11.1 httproute.go buildHTTPRouteAction returns an
    error for the first invalid backendRef, even one of weight 0, and the rule becomes a
    direct 500 response for every request."""
    split = {
        "backendRefs": [
            {"name": "shop", "port": 80, "weight": 1},
            {"name": "ghost", "port": 80, "weight": 0},
        ]
    }
    c = lab(https_gateway({"name": "x"}), route([split], "http"))
    attempts = get(c, f"http://{gw_ip(c)}/", None, count=10, host="shop.example.com")
    assert {a.status for a in attempts} == {500}
