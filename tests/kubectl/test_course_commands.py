"""Every kubectl command the course writes runs, with real kubectl 1.37, on a lab on the simulator.

The commands are extracted from the content (`course_commands.py`): lesson code blocks and
inline code, quiz explanations, lab tasks and hints. Each runs on the lab that has the objects
it names (`course_scenes.py`), with that lab's names filled in, through `bash -o pipefail` (so
`| grep mode` and `for ... done` lines run as the learner types them) and must exit 0, unless
`expected_failures.yaml` says it fails on a real cluster too (with the message kubectl prints
there, and why). Commands that cannot run on the simulator by design are excluded by the
rules in `EXCLUDED`, each with its reason in the skip.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SimApi
from tests.kubectl.course_commands import ROOT, CourseCommand, course_commands
from tests.kubectl.course_scenes import (
    PROBE_POD,
    Fit,
    Live,
    Scene,
    changes,
    choose_scene,
    fill,
    load_names,
    read_manifests,
    runnable,
)

EXCLUDED: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"…|\.\.\."),
        "elided arguments in a diagram's margin (the full command is in the lesson's walk)",
    ),
    (
        re.compile(
            r"^kubectl (apply|create|create service|expose|debug|port-forward)( --server-side)?( -f)?$"
        ),
        "a verb named in prose, no arguments given",
    ),
    (
        re.compile(r"\w\|\w|\b[A-Z]{3,}\b(?![^']*'(?:[^']*'[^']*')*[^']*$)"),
        "a synopsis (alternatives or an UPPERCASE placeholder), not a command line",
    ),
    (
        re.compile(r"^kubectl port-forward \S"),
        "runs until interrupted; port-forward is served and tested with real HTTP in test_port_forward.py",
    ),
]
"""Commands that cannot run as written, by rule: the one place they are listed."""

EXPECTED = Path(__file__).with_name("expected_failures.yaml")


@dataclass(frozen=True)
class Expected:
    """A command that fails on a real cluster too, and how."""

    command: str
    file: str | None
    message: str
    reason: str

    def matches(self, command: CourseCommand) -> bool:
        """Is this entry about that command?"""
        return command.text == self.command and (
            self.file is None or command.where.startswith(self.file + ":")
        )


def load_expected(path: Path = EXPECTED) -> list[Expected]:
    """The reviewed expected failures, and the commands whose kind is not served yet."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = [
        Expected(e["command"], e.get("file"), e["message"], e["reason"])
        for e in data.get("expected_failures") or []
    ]
    entries += [
        Expected(
            e["command"],
            e.get("file"),
            e.get("message") or f'the server doesn\'t have a resource type "{e["resource"]}"',
            f"the simulator does not serve {e['resource']} yet: remove the entry once it does",
        )
        for e in data.get("not_served") or []
    ]
    return entries


def _excluded(command: CourseCommand) -> str | None:
    for pattern, reason in EXCLUDED:
        if pattern.search(command.text):
            return reason
    return None


COMMANDS = course_commands()
LABS = [
    (lab.name, yaml.safe_load((lab / "lab.yaml").read_text())["lesson"])
    for lab in sorted((ROOT / "labs").iterdir())
    if (lab / "lab.yaml").is_file()
]
NAMES = load_names()


def _params() -> list[Any]:
    fits = [(command, choose_scene(command, LABS, NAMES)) for command in COMMANDS]
    # Grouped by scene, so each lab is set up once per state.
    fits.sort(key=lambda pair: pair[1].scene.id if pair[1].scene else "~")
    params = []
    for command, fit in fits:
        reason = _excluded(command)
        marks = [pytest.mark.skip(reason=f"excluded: {reason}")] if reason else []
        params.append(pytest.param(command, fit, id=command.key, marks=marks))
    return params


class Scenes:
    """The lab scene now running on the session's server; switching resets the lab."""

    def __init__(self, api: SimApi, binary: Path, home: Path) -> None:
        from tutor.cluster.guard import Target
        from tutor.cluster.kube import KubeCluster

        self.api = api
        self.home = home
        self.cluster = KubeCluster(
            Target(
                backend="sim", context=api.context, kubeconfig=str(api.kubeconfig), server=api.url
            )
        )
        self.bin = home / "bin"
        self.bin.mkdir(exist_ok=True)
        (self.bin / "kubectl").symlink_to(binary)
        self.editor = home / "editor.sh"
        self.editor.write_text("#!/bin/sh\n# leaves the object as it is: kubectl says so\nexit 0\n")
        self.editor.chmod(0o755)
        self.current: Scene | None = None
        self.dirty = False
        self.live: Live | None = None
        self.kubeconfig = home / "kubeconfig"

    def use(self, scene: Scene, *, fresh: bool = False) -> Live:
        """Set `scene` up (unless it is the one running, untouched) and read its live state;
        a line that changes the cluster gets it `fresh` and leaves it changed."""
        if fresh or scene != self.current or self.live is None or self.dirty:
            self._start(scene)
        assert self.live is not None
        return self.live

    def _start(self, scene: Scene) -> None:
        from tutor.cluster.probes import ensure_probe_pod
        from tutor.content.loader import load_course
        from tutor.labs.session import LabSession

        lab = load_course().lab(scene.lab)
        assert lab is not None, scene.lab
        session = LabSession(lab, self.cluster, workspace=self.home / "ws" / lab.id)
        report = session.solve() if scene.state == "solution" else session.reset()
        assert report.ok, (scene.id, report.error, report.problems)
        wanted = sum(
            int((obj.get("spec") or {}).get("replicas", 1))
            for (kind, role, _), obj in read_manifests(scene).objects.items()
            if kind in {"Deployment", "StatefulSet"} and role == ""
        )
        assert self.cluster.wait_for(
            "Pod", session.namespace, lambda pods: len(pods) >= wanted, 20
        ), f"{scene.id}: {wanted} Pods did not appear"
        ensure_probe_pod(self.cluster, session.namespace, timeout=20)
        namespaces = {"": session.namespace}
        for real in session.namespaces.values():
            namespaces[real.rsplit("-", 1)[-1]] = real
        services = [s for ns in namespaces.values() for s in self.cluster.list("Service", ns)]
        pods = self.cluster.list("Pod", session.namespace)
        self.live = Live(namespaces, services, pods)
        self.current = scene
        self.dirty = False
        config = yaml.safe_load(self.api.kubeconfig.read_text())
        for context in config["contexts"]:
            context["context"]["namespace"] = session.namespace
        self.kubeconfig.write_text(yaml.safe_dump(config))
        self.kubeconfig.chmod(0o600)

    def run(self, text: str) -> subprocess.CompletedProcess[str]:
        """The line as a learner's shell runs it, with the lab's namespace as the context's."""
        env = {
            "PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(self.home),
            "KUBECONFIG": str(self.kubeconfig),
            "KUBE_EDITOR": str(self.editor),
        }
        return subprocess.run(
            ["bash", "-o", "pipefail", "-c", text],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.home,  # `> svc.yaml` writes here
            timeout=60,
        )


@pytest.fixture(scope="module")
def scenes(
    kubectl_binary: Path, sim_api_session: SimApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenes]:
    """One lab scene at a time on the session's simulator server."""
    yield Scenes(sim_api_session, kubectl_binary, tmp_path_factory.mktemp("course"))


@pytest.mark.parametrize(("command", "fit"), _params())
def test_course_command(command: CourseCommand, fit: Fit, scenes: Scenes) -> None:
    """The command exits 0 on its lab, or fails as `expected_failures.yaml` says."""
    assert fit.scene is not None, f"{command.where}: no lab has what it names ({fit.why_not})"
    live = scenes.use(fit.scene, fresh=changes(command.text))
    line = runnable(fill(command.text, fit.names, live))
    scenes.dirty = changes(command.text)
    done = scenes.run(line)
    shown = f"{command.where} on {fit.scene.id}\n$ {line}\n{done.stdout}{done.stderr}"
    print(shown)  # `pytest -s` shows what each command printed on its lab
    expected = [e for e in load_expected() if e.matches(command)]
    if expected:
        assert done.returncode != 0, f"expected to fail ({expected[0].reason}), passed:\n{shown}"
        assert expected[0].message in done.stdout + done.stderr, shown
        return
    assert done.returncode == 0, shown
    assert PROBE_POD not in command.text  # lessons name the probe `probe`; the test fills it in


def test_every_expected_failure_names_a_course_command() -> None:
    """An entry whose command is no longer in the course is stale and must go."""
    stale = [e.command for e in load_expected() if not any(e.matches(c) for c in COMMANDS)]
    assert stale == []


def test_extraction_finds_every_source() -> None:
    """Code blocks, diagrams, inline code, quiz explanations and lab hints all contribute."""
    origins = {c.origin for c in COMMANDS}
    assert origins == {"block", "diagram", "inline", "quiz", "hint"}
    lessons = {c.lesson for c in COMMANDS if c.origin == "block"}
    assert len(lessons) == len(list((ROOT / "lessons").glob("*/lesson.md")))
