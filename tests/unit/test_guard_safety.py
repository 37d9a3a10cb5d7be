"""Issue 10 items 14-16: the guard holds whatever the kubeconfig and environment say.

A listener on a second loopback address (127.0.0.2) stands for "another machine": every
kubeconfig/environment of the matrix points some way at it, and the test fails if anything
ever connects to it. The guard must refuse each case before any connection.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor.cluster import guard
from tutor.cluster.base import RefusedContextError, UnreachableError
from tutor.cluster.connect import open_cluster
from tutor.cluster.kube import KubeCluster, build_api_client


class Trap:
    """A TCP listener on 127.0.0.2 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.2", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.connections: list[Any] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.2:{self.port}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture()
def trap() -> Iterator[Trap]:
    listener = Trap()
    try:
        yield listener
    finally:
        listener.close()


KIND_PORT = 41234


@pytest.fixture(autouse=True)
def kind_publishes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control-plane container publishes 127.0.0.1:41234 (what `docker inspect` tells)."""
    monkeypatch.setattr(guard, "kind_api_endpoint", lambda: ("127.0.0.1", KIND_PORT))


def write_config(path: Path, contexts: dict[str, dict[str, Any]]) -> Path:
    data = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in contexts.items()],
        "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in contexts],
        "current-context": next(iter(contexts)),
    }
    path.write_text(yaml.safe_dump(data))
    return path


def kind_matrix(trap: Trap) -> list[tuple[str, dict[str, dict[str, Any]], dict[str, str]]]:
    here = f"https://127.0.0.1:{KIND_PORT}"
    other = f"https://127.0.0.2:{trap.port}"
    return [
        (
            "proxy-url in the kind entry",
            {"kind-kube-tutor": {"server": here, "proxy-url": trap.url}},
            {},
        ),
        (
            "proxy-url with HTTPS_PROXY too",
            {"kind-kube-tutor": {"server": here, "proxy-url": trap.url}},
            {"HTTPS_PROXY": trap.url},
        ),
        ("loopback server that is not kind's", {"kind-kube-tutor": {"server": other}}, {}),
        (
            "right host, wrong port",
            {"kind-kube-tutor": {"server": f"https://127.0.0.1:{trap.port}"}},
            {},
        ),
        (
            "plain http to kind's port",
            {"kind-kube-tutor": {"server": f"http://127.0.0.1:{KIND_PORT}"}},
            {"HTTP_PROXY": trap.url},
        ),
        (
            "localhost name on another port",
            {"kind-kube-tutor": {"server": f"https://localhost:{trap.port}"}},
            {},
        ),
        ("look-alike context kind-kube-tutor2", {"kind-kube-tutor2": {"server": here}}, {}),
        ("look-alike context Kind-kube-tutor", {"Kind-kube-tutor": {"server": here}}, {}),
        (
            "remote server named kind-kube-tutor",
            {"kind-kube-tutor": {"server": "https://kind.example.com:6443"}},
            {"HTTPS_PROXY": trap.url},
        ),
    ]


def test_kind_matrix_is_refused_before_any_connection(tmp_path: Path, trap: Trap) -> None:
    for number, (why, contexts, extra) in enumerate(kind_matrix(trap)):
        config = write_config(tmp_path / f"config-{number}", contexts)
        env = {"KUBECONFIG": str(config), **extra}
        with pytest.raises((RefusedContextError, UnreachableError)) as caught:
            open_cluster("kind", None, env=env)
        assert caught.value.message, why
    assert trap.connections == []


def test_kind_endpoint_unknown_is_not_trusted(
    tmp_path: Path, trap: Trap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 16: with no control-plane container to ask, a loopback kind entry is not used."""
    monkeypatch.setattr(
        guard, "kind_api_endpoint", lambda: "`docker inspect` found no running control-plane"
    )
    config = write_config(
        tmp_path / "config", {"kind-kube-tutor": {"server": f"https://127.0.0.2:{trap.port}"}}
    )
    with pytest.raises(UnreachableError, match="does not seem to run"):
        open_cluster("kind", None, env={"KUBECONFIG": str(config)})
    assert trap.connections == []


@pytest.fixture()
def sim_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / "sim").mkdir(parents=True)
    monkeypatch.setenv("KUBE_TUTOR_HOME", str(home))
    return home


def _sim_config(
    path: Path,
    cluster: dict[str, Any],
    contexts: tuple[str, ...] = ("kube-tutor-sim",),
    mode: int = 0o600,
) -> Path:
    write_config(path, {name: cluster for name in contexts})
    os.chmod(path, mode)
    return path


def test_sim_target_accepted_when_everything_holds(sim_home: Path) -> None:
    path = _sim_config(sim_home / "sim" / "kubeconfig", {"server": "https://127.0.0.1:38443"})
    target = guard.resolve_sim_target(path)
    assert (target.backend, target.context, target.server, target.namespace_prefix) == (
        "sim",
        "kube-tutor-sim",
        "https://127.0.0.1:38443",
        "",
    )
    assert target.kubeconfig == str(path)


def test_sim_matrix_is_refused(sim_home: Path, trap: Trap, tmp_path: Path) -> None:
    here = "https://127.0.0.1:38443"
    cases: list[tuple[str, Path]] = [
        ("proxy-url", _sim_config(sim_home / "sim" / "a", {"server": here, "proxy-url": trap.url})),
        (
            "not loopback 127.0.0.1",
            _sim_config(sim_home / "sim" / "b", {"server": f"https://127.0.0.2:{trap.port}"}),
        ),
        ("plain http", _sim_config(sim_home / "sim" / "c", {"server": "http://127.0.0.1:38443"})),
        ("readable by others", _sim_config(sim_home / "sim" / "d", {"server": here}, mode=0o644)),
        (
            "two contexts",
            _sim_config(sim_home / "sim" / "e", {"server": here}, ("kube-tutor-sim", "prod")),
        ),
        (
            "look-alike context",
            _sim_config(sim_home / "sim" / "f", {"server": here}, ("kube-tutor-sim2",)),
        ),
        ("outside the data folder", _sim_config(tmp_path / "elsewhere", {"server": here})),
    ]
    for why, path in cases:
        with pytest.raises(RefusedContextError):
            guard.resolve_sim_target(path)
        assert why
    assert trap.connections == []


def test_sim_client_reads_only_its_kubeconfig(
    sim_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulator's client is built from its own file; ~/.kube/config is never read."""
    fake_home = tmp_path / "user"
    (fake_home / ".kube").mkdir(parents=True)
    (fake_home / ".kube" / "config").write_text("this: [is not yaml")
    monkeypatch.setenv("HOME", str(fake_home))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    path = _sim_config(
        sim_home / "sim" / "kubeconfig",
        {"server": "https://127.0.0.1:38443", "insecure-skip-tls-verify": True},
    )
    cluster = KubeCluster(guard.resolve_sim_target(path))
    assert cluster._api.configuration.host == "https://127.0.0.1:38443"
    assert cluster.capabilities() == {
        "nodeport-host",
        "loadbalancer",
        "ingress",
        "gateway",
        "zones",
        "dns",
    }


def test_local_targets_ignore_proxy_variables(
    tmp_path: Path, trap: Trap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 14: with HTTPS_PROXY/HTTP_PROXY pointing at the trap, a kind client still goes
    straight to its loopback server (kubernetes 37 reads those variables itself)."""
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, trap.url)
    monkeypatch.setenv("NO_PROXY", "corp.example.com")
    config = write_config(
        tmp_path / "config", {"kind-kube-tutor": {"server": f"https://127.0.0.1:{KIND_PORT}"}}
    )
    target = guard.resolve_target("kind", None, env={"KUBECONFIG": str(config)})
    api = build_api_client(target)
    assert api.configuration.proxy is None and api.configuration.no_proxy == "*"
    context = write_config(
        tmp_path / "ctx", {"classroom": {"server": "https://k8s.school.example.org"}}
    )
    shared = build_api_client(
        guard.resolve_target("context", "classroom", env={"KUBECONFIG": str(context)})
    )
    assert shared.configuration.proxy == trap.url  # a named context keeps the learner's proxy
    assert trap.connections == []
