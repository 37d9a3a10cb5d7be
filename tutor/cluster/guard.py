"""The safety guard: which kubeconfig contexts kube-tutor may touch, decided before any request.

Only three kinds of target are ever allowed:

- the kind cluster kube-tutor made: context `kind-kube-tutor`, whose API server is the port
  the cluster's control-plane container publishes on this machine, with no proxy;
- the simulator's API server: context `kube-tutor-sim` in its own kubeconfig (mode 0600,
  in kube-tutor's data folder), on `https://127.0.0.1:<port>`, with no proxy; and
- a context the learner named on the command line (`--backend context --context NAME`).

For the two local targets the client also ignores `HTTP(S)_PROXY` (see `kube.py`), so
"local" traffic (and the DELETEs of reset and solve) can never be sent to another machine.

The current context of the kubeconfig is never used on its own: a learner whose `kubectl`
points at a production cluster cannot change it by starting a lab. The guard reads the
kubeconfig as plain YAML; it builds no client and opens no connection.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml

from tutor.cluster.base import RefusedContextError, UnreachableError

KIND_CONTEXT = "kind-kube-tutor"
"""The context kind writes for the cluster `kube-tutor`."""
SIM_CONTEXT = "kube-tutor-sim"
"""The one context of the simulator's own kubeconfig."""
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

BackendName = Literal["kind", "context", "sim"]


@dataclass(frozen=True)
class Kubeconfig:
    """The parts of the merged kubeconfig the guard reads."""

    files: tuple[Path, ...]
    current_context: str | None = None
    contexts: Mapping[str, str] = field(default_factory=dict)
    """Context name -> cluster name."""
    servers: Mapping[str, str] = field(default_factory=dict)
    """Cluster name -> API server URL."""
    proxies: Mapping[str, str] = field(default_factory=dict)
    """Cluster name -> its `proxy-url`, for the clusters that have one."""

    def proxy_of(self, context: str) -> str | None:
        """The `proxy-url` of the cluster a context points at."""
        cluster = self.contexts.get(context)
        return self.proxies.get(cluster) if cluster is not None else None

    def server_of(self, context: str) -> str | None:
        """The API server URL a context points at."""
        cluster = self.contexts.get(context)
        return self.servers.get(cluster) if cluster is not None else None

    @property
    def path_list(self) -> str:
        """The files joined as `KUBECONFIG` joins them (what the client is given)."""
        return os.pathsep.join(str(path) for path in self.files)


@dataclass(frozen=True)
class Target:
    """A cluster the guard allowed, and how to reach it."""

    backend: BackendName
    context: str
    """Always set: the client is built for this context, never the current one."""
    kubeconfig: str
    """Kubeconfig file(s), joined with the path separator."""
    server: str | None
    namespace_prefix: str = ""
    """In context mode, the learner's prefix: every namespace kube-tutor writes to is named
    `<prefix>-...` (e.g. `alice-kt-01-first-service`). Empty on kind."""

    def allows_namespace(self, namespace: str) -> bool:
        """May kube-tutor create, change or delete things in this namespace?"""
        if namespace in SYSTEM_NAMESPACES:
            return False
        return not self.namespace_prefix or namespace.startswith(f"{self.namespace_prefix}-")

    def check_namespace(self, namespace: str) -> None:
        """Raise `RefusedContextError` unless kube-tutor may write into the namespace."""
        if self.allows_namespace(namespace):
            return
        if namespace in SYSTEM_NAMESPACES:
            why = f"`{namespace}` is a namespace the cluster itself uses"
        else:
            why = (
                f"in context mode your labs live in namespaces starting with "
                f"`{self.namespace_prefix}-`, so other people's work is never touched"
            )
        raise RefusedContextError(
            f"kube-tutor will not change anything in namespace `{namespace}`: {why}.",
            hint="Nothing was sent to the cluster.",
        )


def kubeconfig_files(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The kubeconfig files, as kubectl finds them: `$KUBECONFIG` (a path list) or
    `~/.kube/config`."""
    env = os.environ if env is None else env
    listed = env.get("KUBECONFIG", "")
    if listed:
        return tuple(Path(part).expanduser() for part in listed.split(os.pathsep) if part)
    return (Path("~/.kube/config").expanduser(),)


def read_kubeconfig(files: Sequence[Path]) -> Kubeconfig:
    """Merge kubeconfig files the way kubectl does (the first file to name something wins)."""
    current: str | None = None
    contexts: dict[str, str] = {}
    servers: dict[str, str] = {}
    proxies: dict[str, str] = {}
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, yaml.YAMLError) as exc:
            raise RefusedContextError(
                f"kube-tutor could not read the kubeconfig {path}: {exc}",
                hint="Fix or move that file; nothing was sent to any cluster.",
            ) from exc
        if not isinstance(data, dict):
            continue
        if current is None and isinstance(data.get("current-context"), str):
            current = data["current-context"] or None
        for entry in _named(data.get("contexts")):
            context = entry.get("context") or {}
            contexts.setdefault(entry["name"], str(context.get("cluster", "")))
        for entry in _named(data.get("clusters")):
            cluster = entry.get("cluster") or {}
            if entry["name"] in servers:
                continue  # kubectl: the first file to name a cluster wins, whole
            servers[entry["name"]] = str(cluster.get("server", ""))
            if cluster.get("proxy-url"):
                proxies[entry["name"]] = str(cluster["proxy-url"])
    return Kubeconfig(tuple(files), current, contexts, servers, proxies)


def _named(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)]


def is_local_server(server: str | None) -> bool:
    """True when an API server URL points at this machine (loopback address or localhost)."""
    if not server:
        return False
    host = urlparse(server).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_PREFIX_RE = re.compile(r"[^a-z0-9-]+")


def learner_prefix(explicit: str | None = None, *, user: str | None = None) -> str:
    """The namespace prefix of a learner in context mode: `--namespace-prefix`, else derived
    from the login name; lower-case letters, digits and dashes, starting with a letter."""
    raw = explicit if explicit else (user if user is not None else _login_name())
    cleaned = _PREFIX_RE.sub("-", raw.lower()).strip("-")[:20].strip("-")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"u-{cleaned}".strip("-") if cleaned else "learner"
    return cleaned


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "learner"


EndpointFn = Callable[[], "tuple[str, int] | str"]
"""Returns the (host, port) kube-tutor's kind control plane publishes, or why it cannot."""


def kind_api_endpoint() -> tuple[str, int] | str:
    """Where the control-plane container of the kind cluster `kube-tutor` publishes the API
    server, asked of the container engine the way kind asks it (no request to the API
    server); a sentence saying why when it cannot be told."""
    from tutor.cluster.kind_tools import Runner, control_plane_endpoint_argv, parse_endpoint

    runner = Runner()
    engine = "podman" if runner.which("docker") is None and runner.which("podman") else "docker"
    if runner.which(engine) is None:
        return "neither docker nor podman is installed"
    result = runner.run(control_plane_endpoint_argv(engine), timeout=30)
    if not result.ok:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return f"`{engine} inspect` found no running control-plane ({lines[-1] if lines else 'no answer'})"
    found = parse_endpoint(result.stdout)
    return found if found is not None else f"`{engine} inspect` printed {result.stdout.strip()!r}"


def _refuse_proxy(context: str, proxy: str | None) -> None:
    if proxy:
        raise RefusedContextError(
            f"Context {context} sends its traffic through the proxy {proxy} (`proxy-url` in "
            "its cluster entry), so requests meant for this machine could reach another one; "
            "kube-tutor will not use it.",
            hint="Remove `proxy-url` from that cluster in your kubeconfig (or run "
            "`kind export kubeconfig --name kube-tutor`); nothing was sent.",
        )


def verify_kind_server(server: str | None, endpoint: tuple[str, int] | str) -> None:
    """Refuse unless `server` is the API server port of kube-tutor's kind control plane."""
    if isinstance(endpoint, str):
        raise UnreachableError(
            f"kube-tutor's kind cluster does not seem to run: {endpoint}.",
            hint="Start Docker (or podman), then `kube-tutor cluster up`; nothing was sent.",
        )
    parsed = urlparse(server or "")
    host, port = endpoint
    same_port = parsed.port == port
    same_host = parsed.hostname == host or (
        host in ("0.0.0.0", "::", "") and is_local_server(server)
    )
    if parsed.scheme != "https" or not same_port or not same_host:
        raise RefusedContextError(
            f"Context {KIND_CONTEXT} points at {server or 'no server'}, but kube-tutor's kind "
            f"cluster publishes its API server on {host}:{port}: that context is not the "
            "cluster kube-tutor made, so kube-tutor will not touch it.",
            hint="`kind export kubeconfig --name kube-tutor` writes the right entry; "
            "nothing was sent.",
        )


def resolve_target(
    backend: str | None,
    context: str | None,
    *,
    namespace_prefix: str | None = None,
    env: Mapping[str, str] | None = None,
    kind_endpoint: EndpointFn | None = None,
) -> Target:
    """Decide which context may be used, or refuse.

    - `backend="kind"` (or None without `context`): only `kind-kube-tutor`, with its API
      server the one kube-tutor's kind control plane publishes (asked of the container
      engine with `kind_endpoint`, default `kind_api_endpoint`) and no proxy;
      `UnreachableError` when kube-tutor's cluster is not set up.
    - `backend="sim"`: the simulator's own kubeconfig (`resolve_sim_target`).
    - `backend="context"` (or None with `context`): exactly the named context, which must
      exist; the learner's namespaces get a prefix.

    Raises `RefusedContextError` with the reason; no client is built and no request is
    sent to any API server here.
    """
    if backend == "sim":
        return resolve_sim_target(default_sim_kubeconfig())
    files = kubeconfig_files(env)
    config = read_kubeconfig(files)
    shown_files = ", ".join(str(f) for f in files)
    if backend not in (None, "kind", "context"):
        raise RefusedContextError(
            f"Unknown backend {backend!r}.", hint="Use --backend kind, context or sim."
        )
    if backend == "context" or (backend is None and context):
        if not context:
            current = config.current_context or "none"
            raise RefusedContextError(
                "--backend context needs the context named explicitly: --context NAME. "
                f"kube-tutor never uses your current context ({current}) on its own, so a lab "
                "cannot change a cluster you did not choose.",
                hint="Run `kubectl config get-contexts` to see the names.",
            )
        if context not in config.contexts:
            known = ", ".join(sorted(config.contexts)) or "none"
            raise RefusedContextError(
                f"Context `{context}` is not in your kubeconfig ({shown_files}); "
                f"contexts there: {known}.",
                hint="Check the name with `kubectl config get-contexts`.",
            )
        return Target(
            "context",
            context,
            config.path_list,
            config.server_of(context),
            learner_prefix(namespace_prefix),
        )
    # kind
    if context and context != KIND_CONTEXT:
        raise RefusedContextError(
            f"kube-tutor will not use context `{context}` with --backend kind: that backend "
            f"only ever touches the kind cluster kube-tutor made (context {KIND_CONTEXT}).",
            hint=f"To practise on `{context}`, name it: --backend context --context {context}",
        )
    if KIND_CONTEXT not in config.contexts:
        raise UnreachableError(
            f"kube-tutor's kind cluster is not set up (no context {KIND_CONTEXT} in "
            f"{shown_files}).",
            hint="Run `kube-tutor cluster up`, or use the simulator with --backend sim.",
        )
    server = config.server_of(KIND_CONTEXT)
    if not is_local_server(server):
        raise RefusedContextError(
            f"Context {KIND_CONTEXT} points at {server or 'no server'}, not at a kind cluster "
            "on this machine, so kube-tutor will not touch it on its own.",
            hint=f"If it is yours to practise on: --backend context --context {KIND_CONTEXT}",
        )
    _refuse_proxy(KIND_CONTEXT, config.proxy_of(KIND_CONTEXT))
    verify_kind_server(server, (kind_endpoint or kind_api_endpoint)())
    return Target("kind", KIND_CONTEXT, config.path_list, server, "")


# -- the simulator's kubeconfig ----------------------------------------------------------------


def default_sim_kubeconfig() -> Path:
    """Where the simulator's API server writes its kubeconfig (in kube-tutor's data folder)."""
    from tutor.core.dirs import data_dir

    return data_dir() / "sim" / "kubeconfig"


def resolve_sim_target(kubeconfig_path: Path) -> Target:
    """The simulator's API server as a `Target`, after checking its kubeconfig file: inside
    kube-tutor's data folder, mode 0600 (on POSIX), exactly one context `kube-tutor-sim`,
    a server `https://127.0.0.1:<port>`, and no `proxy-url`. Reads the file only."""
    from tutor.core.dirs import data_dir

    path = Path(kubeconfig_path)
    home = data_dir().resolve()
    try:
        resolved = path.resolve()
    except OSError as exc:
        raise RefusedContextError(f"kube-tutor could not read {path}: {exc}") from exc
    if home != resolved and home not in resolved.parents:
        raise RefusedContextError(
            f"The simulator's kubeconfig must be in kube-tutor's data folder ({home}); "
            f"{path} is not, so kube-tutor will not trust it.",
            hint="Start the simulator with `kube-tutor sim start`; nothing was sent.",
        )
    if not path.is_file():
        raise UnreachableError(
            f"The simulator's API server has no kubeconfig yet ({path}).",
            hint="Run `kube-tutor sim start`.",
        )
    if os.name == "posix" and path.stat().st_mode & 0o077:
        mode = oct(path.stat().st_mode & 0o777)
        raise RefusedContextError(
            f"The simulator's kubeconfig {path} is readable by others (mode {mode}, not 0600): "
            "its token could have been read or the file changed, so kube-tutor will not use it.",
            hint="Run `kube-tutor sim stop` and `kube-tutor sim start` to write a new one.",
        )
    config = read_kubeconfig([path])
    if list(config.contexts) != [SIM_CONTEXT]:
        found = ", ".join(config.contexts) or "none"
        raise RefusedContextError(
            f"The simulator's kubeconfig {path} must hold exactly one context, {SIM_CONTEXT}; "
            f"it has: {found}.",
            hint="Run `kube-tutor sim stop` and `kube-tutor sim start` to write a new one.",
        )
    server = config.server_of(SIM_CONTEXT)
    parsed = urlparse(server or "")
    if parsed.scheme != "https" or parsed.hostname != "127.0.0.1" or parsed.port is None:
        raise RefusedContextError(
            f"The simulator's kubeconfig points at {server or 'no server'}, not at "
            "https://127.0.0.1:<port>, so kube-tutor will not use it.",
            hint="Run `kube-tutor sim stop` and `kube-tutor sim start`; nothing was sent.",
        )
    _refuse_proxy(SIM_CONTEXT, config.proxy_of(SIM_CONTEXT))
    return Target("sim", SIM_CONTEXT, str(path), server, "")


def kind_context_present(env: Mapping[str, str] | None = None) -> bool:
    """True when the kubeconfig has kube-tutor's kind context (reads files only)."""
    try:
        return KIND_CONTEXT in read_kubeconfig(kubeconfig_files(env)).contexts
    except RefusedContextError:
        return False
