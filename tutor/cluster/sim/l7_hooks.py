"""Small glue between the data plane's Ingress/Gateway hops and the `tls` and `l7_filters`
models: the hops they add to a trace, and `curl --resolve`'s pinned address."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tutor.cluster.sim.l7_filters import Redirect
from tutor.cluster.sim.tls import Handshake
from tutor.cluster.sim.trace import Hop


class _TlsCtx(Protocol):
    """The part of the data plane's request context TLS termination sets."""

    certificate: str | None


def pinned(address: str, host: str, hops: list[Hop]) -> str:
    """`--resolve HOST:PORT:ADDRESS`: no DNS lookup, the client connects to ADDRESS and still
    sends HOST as SNI and Host."""
    hops.append(
        Hop(
            "dns",
            f"{host} pinned to {address} (curl --resolve): no DNS lookup",
            "the URL keeps the name, so it is sent as SNI and in the Host header",
        )
    )
    return address


def shake_ok(shake: Handshake, hops: list[Hop], ctx: _TlsCtx) -> bool:
    """Record the TLS hop (if there was a handshake); False when the connection ends there."""
    if not shake.ok:
        hops.append(Hop("tls", shake.summary, shake.reason, ok=False, failure=shake.failure))
        return False
    if shake.summary:
        hops.append(Hop("tls", shake.summary, shake.reason))
        ctx.certificate = shake.certificate
    return True


def redirect_reason(answer: Redirect) -> str:
    """Why the gateway answered with a redirect, and what it left out."""
    text = f"RequestRedirect: the gateway answers {answer.status} with Location {answer.location}"
    if answer.ignored:
        text += (
            f"; cloud-provider-kind does not translate {', '.join(answer.ignored)} "
            "(only hostname and statusCode), so the request's own scheme, port and path stay"
        )
    return text


IGNORED_FILTERS = ("URLRewrite", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef", "CORS")
"""HTTPRoute filter types cloud-provider-kind v0.11.1 does not translate (httproute.go handles
RequestRedirect and RequestHeaderModifier only)."""


def ignored_filters(filters: Sequence[Mapping[str, Any]]) -> str:
    """A note for the route hop naming the rule's filters the proxy skips."""
    skipped = sorted({str(f.get("type")) for f in filters if f.get("type") in IGNORED_FILTERS})
    if not skipped:
        return ""
    return (
        f"; filter(s) {', '.join(skipped)} are not applied: cloud-provider-kind translates only "
        "RequestRedirect and RequestHeaderModifier"
    )


__all__: Sequence[str] = ("ignored_filters", "pinned", "redirect_reason", "shake_ok")
