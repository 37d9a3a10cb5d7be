"""The simulator's control plane: scheduler, kubelet, workload, EndpointSlice, LoadBalancer,
Ingress and Gateway controllers.

`Controllers.run()` drains the store's change log and reconciles until nothing changes, so the
simulated cluster converges synchronously after every write. Work is incremental: only objects
touched by a change (and the Services whose selectors match a touched Pod) are reconciled, with
indexes by owner and by label.
"""

from __future__ import annotations

from tutor.cluster.sim.controllers.common import (
    CONTROLLER_MANAGER,
    GATEWAY_CLASS,
    GATEWAY_CONTROLLER,
    HEADLESS_LABEL,
    INGRESS_CLASS,
    INGRESS_CONTROLLER,
    MANAGED_BY_LABEL,
    MAX_ENDPOINTS_PER_SLICE,
    POD_TEMPLATE_HASH,
    SERVICE_NAME_LABEL,
    SLICE_CONTROLLER,
    TOPOLOGY_MODE_ANNOTATION,
    Obj,
    _controller_ref,
    _owner_ref,
    deep_selector,
    name_suffix,
    safe_encode,
    template_hash,
)
from tutor.cluster.sim.controllers.kubelet import (
    ContainerVerdict,
    ProbeOutcome,
    _pod_active,
    evaluate_containers,
    is_pod_ready,
    run_probe,
)
from tutor.cluster.sim.controllers.manager import Controllers

__all__ = [
    "CONTROLLER_MANAGER",
    "ContainerVerdict",
    "Controllers",
    "GATEWAY_CLASS",
    "GATEWAY_CONTROLLER",
    "HEADLESS_LABEL",
    "INGRESS_CLASS",
    "INGRESS_CONTROLLER",
    "MANAGED_BY_LABEL",
    "MAX_ENDPOINTS_PER_SLICE",
    "Obj",
    "POD_TEMPLATE_HASH",
    "ProbeOutcome",
    "SERVICE_NAME_LABEL",
    "SLICE_CONTROLLER",
    "TOPOLOGY_MODE_ANNOTATION",
    "_controller_ref",
    "_owner_ref",
    "_pod_active",
    "deep_selector",
    "evaluate_containers",
    "is_pod_ready",
    "name_suffix",
    "run_probe",
    "safe_encode",
    "template_hash",
]
