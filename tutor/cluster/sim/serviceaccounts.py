"""The ServiceAccount controller: every namespace has a `default` ServiceAccount.

After k8s.io/kubernetes v1.37.2 `pkg/controller/serviceaccount/serviceaccounts_controller.go`
(`syncNamespace`): kube-controller-manager creates the ServiceAccounts it is configured with
(`default`) in every active namespace, and creates it again when it is deleted. Since 1.24 no
token Secret is made for it (`secrets` stays empty).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.cluster.sim.controllers import Controllers
    from tutor.cluster.sim.store import Change

Obj = dict[str, Any]

DEFAULT = "default"


def namespace_of(change: Change) -> str | None:
    """The namespace whose ServiceAccounts a write concerns, if any."""
    if change.kind == "Namespace":
        return change.name
    if change.kind == "ServiceAccount" and change.name == DEFAULT:
        return change.namespace
    return None


def ensure_default(ctrl: Controllers, namespace: str) -> None:
    """Create `default` in an active namespace that lacks it."""
    from tutor.cluster.sim.controllers import CONTROLLER_MANAGER

    ns = ctrl.store.get("Namespace", "", namespace)
    if ns is None or (ns.get("status") or {}).get("phase") == "Terminating":
        return
    if ctrl.store.get("ServiceAccount", namespace, DEFAULT) is not None:
        return
    ctrl.store.put(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": DEFAULT,
                "namespace": namespace,
                "managedFields": [{"manager": CONTROLLER_MANAGER, "operation": "Update"}],
            },
        }
    )
