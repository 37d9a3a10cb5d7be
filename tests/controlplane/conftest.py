"""Session fixtures of the control plane tier: one real control plane for the whole run.

The tier is deselected from the default run (`-m "not controlplane"` in pyproject's addopts)
and run by `.ci/run` as `python -m pytest -m controlplane` after `build.sh`. Without the
binaries every test skips with the reason (no Go, no network, not built yet).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.controlplane.kubelet import FakeKubelet
from tests.controlplane.plane import CONTEXT, LEARNER_CONTEXT, ControlPlane, find_binaries
from tutor.cluster.guard import Target, resolve_target
from tutor.cluster.kube import KubeCluster

PREFIX = "cp"
"""The learner prefix of the admin's context: lab namespaces are `cp-kt-<lab>`."""
PLANE: dict[str, Any] = {}
"""The session's running control plane, for module-level helpers (`PLANE["plane"]`)."""


def _bootstrap_objects() -> list[dict[str, Any]]:
    """What the simulator's fresh cluster has beside the API server's own objects (CoreDNS's
    Service and Deployment, cloud-provider-kind's IngressClass and GatewayClass), taken from a
    fresh `SimCluster` so the two start alike."""
    from tutor.cluster.sim.cluster import SimCluster

    sim = SimCluster()
    wanted = [
        ("Service", "kube-dns", "kube-system"),
        ("Deployment", "coredns", "kube-system"),
        ("IngressClass", "nginx", None),
        ("GatewayClass", "cloud-provider-kind", None),
    ]
    found = []
    for kind, name, namespace in wanted:
        obj = sim.get(kind, name, namespace)
        if obj is None:
            matches = sim.list(kind)
            obj = matches[0] if matches else None
        if obj is None:
            continue
        meta = obj["metadata"]
        obj["metadata"] = {
            k: meta[k] for k in ("name", "namespace", "labels", "annotations") if k in meta
        }
        obj.pop("status", None)
        found.append(obj)
    return found


def gateway_crds() -> list[dict[str, Any]]:
    """The Gateway API CRDs beside the project (`../shared/schemas`), or none."""
    from tutor.content.lint import gateway_schema_dir

    folder = gateway_schema_dir()
    if folder is None:
        return []
    crds = []
    for path in sorted(folder.glob("crd_*.yaml")):
        crds += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return crds


def _apply_as_admin(plane: ControlPlane, obj: dict[str, Any]) -> None:
    from tutor.cluster.kube import RESOURCES, Resource

    kind = obj["kind"]
    if kind == "CustomResourceDefinition":
        resource = Resource(kind, "apiextensions.k8s.io", "v1", "customresourcedefinitions", False)
    else:
        resource = RESOURCES[kind]
    meta = obj["metadata"]
    path = resource.path(meta.get("namespace"), meta["name"])
    code, body = plane.request(
        "PATCH",
        f"{path}?fieldManager=controlplane-bootstrap&force=true",
        obj,
        content_type="application/apply-patch+yaml",
    )
    if code not in (200, 201):
        raise RuntimeError(f"bootstrap {kind} {meta['name']}: {code} {body}")


def _wait_served(plane: ControlPlane, path: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if plane.request("GET", path)[0] == 200:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """etcd, kube-apiserver, controller-manager, scheduler and the fake kubelet, with kind's
    four Nodes, CoreDNS's Service and Deployment, the IngressClass and (when the CRDs are
    beside the project) the Gateway API with its GatewayClass."""
    binaries, why = find_binaries()
    if binaries is None:
        pytest.skip(why)
    plane = ControlPlane(binaries, tmp_path_factory.mktemp("controlplane"))
    kubelet: FakeKubelet | None = None
    try:
        plane.start(timeout=90.0)  # the 30 s budget is asserted by a test, not enforced here
        kubelet = FakeKubelet(plane).start()
        crds = gateway_crds()
        for crd in crds:
            _apply_as_admin(plane, crd)
        if crds and not _wait_served(plane, "/apis/gateway.networking.k8s.io/v1", 30):
            raise RuntimeError("the Gateway API CRDs were not served within 30 s")
        for obj in _bootstrap_objects():
            if obj["kind"] == "GatewayClass" and not crds:
                continue
            _apply_as_admin(plane, obj)
        plane.kubelet = kubelet
        plane.gateway_api = bool(crds)
        PLANE["plane"] = plane
        yield plane
    finally:
        if kubelet is not None:
            kubelet.stop()
        plane.stop()


def target_for(kubeconfig: Path, context: str, prefix: str = PREFIX) -> Target:
    """The guard's `Target` for a context of our own kubeconfig (context mode)."""
    return resolve_target(
        "context", context, namespace_prefix=prefix, env={"KUBECONFIG": str(kubeconfig)}
    )


@pytest.fixture(scope="session")
def kube(control_plane: ControlPlane) -> KubeCluster:
    """The kube backend on the control plane, as the admin (namespaces `cp-...`)."""
    return KubeCluster(target_for(control_plane.kubeconfig, CONTEXT), request_timeout=20)


@pytest.fixture(scope="session")
def learner_kube(control_plane: ControlPlane) -> KubeCluster:
    """The kube backend as `alice`, who has no rights until a test gives her a Role."""
    target = target_for(control_plane.kubeconfig, LEARNER_CONTEXT, prefix="alice")
    return KubeCluster(target, request_timeout=20)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The differential suite's figures: cases compared, differences allowed by reason."""
    import sys

    differential = sys.modules.get("tests.controlplane.test_differential")
    if differential is None or not differential.SUMMARY["cases"]:
        return
    summary = differential.SUMMARY
    write = terminalreporter.write_line
    write(
        f"controlplane differential: {summary['cases']} manifest cases "
        f"({summary['objects']} objects/views compared), "
        f"{summary.get('admission', 0)} admission cases"
    )
    by_reason: dict[str, int] = {}
    for entry in differential.ALLOW.entries:
        if entry.section == "lab_verdicts":
            continue
        label = f"[{entry.section}] {' '.join(entry.reason.split())[:110]}"
        by_reason[label] = by_reason.get(label, 0) + entry.used
    for label, count in sorted(by_reason.items(), key=lambda item: -item[1]):
        write(f"  {count:5d} allowed  {label}")
    for kind, count in sorted(summary["skipped"].items()):
        write(f"  {count:5d} skipped  {kind}")
