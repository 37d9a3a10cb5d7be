"""Diagnosers for NetworkPolicy misconceptions (the rules as `tutor.cluster.sim.netpol` models
kindnet's): found from the objects alone, so they work on kind and on the simulator."""

from __future__ import annotations

from typing import Any

from tutor.checks.context import CheckContext
from tutor.checks.diagnosers import services_in_question
from tutor.checks.registry import diagnoser
from tutor.checks.verdict import Diagnosis
from tutor.cluster.base import Obj
from tutor.cluster.sim.netpol import INGRESS, label_selector_matches, policy_types, ports_match


def _name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", "?"))


def _target_numbers(pod: Obj, port: dict[str, Any]) -> int | None:
    """The Pod port a Service port sends to (a named targetPort looked up in the Pod)."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for container in pod.get("spec", {}).get("containers") or []:
        for cp in container.get("ports") or []:
            if cp.get("name") == target:
                return int(cp.get("containerPort") or 0)
    return None


@diagnoser("policy-service-port")
def policy_service_port(ctx: CheckContext, params: dict[str, Any]) -> Diagnosis | None:
    """An ingress rule on the Service's Pods allows the Service's port but not the Pod port it
    is translated to. Policies are judged after kube-proxy's DNAT (kube-network-policies
    `pkg/dataplane/controller.go`: POSTROUTING, before SNAT), so only the Pod port counts."""
    for service in services_in_question(ctx, params):
        namespace = service.get("metadata", {}).get("namespace")
        pods = ctx.pods_for(service)
        policies = ctx.list("NetworkPolicy", namespace)
        for port in service.get("spec", {}).get("ports") or []:
            svc_port = int(port.get("port") or 0)
            protocol = str(port.get("protocol") or "TCP")
            for pod in pods:
                target = _target_numbers(pod, port)
                if target is None or target == svc_port:
                    continue
                labels = pod.get("metadata", {}).get("labels") or {}
                for policy in policies:
                    spec = policy.get("spec") or {}
                    if INGRESS not in policy_types(policy) or not label_selector_matches(
                        spec.get("podSelector"), labels
                    ):
                        continue
                    for i, rule in enumerate(spec.get("ingress") or []):
                        entries = rule.get("ports")
                        if not entries or ports_match(entries, pod, target, protocol):
                            continue
                        if not ports_match(entries, pod, svc_port, protocol):
                            continue
                        return Diagnosis(
                            "policy-service-port",
                            "NetworkPolicy -> Pod",
                            f"NetworkPolicy {_name(policy)} allows port {svc_port}, the port of "
                            f"Service {_name(service)}, but the packet reaches Pod "
                            f"{_name(pod)} on port {target} after the Service's DNAT: the rule "
                            f"never matches and the connection is dropped (a timeout). Allow "
                            f"port {target} (or the container port's name).",
                            (
                                f"Service {_name(service)} spec.ports: port {svc_port} -> "
                                f"targetPort {port.get('targetPort', svc_port)}",
                                f"NetworkPolicy {_name(policy)} spec.ingress[{i}].ports: "
                                + ", ".join(str(e.get("port")) for e in entries),
                            ),
                            "16-networkpolicy-and-services",
                        )
    return None
