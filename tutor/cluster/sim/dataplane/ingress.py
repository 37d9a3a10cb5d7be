"""L7, Ingress: which Ingresses cloud-provider-kind serves, and their rules in matching order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutor.cluster.base import (
    Obj,
)
from tutor.cluster.sim.dataplane.l7rules import L7Rule, _order
from tutor.cluster.sim.dataplane.model import (
    DEFAULT_CLASS_ANNOTATION,
    INGRESS_CLASS,
    INGRESS_CONTROLLER,
)
from tutor.cluster.sim.dataplane.services import ServiceRouting
from tutor.cluster.sim.dns import (
    meta,
    name_of,
    ns_of,
    spec,
)


class IngressMatching(ServiceRouting):
    """Finds the Ingress rules that apply."""

    def ingress_handled(self, ing: Obj) -> tuple[bool, str]:
        """Whether cloud-provider-kind handles this Ingress, and why (or why not)."""
        cls = spec(ing).get("ingressClassName") or (meta(ing).get("annotations") or {}).get(
            "kubernetes.io/ingress.class"
        )
        if cls == INGRESS_CLASS and spec(ing).get("ingressClassName"):
            # isIngressForUs (cloud-provider-kind) matches the class *name*, object or not
            return True, f"class {cls}"
        if cls:
            obj = self.objects.get("IngressClass", str(cls))
            if obj is None:
                if cls == INGRESS_CLASS:
                    return True, f"class {cls}"
                return False, (
                    f"spec.ingressClassName is {cls!r} and no IngressClass of that "
                    "name exists: no controller picks the Ingress up, so it gets no "
                    "address and no rules are programmed"
                )
            controller = spec(obj).get("controller")
            if controller == INGRESS_CONTROLLER and not (
                spec(ing).get("ingressClassName") and cls != INGRESS_CLASS
            ):
                return True, f"class {cls} (controller {controller})"
            if controller == INGRESS_CONTROLLER:
                return False, (
                    f"class {cls!r} names {controller}, but cloud-provider-kind takes only "
                    f"Ingresses whose ingressClassName is {INGRESS_CLASS!r} (it compares the "
                    "name, not the class's controller): nobody programs this Ingress"
                )
            return False, (
                f"class {cls!r} names controller {controller!r}, which does not run "
                f"here (cloud-provider-kind is {INGRESS_CONTROLLER}): nobody "
                "programs this Ingress"
            )
        for obj in self.objects.all("IngressClass"):
            notes = meta(obj).get("annotations") or {}
            if notes.get(DEFAULT_CLASS_ANNOTATION) == "true":
                if spec(obj).get("controller") == INGRESS_CONTROLLER:
                    return True, f"no class set; {name_of(obj)} is the default class"
                return False, (
                    f"no class set; the default class {name_of(obj)} belongs to "
                    f"{spec(obj).get('controller')}, which does not run here"
                )
        return False, (
            "no ingressClassName and no default IngressClass: no controller picks the Ingress up"
        )

    def _ingress_rules(self, ing: Obj) -> list[L7Rule]:
        sp = spec(ing)
        out: list[L7Rule] = []
        default_paths: list[dict[str, Any]] = []
        for r_index, rule in enumerate(sp.get("rules") or []):
            paths = list((rule.get("http") or {}).get("paths") or [])
            host = rule.get("host") or ""
            if not host:
                default_paths.extend(paths)
                continue
            for p_index, path in enumerate(paths):
                out.append(
                    self._ingress_rule(ing, [host], path, f"rules[{r_index}].http.paths[{p_index}]")
                )
        if default_paths:
            for p_index, path in enumerate(default_paths):
                out.append(self._ingress_rule(ing, ["*"], path, f"(no host) paths[{p_index}]"))
        elif sp.get("defaultBackend"):
            backend = (sp["defaultBackend"] or {}).get("service") or {}
            out.append(
                L7Rule(
                    ing,
                    ["*"],
                    {},
                    [self._ingress_backend(ing, backend)],
                    [],
                    "spec.defaultBackend",
                    _order(ing, 99, 0),
                )
            )
        return out

    def _ingress_rule(
        self, ing: Obj, hosts: list[str], path: Mapping[str, Any], where: str
    ) -> L7Rule:
        ptype = path.get("pathType") or "Prefix"
        match = {
            "path": {
                "type": "Exact" if ptype == "Exact" else "PathPrefix",
                "value": path.get("path") or "/",
            },
            "ingressPathType": ptype,
        }
        backend = (path.get("backend") or {}).get("service") or {}
        return L7Rule(
            ing, hosts, match, [self._ingress_backend(ing, backend)], [], where, _order(ing, 0, 0)
        )

    def _ingress_backend(self, ing: Obj, backend: Mapping[str, Any]) -> dict[str, Any]:
        port = backend.get("port") or {}
        number = port.get("number")
        if not number and port.get("name"):
            svc = self.objects.get("Service", str(backend.get("name")), ns_of(ing))
            for sp in spec(svc).get("ports") or [] if svc else []:
                if sp.get("name") == port.get("name"):
                    number = sp.get("port")
        return {
            "name": backend.get("name"),
            "namespace": ns_of(ing),
            "port": number,
            "weight": 1,
            "portName": port.get("name"),
        }
