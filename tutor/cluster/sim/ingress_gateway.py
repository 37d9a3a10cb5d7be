"""The Gateway cloud-provider-kind makes for each namespace's Ingresses (`kind-ingress-gateway`).

kubernetes-sigs/cloud-provider-kind v0.11.1 pkg/ingress/controller.go
`reconcileNamespaceGateway`: one Gateway per namespace with managed Ingresses, class
`cloud-provider-kind`, a listener `http` on 80 and, when any Ingress there has a
`tls[].secretName`, a listener `https` on 443 (protocol HTTPS, mode Terminate, no hostname)
whose certificateRefs are the namespace's secret names, sorted; both take Routes from the same
namespace only. The Ingresses' status gets the Gateway's address. (The per-host HTTPRoutes it
also writes are not modelled as objects: the data plane routes Ingress rules directly.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

Obj = dict[str, Any]

GATEWAY_NAME = "kind-ingress-gateway"
GATEWAY_CLASS = "cloud-provider-kind"


def namespace_gateway(ns: str, ingresses: Sequence[Obj]) -> Obj:
    """The Gateway cloud-provider-kind wants for these (managed) Ingresses of `ns`."""
    same = {"namespaces": {"from": "Same"}}
    listeners: list[Obj] = [{"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": same}]
    secrets = sorted(
        {
            str(entry["secretName"])
            for ingress in ingresses
            for entry in (ingress.get("spec") or {}).get("tls") or []
            if entry.get("secretName")
        }
    )
    if secrets:
        listeners.append(
            {
                "name": "https",
                "port": 443,
                "protocol": "HTTPS",
                "allowedRoutes": same,
                "tls": {
                    "mode": "Terminate",
                    "certificateRefs": [
                        {"group": "", "kind": "Secret", "name": n} for n in secrets
                    ],
                },
            }
        )
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": GATEWAY_NAME, "namespace": ns},
        "spec": {"gatewayClassName": GATEWAY_CLASS, "listeners": listeners},
    }


class _Store(Protocol):
    def get(self, kind: str, namespace: str, name: str) -> Obj | None: ...
    def put(self, obj: Obj) -> Obj: ...
    def delete(self, kind: str, namespace: str, name: str) -> Obj | None: ...


def sync(store: _Store, ns: str, handled: Sequence[Obj]) -> None:
    """Create, update or delete the namespace's Ingress Gateway (its status is the Gateway
    controller's to write)."""
    current = store.get("Gateway", ns, GATEWAY_NAME)
    if not handled:
        if current is not None:
            store.delete("Gateway", ns, GATEWAY_NAME)
        return
    wanted = namespace_gateway(ns, handled)
    if current is None:
        store.put({**wanted, "metadata": {**wanted["metadata"], "generation": 1}})
    elif current.get("spec") != wanted["spec"]:
        meta = dict(current["metadata"])
        meta["generation"] = int(meta.get("generation") or 1) + 1
        store.put({**current, "metadata": meta, "spec": wanted["spec"]})


__all__: Sequence[str] = ("GATEWAY_NAME", "namespace_gateway", "sync")
