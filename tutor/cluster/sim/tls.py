"""TLS termination on Gateway listeners and Ingresses, as cloud-provider-kind v0.11.1 does it.

Sources (read at tag v0.11.1 of kubernetes-sigs/cloud-provider-kind, and v1.6.1 of
kubernetes-sigs/gateway-api):

- pkg/gateway/listener.go `validateListeners`: for each certificateRef of a listener, in
  order: a non-core group or a kind other than Secret -> `ResolvedRefs=False`
  `InvalidCertificateRef`; a Secret in another namespace without a ReferenceGrant (from
  Gateway in the Gateway's namespace, to Secret, optionally by name) -> `RefNotPermitted`;
  a Secret that does not exist -> `InvalidCertificateRef`; `validateSecretCertificate`:
  `tls.key` and `tls.crt` must be present and PEM-decodable (the Secret's `type` is not
  looked at) -> `InvalidCertificateRef` "malformed Secret". The first failing ref decides.
- pkg/gateway/listener.go `buildDownstreamTLSContext` fetches every referenced Secret again
  but does not re-check the ReferenceGrant: a listener whose only problem is
  `RefNotPermitted` is still programmed with the Secret. A missing or malformed Secret makes
  it fail, and gateway.go sets the listener `Programmed=False` reason `Invalid` and leaves
  its filter chain out; a port with no filter chain gets no Envoy listener (connection
  refused). gateway.go `setGatewayConditions`: the Gateway is `Programmed=False` with reason
  `ListenersNotProgrammed` unless every listener is programmed.
- pkg/gateway/listener.go `translateListenerToFilterChain`: an HTTPS listener with a
  `hostname` gets `FilterChainMatch.ServerNames: [hostname]`, so the SNI name selects it; a
  handshake no filter chain matches is closed by Envoy. All listeners of a port share one
  route table, so after the handshake the Host header routes across them.
- pkg/ingress/controller.go `reconcileNamespaceGateway`: every `spec.tls[].secretName` of the
  namespace's Ingresses becomes a certificateRef of one `https` listener on 443 without a
  hostname; `tls[].hosts` is not used.
- gateway-api apis/v1/gateway_types.go: the listener `ResolvedRefs` reasons
  (`InvalidCertificateRef`, `RefNotPermitted`) and the rule that `RefNotPermitted` is used
  when a reference is not allowed, `InvalidCertificateRef` only when it is.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
Lookup = Callable[[str, str, str], Obj | None]
"""(kind, namespace, name) -> the object or None."""
Grants = Callable[[str], Iterable[Obj]]
"""namespace -> the ReferenceGrants in it."""

GATEWAY_GROUP = "gateway.networking.k8s.io"
TLS_SECRET_KEYS = ("tls.crt", "tls.key")
"""The keys a `kubernetes.io/tls` Secret must have (the API server requires both)."""
_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s+[A-Za-z0-9+/=\s]+-----END \1-----")


@dataclass(frozen=True)
class RefProblem:
    """Why a listener's certificateRef does not resolve."""

    reason: str
    """`InvalidCertificateRef` or `RefNotPermitted` (Gateway API v1.6 listener reasons)."""
    message: str
    programmed: bool
    """Whether cloud-provider-kind still programs the listener (only `RefNotPermitted` on a
    Secret that exists)."""


def _decoded(secret: Mapping[str, Any], key: str) -> bytes | None:
    data = secret.get("data") or {}
    if key in data:
        try:
            return base64.b64decode(str(data[key]), validate=False)
        except (binascii.Error, ValueError):
            return b""
    string_data = secret.get("stringData") or {}
    if key in string_data:
        return str(string_data[key]).encode()
    return None


def secret_problem(secret: Mapping[str, Any]) -> str | None:
    """`validateSecretCertificate`: why the Secret cannot serve TLS, or None."""
    meta = secret.get("metadata") or {}
    ref = f"{meta.get('namespace')}/{meta.get('name')}"
    for key, what in (("tls.key", "private key"), ("tls.crt", "certificate chain")):
        value = _decoded(secret, key)
        if value is None:
            return f"secret {ref} does not contain key {key}"
        if not _PEM.search(value):
            return f"secret {ref} key {key} does not contain a valid PEM-encoded {what}"
    return None


def granted(grants: Iterable[Obj], from_ns: str, name: str) -> bool:
    """A ReferenceGrant lets Gateways in `from_ns` use Secret `name` (referencegrant.go)."""
    for grant in grants:
        spec = grant.get("spec") or {}
        if not any(
            f.get("group") == GATEWAY_GROUP
            and f.get("kind") == "Gateway"
            and f.get("namespace") == from_ns
            for f in spec.get("from") or []
        ):
            continue
        for to in spec.get("to") or []:
            if (
                (to.get("group") or "") == ""
                and to.get("kind") == "Secret"
                and (not to.get("name") or to.get("name") == name)
            ):
                return True
    return False


def certificate_problem(
    gw_ns: str, refs: Sequence[Mapping[str, Any]], lookup: Lookup, grants: Grants
) -> RefProblem | None:
    """The first certificateRef that does not resolve, checked in cloud-provider-kind's order."""
    for ref in refs:
        group, kind = ref.get("group") or "", ref.get("kind") or "Secret"
        name = str(ref.get("name") or "")
        if group:
            return RefProblem(
                "InvalidCertificateRef", f"unsupported certificate ref group: {group}", False
            )
        if kind != "Secret":
            return RefProblem(
                "InvalidCertificateRef", f"unsupported certificate ref kind: {kind}", False
            )
        secret_ns = str(ref.get("namespace") or gw_ns)
        secret = lookup("Secret", secret_ns, name)
        if secret_ns != gw_ns and not granted(grants(secret_ns), gw_ns, name):
            # the TLS builder does not re-check the grant: programmed if the Secret works
            return RefProblem(
                "RefNotPermitted",
                f"reference to Secret {secret_ns}/{name} not permitted by any ReferenceGrant",
                secret is not None and secret_problem(secret) is None,
            )
        if secret is None:
            return RefProblem(
                "InvalidCertificateRef",
                f"reference to Secret {secret_ns}/{name} not found",
                False,
            )
        bad = secret_problem(secret)
        if bad is not None:
            return RefProblem(
                "InvalidCertificateRef", f"malformed Secret {secret_ns}/{name} : {bad}", False
            )
    return None


def listener_problem(
    gw: Mapping[str, Any], listener: Mapping[str, Any], lookup: Lookup, grants: Grants
) -> RefProblem | None:
    """The certificate problem of an HTTPS listener (None for other protocols, or no tls)."""
    tls = listener.get("tls")
    if listener.get("protocol") != "HTTPS" or not tls:
        return None
    ns = str((gw.get("metadata") or {}).get("namespace") or "")
    refs = list(tls.get("certificateRefs") or [])
    if not refs:
        # buildDownstreamTLSContext: "TLS is configured, but no certificate refs are provided"
        return RefProblem("InvalidCertificateRef", "no certificate refs are provided", False)
    return certificate_problem(ns, refs, lookup, grants)


def certificate_lines(secret: Mapping[str, Any]) -> list[str]:
    """What `curl -v` prints about the certificate in `tls.crt` (subject, dates, issuer)."""
    pem = _decoded(secret, "tls.crt")
    if not pem:
        return []
    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover - a runtime dependency
        return []
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return []
    stamp = "%b %d %H:%M:%S %Y GMT"
    lines = [
        "Server certificate:",
        f" subject: {cert.subject.rfc4514_string()}",
        f" start date: {cert.not_valid_before_utc.strftime(stamp)}",
        f" expire date: {cert.not_valid_after_utc.strftime(stamp)}",
    ]
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = sans.value.get_values_for_type(x509.DNSName)
        lines.append(f" subjectAltName: {', '.join(names)}")
    except x509.ExtensionNotFound:
        pass
    lines.append(f" issuer: {cert.issuer.rfc4514_string()}")
    return lines


# -- the handshake ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Handshake:
    """How a TLS ClientHello to a proxy port ended."""

    ok: bool
    error: str = ""
    """`refused` (no Envoy listener on the port), `tls` (handshake closed), `reset`."""
    failure: str = ""
    """The trace failure code."""
    summary: str = ""
    reason: str = ""
    listener: Mapping[str, Any] | None = None
    certificate: str | None = None
    """`Secret ns/name` presented."""


def sni_of(host: str) -> str | None:
    """The SNI name a client sends for a URL host: none for an IP literal (RFC 6066 s. 3)."""
    bare = host.strip("[]")
    if re.fullmatch(r"[0-9.]+", bare) or ":" in bare:
        return None
    return bare.lower() or None


def hostname_fits(pattern: str, name: str) -> bool:
    """A listener hostname against an SNI name: exact, or `*.suffix` for any deeper name."""
    pattern = pattern.lower()
    if pattern.startswith("*."):
        return name.endswith(pattern[1:]) and len(name) > len(pattern) - 1
    return pattern == name


def pick_listener(
    listeners: Sequence[Mapping[str, Any]], sni: str | None
) -> Mapping[str, Any] | None:
    """Envoy's filter-chain choice by server name: exact, then the longest wildcard, then a
    chain without server names."""
    if sni:
        exact = [ls for ls in listeners if str(ls.get("hostname") or "").lower() == sni]
        if exact:
            return exact[0]
        wild = [
            ls
            for ls in listeners
            if str(ls.get("hostname") or "").startswith("*.")
            and hostname_fits(str(ls["hostname"]), sni)
        ]
        if wild:
            return max(wild, key=lambda ls: len(str(ls.get("hostname"))))
    bare = [ls for ls in listeners if not ls.get("hostname")]
    return bare[0] if bare else None


def secret_ref(gw_ns: str, listener: Mapping[str, Any]) -> str | None:
    """`Secret ns/name` of the listener's first certificateRef."""
    refs = (listener.get("tls") or {}).get("certificateRefs") or []
    if not refs:
        return None
    return f"Secret {refs[0].get('namespace') or gw_ns}/{refs[0].get('name')}"


def plain_port(tls: bool) -> Handshake:
    """A port whose listeners speak plain HTTP: fine for http, a TLS error for https."""
    if not tls:
        return Handshake(True)
    return Handshake(
        False,
        "tls",
        "tls-handshake",
        "TLS ClientHello sent to a plain-HTTP listener",
        "the port's listeners are HTTP: Envoy answers the ClientHello as HTTP (400) and "
        "curl reports a TLS error",
    )


def gateway_handshake(
    gw: Mapping[str, Any],
    listeners: Sequence[Mapping[str, Any]],
    tls: bool,
    sni: str | None,
    lookup: Lookup,
    grants: Grants,
) -> Handshake:
    """The connection to a Gateway port, before any HTTP: which listener takes it."""
    ns = str((gw.get("metadata") or {}).get("namespace") or "")
    https = [ls for ls in listeners if ls.get("protocol") == "HTTPS"]
    if not https:
        return plain_port(tls)
    programmed = [
        ls
        for ls in https
        if (p := listener_problem(gw, ls, lookup, grants)) is None or p.programmed
    ]
    if not programmed:
        problems = [
            f"{ls.get('name')}: {p.reason} ({p.message})"
            for ls in https
            if (p := listener_problem(gw, ls, lookup, grants)) is not None
        ]
        return Handshake(
            False,
            "refused",
            "tls-not-programmed",
            "no HTTPS listener on this port is programmed",
            "; ".join(problems)
            + ": cloud-provider-kind leaves a listener without a usable certificate out of "
            "Envoy, and a port with no listener left refuses connections",
        )
    if not tls:
        return Handshake(
            False,
            "reset",
            "tls-required",
            "plain HTTP sent to an HTTPS listener",
            "the listener expects a TLS ClientHello: Envoy closes the connection",
        )
    chosen = pick_listener(programmed, sni)
    if chosen is None:
        names = ", ".join(str(ls.get("hostname")) for ls in programmed)
        return Handshake(
            False,
            "tls",
            "tls-handshake",
            f"no HTTPS listener matches SNI {sni or '(none)'}",
            f"the listeners' hostnames ({names}) are matched against the SNI name; "
            + (
                "a URL with an IP address sends no SNI (use curl --resolve)"
                if sni is None
                else "none fits, so Envoy closes the handshake"
            ),
        )
    return Handshake(
        True,
        summary=f"TLS terminated by listener {chosen.get('name')} "
        f"(SNI {sni or '(none)'}; {secret_ref(ns, chosen)})",
        reason="the SNI name selects the listener and its certificate; the Host header "
        "then selects the route",
        listener=chosen,
        certificate=secret_ref(ns, chosen),
    )


def ingress_handshake(ns: str, secret_names: Sequence[str], tls: bool, lookup: Lookup) -> Handshake:
    """Port 443 of cloud-provider-kind's namespace Ingress gateway: one `https` listener
    without a hostname holding every `tls[].secretName` of the namespace."""
    names = sorted(set(secret_names))
    refs = [{"name": n} for n in names]
    problem = certificate_problem(ns, refs, lookup, lambda _ns: ())
    if problem is not None:
        return Handshake(
            False,
            "refused",
            "tls-not-programmed",
            "the Ingress gateway's https listener is not programmed",
            f"Gateway {ns}/kind-ingress-gateway listener https: ResolvedRefs=False "
            f"{problem.reason} ({problem.message}); Envoy gets no listener on 443",
        )
    if not tls:
        return Handshake(
            False,
            "reset",
            "tls-required",
            "plain HTTP sent to port 443 of the Ingress gateway",
            "the https listener expects a TLS ClientHello: Envoy closes the connection",
        )
    return Handshake(
        True,
        summary=f"TLS terminated by the Ingress gateway's https listener (Secret {ns}/{names[0]})",
        reason="cloud-provider-kind puts every tls[].secretName of the namespace on one "
        "listener without a hostname: tls[].hosts is not used",
        certificate=f"Secret {ns}/{names[0]}",
    )


__all__: Sequence[str] = (
    "TLS_SECRET_KEYS",
    "Handshake",
    "RefProblem",
    "certificate_lines",
    "certificate_problem",
    "gateway_handshake",
    "ingress_handshake",
    "listener_problem",
    "plain_port",
    "pick_listener",
    "secret_problem",
    "sni_of",
)
