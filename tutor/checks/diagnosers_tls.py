"""Diagnosers for TLS termination: an Ingress's certificate Secret that is not usable where
the controller looks, and a Gateway listener's certificate reference into another namespace
that no ReferenceGrant allows (facts in `tutor.cluster.sim.tls`)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tutor.checks.context import CheckContext
from tutor.checks.registry import diagnoser
from tutor.checks.verdict import Diagnosis
from tutor.cluster.base import Obj

LESSON = "18-tls-termination"
GATEWAY_GROUP = "gateway.networking.k8s.io"


def _lab_namespaces(ctx: CheckContext) -> list[str]:
    return sorted({ctx.namespace, *ctx.namespaces.values()})


def _has_pem(secret: Obj, key: str) -> bool:
    value = (secret.get("data") or {}).get(key)
    if value is None:
        return False
    try:
        return b"-----BEGIN " in base64.b64decode(str(value))
    except (binascii.Error, ValueError):
        return False


@diagnoser("ingress-tls-secret")
def ingress_tls_secret(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """An Ingress `tls[].secretName` that is missing from the Ingress's namespace (perhaps
    present in another one), or a Secret there without PEM `tls.crt` and `tls.key`."""
    spaces = _lab_namespaces(ctx)
    for ns in spaces:
        for ingress in ctx.list("Ingress", ns):
            name = ingress["metadata"]["name"]
            for entry in (ingress.get("spec") or {}).get("tls") or []:
                secret_name = entry.get("secretName")
                if not secret_name:
                    continue
                secret = ctx.get("Secret", secret_name, ns)
                if secret is None:
                    elsewhere = [
                        other
                        for other in spaces
                        if other != ns and ctx.get("Secret", secret_name, other) is not None
                    ]
                    where = (
                        f" It exists in {', '.join(elsewhere)}, but an Ingress has no way to "
                        "name another namespace: put a copy beside the Ingress."
                        if elsewhere
                        else ""
                    )
                    return Diagnosis(
                        "ingress-tls-secret",
                        "client -> Ingress TLS listener (443)",
                        f"Ingress {name} names Secret {secret_name} in tls[].secretName, and "
                        f"there is no Secret {secret_name} in {ns}, where the controller looks. "
                        "On kind its https listener is not programmed and port 443 refuses "
                        f"connections.{where}",
                        (f"Ingress {ns}/{name} spec.tls[].secretName: {secret_name}",),
                        LESSON,
                    )
                missing = [k for k in ("tls.crt", "tls.key") if not _has_pem(secret, k)]
                if missing:
                    keys = ", ".join(sorted((secret.get("data") or {}).keys())) or "(none)"
                    return Diagnosis(
                        "ingress-tls-secret",
                        "client -> Ingress TLS listener (443)",
                        f"Secret {ns}/{secret_name} (type {secret.get('type', 'Opaque')}) has no "
                        f"PEM {' or '.join(missing)}: the controller reads exactly the keys "
                        "tls.crt and tls.key (a `kubernetes.io/tls` Secret, as `kubectl create "
                        "secret tls` makes), so the listener reports InvalidCertificateRef.",
                        (f"Secret {ns}/{secret_name} data keys: {keys}",),
                        LESSON,
                    )
    return None


def _grant_allows(ctx: CheckContext, secret_ns: str, gateway_ns: str, name: str) -> bool:
    for grant in ctx.list("ReferenceGrant", secret_ns):
        spec = grant.get("spec") or {}
        from_ok = any(
            f.get("group") == GATEWAY_GROUP
            and f.get("kind") == "Gateway"
            and f.get("namespace") == gateway_ns
            for f in spec.get("from") or []
        )
        to_ok = any(
            (t.get("group") or "") == ""
            and t.get("kind") == "Secret"
            and t.get("name", name) == name
            for t in spec.get("to") or []
        )
        if from_ok and to_ok:
            return True
    return False


@diagnoser("certificate-ref-not-permitted")
def certificate_ref_not_permitted(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """A Gateway listener's certificateRef into another namespace with no ReferenceGrant there
    that allows Gateways from the Gateway's namespace (ResolvedRefs: RefNotPermitted)."""
    for ns in _lab_namespaces(ctx):
        for gateway in ctx.list("Gateway", ns):
            gw_name = gateway["metadata"]["name"]
            for listener in (gateway.get("spec") or {}).get("listeners") or []:
                refs = (listener.get("tls") or {}).get("certificateRefs") or []
                for ref in refs:
                    secret_ns = ref.get("namespace") or ns
                    name = str(ref.get("name"))
                    if secret_ns == ns or _grant_allows(ctx, secret_ns, ns, name):
                        continue
                    grants = [g["metadata"]["name"] for g in ctx.list("ReferenceGrant", secret_ns)]
                    seen = (
                        f" The ReferenceGrant(s) there ({', '.join(grants)}) do not name "
                        f"`from: kind Gateway, namespace {ns}` with `to: kind Secret`."
                        if grants
                        else ""
                    )
                    return Diagnosis(
                        "certificate-ref-not-permitted",
                        "Gateway listener -> certificate Secret",
                        f"Listener {listener.get('name')} of Gateway {gw_name} uses Secret "
                        f"{secret_ns}/{name}; a reference into another namespace needs a "
                        f"ReferenceGrant in {secret_ns} that allows Gateways from {ns} "
                        f"(ResolvedRefs: RefNotPermitted).{seen}",
                        (
                            f"Gateway {ns}/{gw_name} listener {listener.get('name')} certificateRefs: "
                            f"{name} namespace={secret_ns}",
                        ),  # fmt: skip
                        LESSON,
                    )
    return None
