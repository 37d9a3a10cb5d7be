"""EndpointSlice admission (slices written by hand or by a controller)."""

from __future__ import annotations

import ipaddress

from tutor.cluster.sim.admission.allocations import Allocations
from tutor.cluster.sim.admission.common import (
    AdmissionBase,
    Obj,
    Problems,
    _check_dns_label,
    _check_port_number,
)


class EndpointSliceAdmission(AdmissionBase):
    """Admits EndpointSlices."""

    def endpointslice(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """EndpointSlice validation (slices people write for selector-less Services)."""
        address_type = obj.get("addressType")
        if not address_type:
            problems.required("addressType")
        elif address_type not in ("IPv4", "IPv6", "FQDN"):
            problems.unsupported("addressType", address_type, ["FQDN", "IPv4", "IPv6"])
        if old is not None and old.get("addressType") != address_type:
            problems.invalid("addressType", address_type, "field is immutable")
        obj.pop("spec", None)
        for i, endpoint in enumerate(obj.get("endpoints") or []):
            path = f"endpoints[{i}]"
            addresses = endpoint.get("addresses") or []
            if not addresses:
                problems.required(f"{path}.addresses", "must contain at least 1 address")
            for j, address in enumerate(addresses):
                apath = f"{path}.addresses[{j}]"
                if address_type in ("IPv4", "IPv6"):
                    try:
                        ip = ipaddress.ip_address(address)
                    except ValueError:
                        problems.invalid(apath, address, f"must be a valid {address_type} address")
                        continue
                    if (ip.version == 4) != (address_type == "IPv4"):
                        problems.invalid(apath, address, f"must be a valid {address_type} address")
                    elif ip.is_loopback:
                        problems.invalid(
                            apath,
                            address,
                            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
                        )
                    elif ip.is_link_local:
                        problems.invalid(
                            apath,
                            address,
                            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
                        )
                    elif ip.is_unspecified:
                        problems.invalid(apath, address, "may not be unspecified")
            conditions = endpoint.get("conditions")
            if conditions is not None and not isinstance(conditions, dict):
                problems.invalid(f"{path}.conditions", conditions, "must be an object")
            if endpoint.get("hostname"):
                _check_dns_label(problems, f"{path}.hostname", endpoint["hostname"])
        names: set[str] = set()
        for i, port in enumerate(obj.get("ports") or []):
            path = f"ports[{i}]"
            pname = port.get("name", "")
            if pname:
                _check_dns_label(problems, f"{path}.name", pname)
            if pname in names:
                problems.duplicate(f"{path}.name", pname)
            names.add(pname)
            port.setdefault("protocol", "TCP")
            if port["protocol"] not in ("TCP", "UDP", "SCTP"):
                problems.unsupported(f"{path}.protocol", port["protocol"], ["SCTP", "TCP", "UDP"])
            if "port" in port and port["port"] is not None:
                _check_port_number(problems, f"{path}.port", port["port"], allow_zero=True)
