"""HTTPRoute RequestRedirect and weighted backendRefs, as cloud-provider-kind's Envoy applies them.

Sources: kubernetes-sigs/gateway-api v1.6.1 apis/v1/httproute_types.go
(`HTTPRequestRedirectFilter.StatusCode`: default 302, enum 301/302/303/307/308;
`BackendRef.Weight`: default 1, weight / sum of weights, 0 sends nothing) and
kubernetes-sigs/cloud-provider-kind v0.11.1 pkg/gateway/httproute.go
(`translateHTTPRouteToEnvoyRoutes`: a RequestRedirect sets only `HostRedirect` from
`hostname` and `ResponseCode` from `statusCode`, 302 when unset; `scheme`, `port` and `path`
are not translated, so Envoy keeps the request's scheme, port and path; a rule with a
redirect gets no backends. RequestHeaderModifier is translated; URLRewrite,
ResponseHeaderModifier and RequestMirror are not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

REDIRECT_CODES = (301, 302, 303, 307, 308)
"""The values Gateway API v1.6 allows for `requestRedirect.statusCode`."""
DEFAULT_REDIRECT = 302
_GOLDEN = 0.6180339887498949


@dataclass(frozen=True)
class Redirect:
    """The answer a RequestRedirect filter gives instead of forwarding."""

    status: int
    location: str
    ignored: tuple[str, ...]
    """Fields of the filter cloud-provider-kind does not translate."""


def redirect_filter(filters: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The rule's RequestRedirect settings, or None."""
    for item in filters:
        if item.get("type") == "RequestRedirect":
            return dict(item.get("requestRedirect") or {})
    return None


def redirect(
    settings: Mapping[str, Any], scheme: str, host_header: str, path: str, query: str
) -> Redirect:
    """Status and Location as cloud-provider-kind v0.11.1's Envoy answers them."""
    code = settings.get("statusCode")
    # httproute.go maps the five known codes and falls back to MOVED_PERMANENTLY
    known = code is not None and int(code) in REDIRECT_CODES
    status = DEFAULT_REDIRECT if code is None else (int(code) if known else 301)
    host = str(settings.get("hostname") or "") or host_header
    if settings.get("hostname") and ":" in host_header and not host_header.startswith("["):
        # Envoy's host_redirect replaces the host and keeps the request's port
        host = f"{settings['hostname']}:{host_header.rsplit(':', 1)[1]}"
    ignored = tuple(k for k in ("scheme", "port", "path") if settings.get(k))
    location = f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
    return Redirect(status, location, ignored)


def pick_weighted(backends: Sequence[Mapping[str, Any]], seed: int, index: int) -> int:
    """Which backend (its position) attempt `index` goes to, by weight.

    Envoy picks at random; the model is deterministic and even: a golden-ratio sequence over
    the attempts, so any run of N attempts gives each backend its share within a couple of
    requests (90/10 over 50 attempts gives 44 to 46 and 4 to 6). `seed` shifts the sequence
    per route and client so different probes do not march in step."""
    weights = [max(0, int(1 if b.get("weight") is None else b["weight"])) for b in backends]
    total = sum(weights)
    if total <= 0:
        raise ValueError("no backend has a weight above 0")
    point = ((seed % 1000) / 1000 + index * _GOLDEN) % 1.0 * total
    for position, weight in enumerate(weights):
        if point < weight:
            return position
        point -= weight
    return max(p for p, w in enumerate(weights) if w > 0)


__all__: Sequence[str] = (
    "DEFAULT_REDIRECT",
    "REDIRECT_CODES",
    "Redirect",
    "pick_weighted",
    "redirect",
    "redirect_filter",
)
