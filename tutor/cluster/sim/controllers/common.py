"""Names, labels and helpers the controllers share: owner references, conditions, hashes."""

from __future__ import annotations

import json
from typing import Any

from tutor.cluster.sim.admission import stable_hash

Obj = dict[str, Any]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
TOPOLOGY_MODE_ANNOTATION = "service.kubernetes.io/topology-mode"
MAX_ENDPOINTS_PER_SLICE = 100
POD_TEMPLATE_HASH = "pod-template-hash"
CONTROLLER_MANAGER = "kube-controller-manager"

INGRESS_CLASS = "cloud-provider-kind"
INGRESS_CONTROLLER = "kind.sigs.k8s.io/ingress-controller"
GATEWAY_CLASS = "cloud-provider-kind"
GATEWAY_CONTROLLER = "kind.sigs.k8s.io/gateway-controller"

_SAFE = "bcdfghjklmnpqrstvwxz2456789"
"""The alphabet Kubernetes uses for generated names (no vowels, no look-alikes)."""


def safe_encode(text: str) -> str:
    """Kubernetes' `rand.SafeEncodeString`: each byte mapped into the safe alphabet."""
    return "".join(_SAFE[b % len(_SAFE)] for b in text.encode())


def template_hash(template: Obj) -> str:
    """The `pod-template-hash` of a Pod template (a 32-bit hash of its canonical JSON, encoded
    the way the Deployment controller encodes its FNV hash)."""
    digest = stable_hash(json.dumps(template, sort_keys=True, separators=(",", ":")))
    return safe_encode(str(digest))


def name_suffix(seed: str, length: int = 5) -> str:
    """A deterministic stand-in for the random suffix of `generateName`."""
    value = stable_hash(seed)
    chars = []
    for _ in range(length):
        value, digit = divmod(value, len(_SAFE))
        chars.append(_SAFE[digit])
        if value == 0:
            value = stable_hash(seed + "".join(chars))
    return "".join(chars)


def _meta(obj: Obj) -> Obj:
    meta: Obj = obj["metadata"]
    return meta


def _controller_ref(obj: Obj) -> Obj | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


def _owner_ref(owner: Obj) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _condition(kind: str, status: bool | str, reason: str, message: str, when: str) -> Obj:
    value = status if isinstance(status, str) else ("True" if status else "False")
    return {
        "type": kind,
        "status": value,
        "reason": reason,
        "message": message,
        "lastTransitionTime": when,
    }


def _keep_transition_times(new: list[Obj], old: list[Obj] | None) -> list[Obj]:
    """Keep `lastTransitionTime` of conditions whose status did not change."""
    previous = {c.get("type"): c for c in old or ()}
    for cond in new:
        before = previous.get(cond["type"])
        if before is not None and before.get("status") == cond["status"]:
            cond["lastTransitionTime"] = before.get(
                "lastTransitionTime", cond["lastTransitionTime"]
            )
    return new


def deep_selector(selector: Obj) -> Obj:
    """A copy of a label selector safe to extend."""
    return {
        "matchLabels": dict(selector.get("matchLabels") or {}),
        **(
            {"matchExpressions": [dict(e) for e in selector["matchExpressions"]]}
            if selector.get("matchExpressions")
            else {}
        ),
    }


def _percent(value: Any, total: int, *, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        fraction = int(text[:-1]) * total
        return -(-fraction // 100) if round_up else fraction // 100
    return int(text) if text.isdigit() else 0
