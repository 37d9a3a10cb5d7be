"""The Ingress controller of cloud-provider-kind: which Ingresses it serves, and their status."""

from __future__ import annotations

from tutor.cluster.sim.controllers.common import INGRESS_CLASS, INGRESS_CONTROLLER, Obj
from tutor.cluster.sim.controllers.loadbalancer import LoadBalancerControl
from tutor.cluster.sim.ingress_gateway import GATEWAY_NAME as INGRESS_GATEWAY
from tutor.cluster.sim.ingress_gateway import sync as sync_ingress_gateway


class IngressControl(LoadBalancerControl):
    """Reconciles Ingresses."""

    # -- Ingress -----------------------------------------------------------------------------

    def _ingress_handled(self, ingress: Obj) -> bool:
        class_name = ingress["spec"].get("ingressClassName")
        if class_name:
            # cloud-provider-kind ingress/controller.go isIngressForUs compares the name only:
            # deleting the IngressClass object takes nothing offline
            return bool(class_name == INGRESS_CLASS)
        if not class_name:
            annotation = (ingress["metadata"].get("annotations") or {}).get(
                "kubernetes.io/ingress.class"
            )
            class_name = annotation
            if not class_name:
                defaults = [
                    c
                    for c in self.store.list("IngressClass")
                    if (c["metadata"].get("annotations") or {}).get(
                        "ingressclass.kubernetes.io/is-default-class"
                    )
                    == "true"
                ]
                return len(defaults) == 1 and defaults[0]["spec"].get("controller") == (
                    INGRESS_CONTROLLER
                )
        ingress_class = self.store.get("IngressClass", "", class_name)
        return ingress_class is not None and (
            ingress_class["spec"].get("controller") == INGRESS_CONTROLLER
        )

    def _reconcile_ingresses(self, ns: str) -> None:
        ingresses = self.store.list("Ingress", ns)
        handled = [i for i in ingresses if self._ingress_handled(i)]
        # the Ingresses share the address of the namespace's Gateway (ingress_gateway.py)
        key = ("Gateway", ns, INGRESS_GATEWAY)
        sync_ingress_gateway(self.store, ns, handled)
        if handled:
            ip = self.lb_ips.get(key)
            if ip is None:
                ip = self.lb_pool.allocate()
                if ip is not None:
                    self.lb_ips[key] = ip
        else:
            self.release_lb(key)
            ip = None
        for ingress in ingresses:
            if ingress in handled and ip is not None:
                status: Obj = {"loadBalancer": {"ingress": [{"ip": ip}]}}
            else:
                status = {"loadBalancer": {}}
            if ingress.get("status") != status:
                self.store.put({**ingress, "status": status})
