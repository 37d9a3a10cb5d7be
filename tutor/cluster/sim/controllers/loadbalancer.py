"""Service addresses: IPAddress objects for ClusterIPs, and LoadBalancer IPs as cloud-provider-kind assigns them."""

from __future__ import annotations

from tutor.cluster.sim.controllers.events import EventRecording
from tutor.cluster.sim.kindnetwork import lb_address, lb_ingress
from tutor.cluster.sim.store import Change


class LoadBalancerControl(EventRecording):
    """Keeps IPAddress objects and LoadBalancer addresses."""

    # -- Services: LoadBalancer and IPAddress ------------------------------------------------

    def _ip_address_objects(self, change: Change) -> None:
        old_ip = ((change.old or {}).get("spec") or {}).get("clusterIP")
        new_ip = ((change.new or {}).get("spec") or {}).get("clusterIP")
        if old_ip == new_ip:
            return
        if old_ip and old_ip != "None":
            self.store.delete("IPAddress", "", old_ip)
        if new_ip and new_ip != "None" and change.new is not None:
            self.store.put(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "IPAddress",
                    "metadata": {
                        "name": new_ip,
                        "labels": {
                            "ipaddress.kubernetes.io/ip-family": "IPv4",
                            "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
                        },
                        "managedFields": [{"manager": "kube-apiserver", "operation": "Update"}],
                    },
                    "spec": {
                        "parentRef": {
                            "group": "",
                            "resource": "services",
                            "namespace": change.namespace,
                            "name": change.name,
                        }
                    },
                }
            )

    def _reconcile_load_balancer(self, ns: str, name: str) -> None:
        svc = self.store.get("Service", ns, name)
        key = ("Service", ns, name)
        wants = (
            svc is not None
            and svc["spec"].get("type") == "LoadBalancer"
            and not svc["spec"].get("loadBalancerClass")
        )
        if not wants:
            ip = self.lb_ips.pop(key, None)
            if ip is not None:
                self.lb_pool.release(ip)
            if svc is not None and (svc.get("status") or {}).get("loadBalancer"):
                self.store.put({**svc, "status": {"loadBalancer": {}}})
            return
        assert svc is not None
        ip = self.lb_ips.get(key)
        wanted = svc["spec"].get("loadBalancerIP") or None
        if ip is not None and wanted is not None and ip != wanted:
            # a new --ip means a new container (cloud-provider-kind recreates it)
            self.release_lb(key)
            ip = None
        if ip is None:
            self.event(
                svc,
                "Normal",
                "EnsuringLoadBalancer",
                "Ensuring load balancer",
                "service-controller",
            )
            ip, problem = lb_address(self.lb_pool, wanted)
            if ip is None:
                self.event(svc, "Warning", "SyncLoadBalancerFailed", problem, "service-controller")
                if (svc.get("status") or {}).get("loadBalancer"):
                    self.store.put({**svc, "status": {"loadBalancer": {}}})
                return
            self.lb_ips[key] = ip
            self.event(
                svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer", "service-controller"
            )
        status = {"loadBalancer": {"ingress": [lb_ingress(svc, ip)]}}
        if svc.get("status") != status:
            self.store.put({**svc, "status": status})

    def release_lb(self, key: tuple[str, ...]) -> None:
        """Free an address held for `key` (when its owner is deleted)."""
        ip = self.lb_ips.pop(key, None)
        if ip is not None:
            self.lb_pool.release(ip)
