"""Workload admission: Deployments, ReplicaSets, StatefulSets, DaemonSets and Pods (with their Pod template)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tutor.cluster.sim.admission.allocations import Allocations
from tutor.cluster.sim.admission.common import (
    AdmissionBase,
    Obj,
    Problems,
    _check_dns_label,
    _check_label_selector,
    _check_labels,
    _check_port_number,
    _int,
    is_iana_svc_name,
    selector_matches,
)
from tutor.cluster.sim.store import deep_copy


class WorkloadAdmission(AdmissionBase):
    """Admits workloads and Pods."""

    def deployment(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Deployment defaults and validation."""
        spec = obj["spec"]
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxSurge", "25%")
            rolling.setdefault("maxUnavailable", "25%")
        elif strategy["type"] != "Recreate":
            problems.unsupported(
                "spec.strategy.type", strategy["type"], ["Recreate", "RollingUpdate"]
            )
        self._workload(obj, old, problems, restart_policies=("Always",))

    def replicaset(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """ReplicaSet defaults and validation."""
        obj["spec"].setdefault("replicas", 1)
        self._workload(obj, old, problems, restart_policies=("Always",))

    def statefulset(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """StatefulSet defaults and validation (most of its spec cannot change)."""
        spec = obj["spec"]
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault(
            "updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        )
        if spec["podManagementPolicy"] not in ("OrderedReady", "Parallel"):
            problems.unsupported(
                "spec.podManagementPolicy",
                spec["podManagementPolicy"],
                ["OrderedReady", "Parallel"],
            )
        if spec.get("serviceName"):
            _check_dns_label(problems, "spec.serviceName", spec["serviceName"])
        self._workload(obj, old, problems, restart_policies=("Always",))
        if old is not None:
            mutable = {
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            }
            old_spec = old.get("spec") or {}
            changed = {
                k
                for k in set(spec) | set(old_spec)
                if k not in mutable and spec.get(k) != old_spec.get(k)
            }
            if changed:
                problems.forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                    "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                    "'minReadySeconds' are forbidden",
                )

    def daemonset(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """DaemonSet defaults (apps/v1 `SetDefaults_DaemonSet`) and validation."""
        spec = obj["spec"]
        spec.setdefault("revisionHistoryLimit", 10)
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
        elif strategy["type"] != "OnDelete":
            problems.unsupported(
                "spec.updateStrategy.type", strategy["type"], ["OnDelete", "RollingUpdate"]
            )
        self._workload(obj, old, problems, restart_policies=("Always",), replicas=False)

    def _workload(
        self,
        obj: Obj,
        old: Obj | None,
        problems: Problems,
        *,
        restart_policies: Sequence[str],
        replicas: bool = True,
    ) -> None:
        spec = obj["spec"]
        count = spec.get("replicas")
        if replicas and (_int(count) is None or count < 0):
            problems.invalid("spec.replicas", count, "must be greater than or equal to 0")
        selector = spec.get("selector")
        template = spec.get("template")
        if not isinstance(template, dict):
            problems.required("spec.template")
            return
        tmeta = template.setdefault("metadata", {})
        labels = tmeta.get("labels") or {}
        _check_labels(problems, "spec.template.metadata.labels", labels)
        if selector is None:
            problems.required("spec.selector")
        else:
            _check_label_selector(problems, "spec.selector", selector)
            if not selector.get("matchLabels") and not selector.get("matchExpressions"):
                problems.invalid(
                    "spec.selector",
                    selector,
                    f"empty selector is invalid for {obj['kind'].lower()}",
                )
            elif not selector_matches(selector, labels):
                problems.invalid(
                    "spec.template.metadata.labels",
                    labels,
                    "`selector` does not match template `labels`",
                )
            if old is not None:
                old_selector = (old.get("spec") or {}).get("selector")
                if old_selector is not None and old_selector != selector:
                    problems.invalid("spec.selector", selector, "field is immutable")
        pod_spec = template.setdefault("spec", {})
        _pod_spec(problems, "spec.template.spec", pod_spec, restart_policies)

    def pod(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Pod defaults and validation; a Pod's spec barely changes after creation."""
        spec = obj["spec"]
        _pod_spec(problems, "spec", spec, ("Always", "OnFailure", "Never"))
        for f in ("hostname", "subdomain"):
            if spec.get(f):
                _check_dns_label(problems, f"spec.{f}", spec[f])
        if old is not None:
            old_spec = old.get("spec") or {}
            # the scheduler owns nodeName once it has bound the Pod
            if "nodeName" not in spec and "nodeName" in old_spec:
                spec["nodeName"] = old_spec["nodeName"]
            new_spec = spec

            def strip(s: Obj) -> Obj:
                s = deep_copy(s)
                for c in s.get("containers") or []:
                    c.pop("image", None)
                for c in s.get("initContainers") or []:
                    c.pop("image", None)
                for k in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
                    s.pop(k, None)
                return s

            if strip(old_spec) != strip(new_spec):
                problems.forbidden(
                    "spec",
                    "pod updates may not change fields other than `spec.containers[*].image`,"
                    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                    "`spec.tolerations` (only additions to existing tolerations),"
                    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                    "previously negative)",
                )


def _pod_spec(problems: Problems, path: str, spec: Any, restart_policies: Sequence[str]) -> None:
    if not isinstance(spec, dict):
        problems.invalid(path, spec, "must be an object")
        return
    containers = spec.get("containers")
    if not containers:
        problems.required(f"{path}.containers")
        return
    spec.setdefault("restartPolicy", "Always")
    if spec["restartPolicy"] not in restart_policies:
        problems.unsupported(f"{path}.restartPolicy", spec["restartPolicy"], restart_policies)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    # SetDefaults_PodSpec (pkg/apis/core/v1/defaults.go): an empty securityContext, which
    # kubectl debug reads without a nil check (pkg/cmd/debug/debug.go, displayWarning)
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    names: set[str] = set()
    port_names: set[str] = set()
    for i, container in enumerate(containers):
        cpath = f"{path}.containers[{i}]"
        if not isinstance(container, dict):
            problems.invalid(cpath, container, "must be an object")
            continue
        cname = container.get("name")
        if not cname:
            problems.required(f"{cpath}.name")
        else:
            _check_dns_label(problems, f"{cpath}.name", cname)
            if cname in names:
                problems.duplicate(f"{cpath}.name", cname)
            names.add(cname)
        if not container.get("image"):
            problems.required(f"{cpath}.image")
        for j, port in enumerate(container.get("ports") or []):
            ppath = f"{cpath}.ports[{j}]"
            port.setdefault("protocol", "TCP")
            _check_port_number(problems, f"{ppath}.containerPort", port.get("containerPort"))
            pname = port.get("name")
            if pname:
                if not is_iana_svc_name(pname):
                    problems.invalid(
                        f"{ppath}.name",
                        pname,
                        "must be no more than 15 characters, contain only lowercase letters, "
                        "digits and '-', at least one letter, and not start, end or repeat '-'",
                    )
                if pname in port_names:
                    problems.duplicate(f"{ppath}.name", pname)
                port_names.add(pname)
        for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = container.get(probe_name)
            if probe is None:
                continue
            ppath = f"{cpath}.{probe_name}"
            handlers = [h for h in ("httpGet", "tcpSocket", "exec", "grpc") if probe.get(h)]
            if len(handlers) != 1:
                problems.required(ppath, "must specify a handler type")
                continue
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            handler = probe[handlers[0]]
            if handlers[0] == "httpGet":
                handler.setdefault("path", "/")
                handler.setdefault("scheme", "HTTP")
            if handlers[0] in ("httpGet", "tcpSocket", "grpc"):
                port = handler.get("port")
                if isinstance(port, str) and not port.isdigit():
                    if not is_iana_svc_name(port):
                        problems.invalid(f"{ppath}.{handlers[0]}.port", port, "must be a port name")
                else:
                    _check_port_number(
                        problems,
                        f"{ppath}.{handlers[0]}.port",
                        int(port) if isinstance(port, str) else port,
                    )
