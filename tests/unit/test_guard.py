"""The safety guard over a matrix of kubeconfigs; every test fails if a request were sent."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor.cluster import guard
from tutor.cluster.base import RefusedContextError, UnreachableError
from tutor.cluster.connect import default_backend, open_cluster

KIND = ("kind-kube-tutor", "https://127.0.0.1:41234")
OTHER_KIND = ("kind-other", "https://127.0.0.1:45678")
PROD = ("prod-eu-admin", "https://api.prod-eu.example.com:6443")
CLASSROOM = ("classroom", "https://k8s.school.example.org")


def kubeconfig(path: Path, contexts: list[tuple[str, str]], current: str | None) -> dict[str, str]:
    """Write a kubeconfig and return the env that points at it."""
    data: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s in contexts],
        "users": [
            {"name": f"{n}-user", "user": {"token": "not-a-real-token"}} for n, _ in contexts
        ],
        "contexts": [
            {"name": n, "context": {"cluster": n, "user": f"{n}-user"}} for n, _ in contexts
        ],
    }
    if current:
        data["current-context"] = current
    path.write_text(yaml.safe_dump(data))
    return {"KUBECONFIG": str(path)}


@pytest.fixture(autouse=True)
def kind_publishes_41234(monkeypatch: pytest.MonkeyPatch) -> None:
    """kube-tutor's kind control plane publishes 127.0.0.1:41234 (as `docker inspect`
    would tell), so the KIND entry above is the real one."""
    monkeypatch.setattr(guard, "kind_api_endpoint", lambda: ("127.0.0.1", 41234))


class RequestSent(AssertionError):
    """Raised by the patched network: the guard let a request through."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every way out of this process raise, and record attempts."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args)[:80])
        raise RequestSent(f"a request was sent: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    import urllib3

    monkeypatch.setattr(urllib3.PoolManager, "urlopen", refuse)
    monkeypatch.setattr(urllib3.connectionpool.HTTPConnectionPool, "urlopen", refuse)
    return attempts


# -- the matrix ---------------------------------------------------------------------------

REFUSED = "refused"
ALLOWED = "allowed"
NOT_SET_UP = "not-set-up"

MATRIX = [
    # (contexts in the kubeconfig, current, backend, --context, outcome, context used)
    ([KIND], KIND[0], "kind", None, ALLOWED, KIND[0]),
    ([KIND], KIND[0], None, None, ALLOWED, KIND[0]),
    ([KIND, PROD], PROD[0], "kind", None, ALLOWED, KIND[0]),  # current ignored
    ([KIND, PROD], PROD[0], None, None, ALLOWED, KIND[0]),
    ([PROD], PROD[0], "kind", None, NOT_SET_UP, None),
    ([PROD], PROD[0], None, None, NOT_SET_UP, None),
    ([OTHER_KIND], OTHER_KIND[0], "kind", None, NOT_SET_UP, None),
    ([KIND, PROD], PROD[0], "kind", PROD[0], REFUSED, None),
    ([KIND, OTHER_KIND], OTHER_KIND[0], "kind", OTHER_KIND[0], REFUSED, None),
    ([KIND, PROD], PROD[0], "context", None, REFUSED, None),
    ([PROD], PROD[0], "context", "prod-us", REFUSED, None),  # not in the kubeconfig
    ([PROD, CLASSROOM], PROD[0], "context", CLASSROOM[0], ALLOWED, CLASSROOM[0]),
    ([PROD, CLASSROOM], PROD[0], None, CLASSROOM[0], ALLOWED, CLASSROOM[0]),
    ([PROD], PROD[0], "context", PROD[0], ALLOWED, PROD[0]),  # named: the learner's choice
    ([(KIND[0], PROD[1])], KIND[0], "kind", None, REFUSED, None),  # a "kind" name, remote
    ([KIND], None, "sim-and-more", None, REFUSED, None),
]


@pytest.mark.parametrize(
    ("contexts", "current", "backend", "context", "outcome", "used"),
    MATRIX,
    ids=[f"{m[2]}-{m[3]}-cur={m[1]}" for m in MATRIX],
)
def test_guard_matrix(
    tmp_path: Path,
    no_network: list[str],
    contexts: list[tuple[str, str]],
    current: str | None,
    backend: str | None,
    context: str | None,
    outcome: str,
    used: str | None,
) -> None:
    env = kubeconfig(tmp_path / "config", contexts, current)
    if outcome == ALLOWED:
        target = guard.resolve_target(backend, context, env=env)
        assert target.context == used
        assert target.kubeconfig == str(tmp_path / "config")
    elif outcome == NOT_SET_UP:
        with pytest.raises(UnreachableError, match="kube-tutor cluster up"):
            guard.resolve_target(backend, context, env=env)
    else:
        with pytest.raises(RefusedContextError) as caught:
            guard.resolve_target(backend, context, env=env)
        assert caught.value.message  # says why
    assert no_network == []


@pytest.mark.parametrize(
    ("contexts", "current", "backend", "context"),
    [
        ([KIND, PROD], PROD[0], "kind", PROD[0]),
        ([KIND, PROD], PROD[0], "context", None),
        ([PROD], PROD[0], "kind", None),
        ([PROD], PROD[0], "context", "nope"),
    ],
)
def test_open_cluster_refuses_before_building_a_client(
    tmp_path: Path,
    no_network: list[str],
    monkeypatch: pytest.MonkeyPatch,
    contexts: list[tuple[str, str]],
    current: str,
    backend: str,
    context: str | None,
) -> None:
    import kubernetes.config

    built: list[Any] = []
    monkeypatch.setattr(
        kubernetes.config, "new_client_from_config", lambda *a, **k: built.append(k)
    )
    env = kubeconfig(tmp_path / "config", contexts, current)
    with pytest.raises((RefusedContextError, UnreachableError)):
        open_cluster(backend, context, env=env)
    assert built == [] and no_network == []


def test_allowed_context_builds_the_client_for_that_context_not_the_current(
    tmp_path: Path, no_network: list[str]
) -> None:
    env = kubeconfig(tmp_path / "config", [KIND, PROD], PROD[0])
    cluster = open_cluster("kind", None, env=env)
    assert cluster.backend == "kind"
    host = cluster._api.configuration.host  # type: ignore[attr-defined]
    assert host == KIND[1]
    assert no_network == []


def test_context_mode_builds_the_named_context_with_a_prefix(
    tmp_path: Path, no_network: list[str]
) -> None:
    env = kubeconfig(tmp_path / "config", [PROD, CLASSROOM], PROD[0])
    cluster = open_cluster("context", CLASSROOM[0], namespace_prefix="Alice", env=env)
    assert cluster.backend == "context"
    assert cluster._api.configuration.host == CLASSROOM[1]  # type: ignore[attr-defined]
    assert cluster.namespace_prefix == "alice"  # type: ignore[attr-defined]
    assert no_network == []


def test_context_mode_refuses_namespaces_outside_the_prefix_without_a_request(
    tmp_path: Path, no_network: list[str]
) -> None:
    env = kubeconfig(tmp_path / "config", [CLASSROOM], CLASSROOM[0])
    cluster = open_cluster("context", CLASSROOM[0], namespace_prefix="alice", env=env)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
    for call in (
        lambda: cluster.ensure_namespace("bob-kt-01", {}),
        lambda: cluster.delete_namespace("kube-system"),
        lambda: cluster.apply([service], "kt-01"),
        lambda: cluster.delete("Service", "web", "default"),
    ):
        with pytest.raises(RefusedContextError, match="will not change anything"):
            call()
    assert no_network == []


def test_missing_kubeconfig_means_not_set_up(tmp_path: Path, no_network: list[str]) -> None:
    env = {"KUBECONFIG": str(tmp_path / "nothing-here")}
    with pytest.raises(UnreachableError):
        guard.resolve_target("kind", None, env=env)
    assert not guard.kind_context_present(env)


def test_kubeconfig_path_list_merges_first_wins(tmp_path: Path) -> None:
    kubeconfig(tmp_path / "a", [PROD], PROD[0])
    kubeconfig(tmp_path / "b", [KIND, (PROD[0], "https://127.0.0.2")], KIND[0])
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])}
    config = guard.read_kubeconfig(guard.kubeconfig_files(env))
    assert config.current_context == PROD[0]
    assert config.server_of(PROD[0]) == PROD[1]
    assert config.server_of(KIND[0]) == KIND[1]
    target = guard.resolve_target("kind", None, env=env)
    assert target.kubeconfig == env["KUBECONFIG"]


def test_broken_kubeconfig_is_refused_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("contexts: [unclosed")
    with pytest.raises(RefusedContextError, match="could not read the kubeconfig"):
        guard.resolve_target("kind", None, env={"KUBECONFIG": str(tmp_path / "config")})


@pytest.mark.parametrize(
    ("explicit", "user", "prefix"),
    [
        ("alice", None, "alice"),
        ("Bob Smith", None, "bob-smith"),
        (None, "carol.o'neil", "carol-o-neil"),
        (None, "42", "u-42"),
        (None, "", "learner"),
        ("x" * 40, None, "x" * 20),
    ],
)
def test_learner_prefix(explicit: str | None, user: str | None, prefix: str) -> None:
    assert guard.learner_prefix(explicit, user=user) == prefix


def test_target_namespace_rules() -> None:
    kind = guard.Target("kind", "kind-kube-tutor", "", None, "")
    assert kind.allows_namespace("kt-01-first")
    assert not kind.allows_namespace("kube-system")
    classroom = guard.Target("context", "classroom", "", None, "alice")
    assert classroom.allows_namespace("alice-kt-01-first")
    assert not classroom.allows_namespace("alice")
    assert not classroom.allows_namespace("alicex-kt-01")
    assert not classroom.allows_namespace("kt-01-first")


@pytest.mark.parametrize(
    ("server", "local"),
    [
        ("https://127.0.0.1:6443", True),
        ("https://localhost:6443", True),
        ("https://[::1]:6443", True),
        ("https://10.0.0.5:6443", False),
        ("https://kind.example.com", False),
        (None, False),
    ],
)
def test_is_local_server(server: str | None, local: bool) -> None:
    assert guard.is_local_server(server) is local


def test_default_backend_prefers_kind_only_when_everything_is_there(tmp_path: Path) -> None:
    env = kubeconfig(tmp_path / "config", [KIND], KIND[0])

    def have(*names: str) -> Any:
        return lambda name: f"/usr/bin/{name}" if name in names else None

    assert default_backend(env, have("docker", "kind"))[0] == "kind"
    backend, why = default_backend(env, have("kind"))
    assert backend == "sim" and "Docker" in why
    backend, why = default_backend(env, have("docker"))
    assert backend == "sim" and "kind is not installed" in why
    prod = kubeconfig(tmp_path / "prod", [PROD], PROD[0])
    backend, why = default_backend(prod, have("docker", "kind"))
    assert backend == "sim" and "cluster up" in why


def test_the_network_trap_itself_catches_a_request(tmp_path: Path, no_network: list[str]) -> None:
    """Sanity check of this file's fixture: an allowed cluster that does send is caught."""
    env = kubeconfig(tmp_path / "config", [KIND], KIND[0])
    cluster = open_cluster("kind", None, env=env)
    with pytest.raises(UnreachableError):
        cluster.get("Node", "kube-tutor-control-plane")
    assert no_network, "the trap did not see the request"
