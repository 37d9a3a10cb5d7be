"""Credentials of the simulator's API server: a CA, a serving certificate, a bearer token, and
the kubeconfig (context `kube-tutor-sim`) that holds them.

kubectl sends no bearer token over plain `http://` (DESIGN.md, section 5), so the server speaks
TLS with a certificate signed by a CA made for this installation; the CA goes into the kubeconfig
as `certificate-authority-data`. Everything is written 0600 in `<data dir>/sim/`.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from tutor.core.dirs import data_dir

SIM_CONTEXT = "kube-tutor-sim"
SIM_CLUSTER = "kube-tutor-sim"
SIM_USER = "kube-tutor-sim-admin"


def sim_dir(home: Path | None = None) -> Path:
    """The simulator's folder: `<data dir>/sim`."""
    return (home or data_dir()) / "sim"


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically with mode 0600 (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Credentials:
    """Files of one installation's simulator credentials."""

    folder: Path

    @property
    def ca_cert(self) -> Path:
        """The CA certificate (PEM)."""
        return self.folder / "ca.crt"

    @property
    def server_cert(self) -> Path:
        """The serving certificate (PEM), for 127.0.0.1 and localhost."""
        return self.folder / "server.crt"

    @property
    def server_key(self) -> Path:
        """The serving key (PEM)."""
        return self.folder / "server.key"

    @property
    def token_file(self) -> Path:
        """The admin bearer token."""
        return self.folder / "token"

    @property
    def kubeconfig(self) -> Path:
        """The kubeconfig file learners export as `KUBECONFIG`."""
        return self.folder / "kubeconfig"

    def token(self) -> str:
        """The admin token (made on first use)."""
        self.ensure()
        return self.token_file.read_text(encoding="ascii").strip()

    def ensure(self) -> None:
        """Create the CA, serving certificate and token if any is missing."""
        if not (
            self.ca_cert.is_file() and self.server_cert.is_file() and self.server_key.is_file()
        ):
            ca_pem, cert_pem, key_pem = make_certificates()
            write_private(self.ca_cert, ca_pem)
            write_private(self.server_key, key_pem)
            write_private(self.server_cert, cert_pem)
        if not self.token_file.is_file():
            write_private(self.token_file, secrets.token_urlsafe(32).encode("ascii"))

    def write_kubeconfig(self, port: int) -> Path:
        """Write the kubeconfig for a server on `127.0.0.1:port` (0600) and return its path."""
        self.ensure()
        write_private(self.kubeconfig, kubeconfig_text(self, port).encode("utf-8"))
        return self.kubeconfig


def kubeconfig_text(creds: Credentials, port: int) -> str:
    """A kubeconfig with one cluster, user and context, all named for the simulator."""
    ca = base64.b64encode(creds.ca_cert.read_bytes()).decode("ascii")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": SIM_CLUSTER,
                "cluster": {
                    "server": f"https://127.0.0.1:{port}",
                    "certificate-authority-data": ca,
                },
            }
        ],
        "users": [{"name": SIM_USER, "user": {"token": creds.token()}}],
        "contexts": [
            {
                "name": SIM_CONTEXT,
                "context": {"cluster": SIM_CLUSTER, "user": SIM_USER, "namespace": "default"},
            }
        ],
        "current-context": SIM_CONTEXT,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


def make_certificates() -> tuple[bytes, bytes, bytes]:
    """A new CA and a serving certificate for 127.0.0.1/localhost: (ca pem, cert pem, key pem).

    EC P-256 keys: generating them takes milliseconds (RSA 2048 takes ~100 ms)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-tutor-sim-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ca.public_bytes(pem), cert.public_bytes(pem), key_pem
