"""L7 matching shared by Ingress and Gateway API: rules, hostnames, headers, query parameters, filters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from tutor.cluster.base import (
    Obj,
    matches_selector,
)
from tutor.cluster.sim.dns import (
    meta,
    name_of,
    ns_of,
    spec,
)


def query_params(query: str) -> dict[str, str]:
    """The first value of each query parameter."""
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value by case-insensitive name."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def regex_full(pattern: str, value: str) -> bool:
    """Envoy-style full match of a regular expression (False for an invalid one)."""
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


def selector_matches(labels: Mapping[str, str], selector: Mapping[str, Any] | None) -> bool:
    """A metav1 LabelSelector (`matchLabels` and `matchExpressions`) against labels."""
    if not selector:
        return True
    if not matches_selector(labels, selector.get("matchLabels") or {}):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        has = key in labels
        if (
            (op == "In" and (not has or labels[key] not in values))
            or (op == "NotIn" and has and labels[key] in values)
            or (op == "Exists" and not has)
            or (op == "DoesNotExist" and has)
        ):
            return False
    return True


# -- HTTP routing rules (Gateway API semantics, which cloud-provider-kind also uses for Ingress)


def _order(obj: Obj, rule: int, match: int) -> tuple[str, str, str, int, int]:
    return (str(meta(obj).get("creationTimestamp") or ""), ns_of(obj), name_of(obj), rule, match)


@dataclass
class L7Rule:
    """One match of an HTTPRoute rule (or of an Ingress path), with where it applies."""

    source: Obj
    """The HTTPRoute or Ingress it comes from."""
    hostnames: list[str]
    """Virtual-host domains it is served under (`*` = any host)."""
    match: dict[str, Any]
    backends: list[dict[str, Any]]
    filters: list[dict[str, Any]]
    where: str
    """Where in the source object it is written (`rules[0].matches[1]`)."""
    order: tuple[str, str, str, int, int]

    def _path(self) -> tuple[str, str]:
        path = self.match.get("path") or {}
        return str(path.get("type") or "PathPrefix"), str(path.get("value") or "/")

    def precedence(self) -> tuple[Any, ...]:
        """Sort key: Exact paths first, longer paths, more headers, more query params, then
        the oldest route."""
        ptype, value = self._path()
        return (
            0 if ptype == "Exact" else 1,
            -len(value),
            -len(self.match.get("headers") or []),
            -len(self.match.get("queryParams") or []),
            *self.order,
        )

    def matches(self, path: str, headers: Mapping[str, str], params: Mapping[str, str]) -> bool:
        """True when the request's path, headers, query and method fit this match."""
        ptype, value = self._path()
        if ptype == "Exact" and path != value:
            return False
        if ptype == "PathPrefix" and value != "/":
            stem = value.rstrip("/")
            if path != stem and not path.startswith(stem + "/"):
                return False
        if ptype == "RegularExpression" and not regex_full(value, path):
            return False
        method = self.match.get("method")
        if method and method != "GET":
            return False
        for item in self.match.get("headers") or []:
            got = header(headers, str(item.get("name")))
            if got is None or not _value_fits(item, got):
                return False
        for item in self.match.get("queryParams") or []:
            got = params.get(str(item.get("name")))
            if got is None or not _value_fits(item, got):
                return False
        return True

    def describe(self) -> str:
        """`Exact /api` plus header and query conditions."""
        ptype, value = self._path()
        shown = self.match.get("ingressPathType") or ptype
        extra = [f"{h.get('name')}: {h.get('value')}" for h in self.match.get("headers") or []]
        extra += [f"?{q.get('name')}={q.get('value')}" for q in self.match.get("queryParams") or []]
        hosts = ",".join(self.hostnames)
        return (
            f"{shown} {value}"
            + (f" [{'; '.join(extra)}]" if extra else "")
            + (f" (host {hosts})" if hosts != "*" else "")
        )


def _value_fits(item: Mapping[str, Any], got: str) -> bool:
    if (item.get("type") or "Exact") == "RegularExpression":
        return regex_full(str(item.get("value")), got)
    return got == str(item.get("value"))


def _hostnames_for(listener: Mapping[str, Any], route: Obj) -> list[str] | None:
    """The route's hostnames as served by this listener (intersection), None when none fit."""
    lh = listener.get("hostname")
    rhs = [str(h).lower() for h in spec(route).get("hostnames") or []]
    if not rhs:
        return [str(lh).lower()] if lh else ["*"]
    if not lh:
        return rhs
    lh = str(lh).lower()
    out = []
    for rh in rhs:
        if rh == lh or lh.startswith("*.") and rh.endswith(lh[1:]):
            out.append(rh)
        elif rh.startswith("*.") and lh.endswith(rh[1:]):
            out.append(lh)
    return out or None


def _pick_domain(host: str, domains: set[str]) -> str | None:
    """Envoy's virtual-host choice: exact name, else the longest `*.suffix` (any number of
    labels), else `*`."""
    if host in domains:
        return host
    wild = [
        d for d in domains if d.startswith("*.") and host.endswith(d[1:]) and len(host) > len(d) - 1
    ]
    if wild:
        return max(wild, key=len)
    return "*" if "*" in domains else None


def _apply_filters(headers: Mapping[str, str], filters: list[dict[str, Any]]) -> dict[str, str]:
    out = dict(headers)
    for item in filters:
        if item.get("type") != "RequestHeaderModifier":
            continue
        mod = item.get("requestHeaderModifier") or {}
        for h in mod.get("set") or []:
            for key in [k for k in out if k.lower() == str(h.get("name")).lower()]:
                del out[key]
            out[str(h.get("name"))] = str(h.get("value"))
        for h in mod.get("add") or []:
            existing = header(out, str(h.get("name")))
            out[str(h.get("name"))] = (
                f"{existing},{h.get('value')}" if existing else str(h.get("value"))
            )
        for name in mod.get("remove") or []:
            for key in [k for k in out if k.lower() == str(name).lower()]:
                del out[key]
    return out
