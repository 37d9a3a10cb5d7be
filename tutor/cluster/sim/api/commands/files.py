"""Files and variables the kubelet and the container runtime give a container.

- `/etc/resolv.conf`: from `dnsPolicy`/`dnsConfig` as the kubelet builds it
  (pkg/kubelet/network/dns/dns.go `GetPodDNS`: ClusterFirst -> `nameserver 10.96.0.10`,
  search `<ns>.svc.cluster.local svc.cluster.local cluster.local`, `options ndots:5`; `None`
  -> only `dnsConfig`; `dnsConfig` nameservers/searches appended, options merged by name),
  written by containerd as `search`, `nameserver` lines, then `options`.
- `/etc/hosts`: the kubelet-managed file (pkg/kubelet/kubelet_pods.go
  `managedHostsFileContent`): localhost lines, the Pod's IP with its hostname (FQDN first when
  it has a subdomain), then `hostAliases`.
- the environment: image variables, `HOSTNAME`, the container's `env` (with `$(VAR)` and
  `fieldRef`/`configMapKeyRef`), the Service links (pkg/kubelet/envvars/envvars.go
  `FromServices`: `<NAME>_SERVICE_HOST`, `_SERVICE_PORT`, `_SERVICE_PORT_<PORTNAME>`,
  Docker-style `<NAME>_PORT...`) for Services of the Pod's namespace that existed when the Pod
  started (when `enableServiceLinks` is not false) plus `kubernetes` from `default` always,
  and `HOME` (set by runc when missing).
"""

from __future__ import annotations

import re
from typing import Any

from tutor.cluster.base import Obj
from tutor.cluster.sim.api.commands.proc import Proc
from tutor.cluster.sim.api.commands.toolbox import DEFAULT_PATH
from tutor.cluster.sim.dns import cluster_ips, node_ip
from tutor.cluster.sim.resolvconf import pod_resolv_conf


def resolv_conf(proc: Proc) -> str:
    """The Pod's /etc/resolv.conf (tutor.cluster.sim.resolvconf, the kubelet's rules)."""
    return pod_resolv_conf(proc.pod).render()


def etc_hosts(proc: Proc) -> str:
    """The Pod's /etc/hosts (the node's for a hostNetwork Pod)."""
    if proc.host_network:
        node = proc.objects.node((proc.pod.get("spec") or {}).get("nodeName"))
        ip = (node_ip(node) if node else None) or proc.ip
        return (
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            f"fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
            f"ff02::2\tip6-allrouters\n{ip}\t{proc.hostname}\n"
        )
    spec = proc.pod.get("spec") or {}
    lines = [
        "# Kubernetes-managed hosts file.",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "fe00::0\tip6-mcastprefix",
        "fe00::1\tip6-allnodes",
        "fe00::2\tip6-allrouters",
    ]
    hostname = str(spec.get("hostname") or proc.pod_name[:63])
    for ip in [proc.ip] if proc.ip else []:
        if spec.get("subdomain"):
            fqdn = f"{hostname}.{spec['subdomain']}.{proc.namespace}.svc.cluster.local"
            lines.append(f"{ip}\t{fqdn}\t{hostname}")
        else:
            lines.append(f"{ip}\t{hostname}")
    aliases = spec.get("hostAliases") or []
    if aliases:
        lines += ["", "# Entries added by HostAliases."]
        for alias in aliases:
            names = "\t".join(str(h) for h in alias.get("hostnames") or [])
            lines.append(f"{alias.get('ip')}\t{names}")
    return "\n".join(lines) + "\n"


def read_file(proc: Proc, path: str) -> str | None:
    """Contents of a file the model knows, or None when it does not exist."""
    if path == "/etc/resolv.conf":
        return resolv_conf(proc)
    if path == "/etc/hosts":
        return etc_hosts(proc)
    if path == "/etc/hostname":
        return proc.hostname + "\n"
    return None


# -- the environment ------------------------------------------------------------------------


def _env_name(name: str) -> str:
    out = name.replace(".", "_").replace("-", "_").upper()
    return "_" + out if out[:1].isdigit() else out


def _host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def service_links(service: Obj) -> list[tuple[str, str]]:
    """The variables one Service gives a container (envvars.FromServices)."""
    ips = cluster_ips(service)
    ports = (service.get("spec") or {}).get("ports") or []
    if not ips or not ports:
        return []
    ip = str((service.get("spec") or {}).get("clusterIP") or ips[0])
    prefix = _env_name(str(service["metadata"]["name"]))
    out = [(f"{prefix}_SERVICE_HOST", ip), (f"{prefix}_SERVICE_PORT", str(ports[0].get("port")))]
    for port in ports:
        if port.get("name"):
            out.append((f"{prefix}_SERVICE_PORT_{_env_name(str(port['name']))}", str(port["port"])))
    for index, port in enumerate(ports):
        proto = str(port.get("protocol") or "TCP")
        url = f"{proto.lower()}://{_host_port(ip, port.get('port'))}"
        if index == 0:
            out.append((f"{prefix}_PORT", url))
        base = f"{prefix}_PORT_{port.get('port')}_{proto.upper()}"
        out += [
            (base, url),
            (f"{base}_PROTO", proto.lower()),
            (f"{base}_PORT", str(port.get("port"))),
            (f"{base}_ADDR", ip),
        ]
    return out


def _started_before(service: Obj, pod: Obj) -> bool:
    made = str(service["metadata"].get("creationTimestamp") or "")
    started = str(pod["metadata"].get("creationTimestamp") or "")
    return not made or not started or made <= started


def _links(proc: Proc) -> list[tuple[str, str]]:
    spec = proc.pod.get("spec") or {}
    services: list[Obj] = []
    if spec.get("enableServiceLinks", True) is not False:
        services = [
            s
            for s in proc.objects.services(proc.namespace)
            if _started_before(s, proc.pod) and s["metadata"]["name"] != "kubernetes"
        ]
    # the master Service is always there (kubelet getServiceEnvVarMap)
    kubernetes = proc.objects.get("Service", "kubernetes", "default")
    if kubernetes is not None:
        services.append(kubernetes)
    services.sort(key=lambda s: str(s["metadata"]["name"]))
    out: list[tuple[str, str]] = []
    for service in services:
        out += service_links(service)
    return out


_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def _field_ref(proc: Proc, path: str) -> str:
    meta = proc.pod["metadata"]
    status = proc.pod.get("status") or {}
    values = {
        "metadata.name": proc.pod_name,
        "metadata.namespace": proc.namespace,
        "metadata.uid": str(meta.get("uid") or ""),
        "spec.nodeName": str((proc.pod.get("spec") or {}).get("nodeName") or ""),
        "spec.serviceAccountName": str(
            (proc.pod.get("spec") or {}).get("serviceAccountName") or "default"
        ),
        "status.podIP": proc.ip,
        "status.hostIP": str(status.get("hostIP") or ""),
    }
    found = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if found:
        return str((meta.get(found.group(1)) or {}).get(found.group(2), ""))
    return values.get(path, "")


def _env_value(proc: Proc, item: Obj, defined: dict[str, str]) -> str | None:
    if "value" in item:
        return _REF.sub(lambda m: defined.get(m.group(1), m.group(0)), str(item["value"]))
    source = item.get("valueFrom") or {}
    if "fieldRef" in source:
        return _field_ref(proc, str(source["fieldRef"].get("fieldPath", "")))
    for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
        ref = source.get(key)
        if ref:
            obj = proc.objects.get(kind, str(ref.get("name")), proc.namespace)
            data = (obj or {}).get("data") or {}
            if ref.get("key") in data:
                value = str(data[ref["key"]])
                if kind == "Secret":
                    import base64

                    value = base64.b64decode(value).decode("utf-8", "replace")
                return value
            return None
    return ""


def environment(proc: Proc) -> list[tuple[str, str]]:
    """The container's environment, in the order `env` prints it."""
    env: dict[str, str] = {"PATH": DEFAULT_PATH, "HOSTNAME": proc.hostname}
    for name, value in proc.toolbox.image_env:
        env[name] = value
    defined: dict[str, str] = {}
    for item in proc.container.get("env") or []:
        if not isinstance(item, dict) or "name" not in item:
            continue
        resolved = _env_value(proc, item, defined)
        if resolved is not None:
            defined[str(item["name"])] = resolved
    links = _links(proc)
    # variables the container defines itself win over the Service links
    for name, value in links:
        if name not in defined:
            env[name] = value
    env.update(defined)
    env.setdefault("HOME", "/root")
    # HOME last, as runc appends it
    home = env.pop("HOME")
    return [*env.items(), ("HOME", home)]
