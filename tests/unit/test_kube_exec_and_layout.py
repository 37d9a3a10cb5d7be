"""Issue 10 item 7 (exec outcomes) and issue 8 item 6 (layout: no import circle in tutor/cluster,
no module over 800 lines, the simulator split into packages)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from tutor.cluster.base import ForbiddenError
from tutor.cluster.guard import Target
from tutor.cluster.kube_errors import exec_handshake_error, exec_outcome

TARGET = Target("context", "classroom", "", None, "alice")

# Error-channel documents as the kubelet writes them (kubernetes pkg/kubelet/cri/streaming/
# remotecommand/httpstream.go, v4WriteStatusFunc; exit codes as a cause of reason ExitCode).
SUCCESS = json.dumps({"metadata": {}, "status": "Success"})
EXIT_3 = json.dumps(
    {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: error executing command "
        "[sh -c exit 3], exit code 3",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
    }
)
NO_DIG = json.dumps(
    {
        "metadata": {},
        "status": "Failure",
        "message": "Internal error occurred: error executing command in container: failed to "
        'exec in container: failed to start exec "4f2c": OCI runtime exec failed: exec failed: '
        'unable to start container process: exec: "dig": executable file not found in $PATH: '
        "unknown",
        "reason": "InternalError",
        "details": {
            "causes": [
                {
                    "message": 'error executing command in container: ... exec: "dig": executable file not found in $PATH: unknown'
                }
            ]
        },
        "code": 500,
    }
)


def test_exec_outcomes() -> None:
    assert exec_outcome(SUCCESS) == (0, "")
    assert exec_outcome(EXIT_3) == (3, "")
    code, problem = exec_outcome(NO_DIG)  # the client's returncode crashed here (int(message))
    assert code == 127 and "dig is not in this container's image" in problem


def test_exec_handshake_403_is_forbidden_not_unreachable() -> None:
    """The client wraps a refused upgrade as ApiException(status=0, reason=str(e)), where
    websocket-client's message starts `Handshake status 403 Forbidden`."""
    from kubernetes.client.rest import ApiException

    exc = ApiException(
        status=0,
        reason="Handshake status 403 Forbidden -+-+- {'content-type': 'application/json'} -+-+- b'{\"kind\":\"Status\"}'",
    )
    error = exec_handshake_error(exc, "web-1", "alice-kt-01", TARGET)
    assert isinstance(error, ForbiddenError)
    assert "pods/exec" in error.hint and "auth can-i" in error.hint
    refused = ApiException(status=0, reason="[Errno 111] Connection refused")
    assert exec_handshake_error(refused, "web-1", "alice-kt-01", TARGET) is None


def _imports(path: Path) -> set[str]:
    """Every tutor.cluster module a file imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tutor.cluster":
                found |= {f"tutor.cluster.{a.name}" for a in node.names}
            elif node.module.startswith("tutor.cluster."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tutor.cluster.")}
    return found


def test_no_import_circle_between_cluster_modules() -> None:
    root = Path(__file__).parents[2] / "tutor" / "cluster"
    graph = {f"tutor.cluster.{p.stem}": _imports(p) for p in root.glob("*.py")}
    for module in graph:
        graph[module] = {m for m in graph[module] if m in graph and m != module}

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            nxt = todo.pop()
            if nxt not in seen:
                seen.add(nxt)
                todo.extend(graph.get(nxt, ()))
        return seen

    circles = [m for m in graph if m in reach(m)]
    assert circles == [], circles
    for module in ("kube", "kind", "probes", "connect", "guard"):
        assert f"tutor.cluster.{module}" in graph


def test_no_cluster_module_is_over_800_lines() -> None:
    root = Path(__file__).parents[2] / "tutor" / "cluster"
    long = {p.name: n for p in root.glob("*.py") if (n := len(p.read_text().splitlines())) > 800}
    assert long == {}


SIM = Path(__file__).parents[2] / "tutor" / "cluster" / "sim"
SIM_PACKAGES = ("admission", "controllers", "dataplane", "api")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parents[2]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _load_time_imports(path: Path, modules: set[str]) -> set[str]:
    """The simulator modules `path` imports when it is loaded: module-level imports only (an
    import inside a function or under `if TYPE_CHECKING:` cannot make an import circle)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m in modules}


def test_no_import_circle_in_the_simulator() -> None:
    """Module-level imports between every module of tutor/cluster/sim (its packages included)
    form no circle: each package's `__init__` re-exports, its modules import one another below
    it. A module importing its own package's `__init__` would be a circle and is caught too."""
    paths = list(SIM.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    graph = {_module_name(p): _load_time_imports(p, modules) for p in paths}
    for name, deps in graph.items():
        package = name.rpartition(".")[0]
        # Loading a submodule loads its package first; only its own package is exempt, since
        # the package's `__init__` importing the submodule is the expected direction.
        graph[name] = {d for d in deps if d != name and not (d == package and name != package)}

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            nxt = todo.pop()
            if nxt not in seen:
                seen.add(nxt)
                todo.extend(graph.get(nxt, ()))
        return seen

    circles = sorted(m for m in graph if m in reach(m))
    assert circles == [], circles
    for package in ("admission", "controllers", "dataplane"):
        assert f"tutor.cluster.sim.{package}" in graph
        assert not (SIM / f"{package}.py").exists()


def test_no_simulator_module_is_over_800_lines() -> None:
    long = {
        str(p.relative_to(SIM)): n
        for p in SIM.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 800
    }
    assert long == {}
    for package in SIM_PACKAGES:
        assert len(list((SIM / package).glob("*.py"))) > 2, package


def test_public_import_paths_of_the_split_packages() -> None:
    """The names other modules and tests import from the former single modules still come
    from the package, and are the very objects the submodules define."""
    from tutor.cluster.sim import admission, controllers, dataplane
    from tutor.cluster.sim.admission.admit import Admission
    from tutor.cluster.sim.controllers.manager import Controllers
    from tutor.cluster.sim.dataplane.router import DataPlane, Router

    assert admission.Admission is Admission
    assert controllers.Controllers is Controllers
    assert dataplane.Router is Router and dataplane.DataPlane is DataPlane
    for module in (admission, controllers, dataplane):
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert missing == [], (module.__name__, missing)
    # Every handler and controller method lands on the one class, with no name defined twice
    # along the mixins (a second definition would silently shadow the first).
    for cls in (Admission, Controllers, Router):
        seen: dict[str, str] = {}
        for base in cls.__mro__[:-1]:
            for name, value in vars(base).items():
                if callable(value) and not name.startswith("__"):
                    assert name not in seen, (cls.__name__, name, seen.get(name), base.__name__)
                    seen[name] = base.__name__
