"""A real Kubernetes control plane on loopback: etcd, kube-apiserver, controller-manager, scheduler.

Started from the binaries `build.sh` leaves in its cache folder. Every process writes its log
to the state folder; `ControlPlane.stop()` ends them all (SIGTERM, then SIGKILL), and a start
that fails part-way stops what it had started before raising `StartError` with the logs' tails.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KUBERNETES_VERSION = "1.37.2"
SERVICE_CIDR = "10.96.0.0/16"
BUILD_SCRIPT = Path(__file__).with_name("build.sh")
CONTEXT = "kube-tutor-controlplane"
"""The admin's context in the control plane's kubeconfig (system:masters)."""
LEARNER_CONTEXT = "kube-tutor-controlplane-alice"
"""A learner with only the rights a Role gives her (RBAC tests)."""
LEARNER = "alice"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")

# The controllers the course's objects need (names as `kube-controller-manager --help` lists
# them in cmd/kube-controller-manager/names/controller_names.go). No node-lifecycle controller:
# the fake kubelet keeps Nodes Ready without Lease heartbeats.
CONTROLLERS = (
    "deployment-controller",
    "replicaset-controller",
    "statefulset-controller",
    "endpointslice-controller",
    "endpointslice-mirroring-controller",
    "endpoints-controller",
    "namespace-controller",
    "garbage-collector-controller",
    "serviceaccount-controller",
    "root-ca-certificate-publisher-controller",
)


class StartError(RuntimeError):
    """The control plane did not come up; the message carries the logs' last lines."""


def cache_dir() -> Path:
    """Where `build.sh` puts the binaries of this version."""
    root = os.environ.get("KT_CONTROLPLANE_CACHE")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        base = Path(xdg) / "kube-tutor" / "controlplane"
    return base / f"v{KUBERNETES_VERSION}" / "bin"


def find_binaries() -> tuple[Path | None, str]:
    """The folder with the four binaries, or None and why not (for a skip reason)."""
    folder = cache_dir()
    missing = [name for name in BINARIES if not os.access(folder / name, os.X_OK)]
    if not missing:
        return folder, ""
    return None, (
        f"control plane binaries not built ({', '.join(missing)} missing in {folder}); "
        f"run `bash {BUILD_SCRIPT.relative_to(BUILD_SCRIPT.parents[2])}` (needs Go >= 1.26 and "
        "the Go module proxy; .ci/run does it)"
    )


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- certificates and credentials ------------------------------------------------------------


def _write_pki(state: Path) -> tuple[str, dict[str, str]]:
    """A CA, the API server's serving certificate and the service-account key pair; returns
    the CA in PEM and the bearer tokens by user."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-tutor-controlplane-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.DNSName("kubernetes"),
        x509.DNSName("kubernetes.default.svc"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("10.96.0.1")),
    ]
    serving = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    plain = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    ca_pem = ca.public_bytes(pem)
    (state / "ca.crt").write_bytes(ca_pem)
    (state / "serving.crt").write_bytes(serving.public_bytes(pem))
    (state / "serving.key").write_bytes(key.private_bytes(pem, pkcs8, plain))
    sa = ec.generate_private_key(ec.SECP256R1())
    (state / "sa.key").write_bytes(sa.private_bytes(pem, pkcs8, plain))
    (state / "sa.pub").write_bytes(
        sa.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    tokens = {"admin": os.urandom(16).hex(), LEARNER: os.urandom(16).hex()}
    # kube-apiserver --token-auth-file: token,user,uid,"group1,group2"
    lines = [
        f'{tokens["admin"]},admin,uid-admin,"system:masters"',
        f'{tokens[LEARNER]},{LEARNER},uid-{LEARNER},"kube-tutor:learners"',
    ]
    (state / "tokens.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ca_pem.decode(), tokens


def write_kubeconfig(path: Path, url: str, ca_pem: str, tokens: dict[str, str]) -> None:
    """A kubeconfig with the admin's and the learner's contexts (mode 0600); its current
    context is the learner's, so nothing relying on the current context gets admin rights."""
    import base64

    ca_data = base64.b64encode(ca_pem.encode()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": LEARNER_CONTEXT,
        "clusters": [
            {"name": CONTEXT, "cluster": {"server": url, "certificate-authority-data": ca_data}}
        ],
        "users": [{"name": user, "user": {"token": token}} for user, token in tokens.items()],
        "contexts": [
            {"name": CONTEXT, "context": {"cluster": CONTEXT, "user": "admin"}},
            {"name": LEARNER_CONTEXT, "context": {"cluster": CONTEXT, "user": LEARNER}},
        ],
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    path.chmod(0o600)


# -- processes -------------------------------------------------------------------------------


@dataclass
class ControlPlane:
    """One running control plane; `start()` it, `stop()` it (idempotent)."""

    binaries: Path
    state: Path
    url: str = ""
    kubeconfig: Path = field(default_factory=Path)
    tokens: dict[str, str] = field(default_factory=dict)
    ca_pem: str = ""
    started_in: float = 0.0
    """Seconds from the first process to a ready API server with controllers and nodes."""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    kubelet: Any = None
    """The `FakeKubelet` running the Nodes (set by the session fixture)."""
    gateway_api: bool = False
    """True when the Gateway API CRDs were installed (found beside the project)."""

    def start(self, timeout: float = 60.0) -> ControlPlane:
        """Start every component and wait until the API server is ready."""
        began = time.monotonic()
        deadline = began + timeout
        try:
            self._start(deadline)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def _start(self, deadline: float) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.ca_pem, self.tokens = _write_pki(self.state)
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        self._spawn(
            "etcd",
            "--name=kt",
            f"--data-dir={self.state / 'etcd'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-cluster=kt=http://127.0.0.1:{peer_port}",
            "--unsafe-no-fsync",  # a throw-away store: durability buys nothing here
            "--log-level=warn",
        )
        self._wait_http(f"{etcd_url}/health", deadline, "etcd")
        self.url = f"https://127.0.0.1:{api_port}"
        self._spawn(
            "kube-apiserver",
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            f"--tls-cert-file={self.state / 'serving.crt'}",
            f"--tls-private-key-file={self.state / 'serving.key'}",
            f"--token-auth-file={self.state / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--service-account-key-file={self.state / 'sa.pub'}",
            f"--service-account-signing-key-file={self.state / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            # The `kubernetes` Service's endpoints would be 127.0.0.1, which Endpoints
            # validation refuses (a loopback address): the reconciler would only log errors.
            "--endpoint-reconciler-type=none",
            f"--cert-dir={self.state / 'apiserver-certs'}",
            "--profiling=false",
        )
        self.kubeconfig = self.state / "kubeconfig"
        write_kubeconfig(self.kubeconfig, self.url, self.ca_pem, self.tokens)
        self._wait_http(f"{self.url}/readyz", deadline, "kube-apiserver")
        admin = self.state / "admin.kubeconfig"
        write_kubeconfig(admin, self.url, self.ca_pem, {"admin": self.tokens["admin"]})
        config = yaml.safe_load(admin.read_text(encoding="utf-8"))
        config["current-context"] = CONTEXT
        config["contexts"] = config["contexts"][:1]
        admin.write_text(yaml.safe_dump(config), encoding="utf-8")
        self._spawn(
            "kube-controller-manager",
            f"--kubeconfig={admin}",
            f"--controllers={','.join(CONTROLLERS)}",
            "--leader-elect=false",
            "--secure-port=0",
            f"--root-ca-file={self.state / 'ca.crt'}",
        )
        self._spawn(
            "kube-scheduler", f"--kubeconfig={admin}", "--leader-elect=false", "--secure-port=0"
        )
        # The namespace controller and the scheduler answer through the API: the `default`
        # ServiceAccount appears once the serviceaccount controller runs.
        self._wait_for(
            lambda: (
                self.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200
            ),
            deadline,
            "the controller-manager (default ServiceAccount)",
        )

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.state / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            [str(self.binaries / name), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group: a Ctrl-C of pytest reaches us, not it
        )
        log.close()

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise StartError(f"{name} exited with {process.returncode}\n{self.log_tails()}")

    def _wait_http(self, url: str, deadline: float, what: str) -> None:
        def ready() -> bool:
            try:
                return self._get(url) == 200
            except (OSError, urllib.error.URLError):
                return False

        self._wait_for(ready, deadline, what)

    def _wait_for(self, ready: Any, deadline: float, what: str) -> None:
        while time.monotonic() < deadline:
            self._check_alive()
            if ready():
                return
            time.sleep(0.2)
        raise StartError(f"{what} was not ready in time\n{self.log_tails()}")

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cadata=self.ca_pem) if self.ca_pem else None
        return context or ssl.create_default_context()

    def _get(self, url: str) -> int:
        request = urllib.request.Request(url)
        if url.startswith("https"):
            request.add_header("Authorization", f"Bearer {self.tokens['admin']}")
        try:
            with urllib.request.urlopen(request, timeout=2, context=self._context()) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        user: str = "admin",
    ) -> tuple[int, Any]:
        """One raw API request as `user`; (status, decoded JSON body)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.tokens[user]}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=15, context=self._context()) as response:
                raw = response.read()
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), int(exc.code)
        try:
            return status, json.loads(raw) if raw else {}
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def log_tails(self, lines: int = 15) -> str:
        """The last lines of every component's log."""
        parts = []
        for path in sorted(self.state.glob("*.log")):
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self, grace: float = 5.0) -> None:
        """End every component (newest first), waiting `grace` seconds before killing."""
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(grace)
        self.processes.clear()
