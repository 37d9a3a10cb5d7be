"""`kube-tutor doctor`: what the kind path needs, each item ready or with the one fix."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.cluster.base import ClusterError
from tutor.cluster.capabilities import CAPABILITIES
from tutor.cluster.kind import KindLifecycle
from tutor.cluster.kind_config import NODE_IMAGE
from tutor.cluster.kind_tools import CLOUD_PROVIDER_KIND, KIND, KUBECTL, elevated_command


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's screen."""

    item: str
    ok: bool
    detail: str
    fix: str = ""
    """The one command (or step) that fixes it."""


def diagnose(life: KindLifecycle) -> list[Finding]:
    """Engine, tools, image store, node image, cloud-provider-kind and capabilities."""
    found: list[Finding] = []
    engine = life.engine()
    engine_check = life.check_tool(engine)
    running = ""
    if engine_check.ok:
        running = life.check_engine_running()
    found.append(
        Finding(
            engine.name,
            engine_check.ok and not running,
            running or engine_check.summary,
            ""
            if engine_check.ok and not running
            else (
                "podman machine start"
                if engine.name == "podman"
                else "start Docker Desktop, or `sudo systemctl start docker`"
            )
            if engine_check.ok
            else engine.install,
        )
    )
    for tool in (KIND, KUBECTL, CLOUD_PROVIDER_KIND):
        check = life.check_tool(tool)
        found.append(Finding(tool.name, check.ok, check.summary, "" if check.ok else tool.install))
    engine_up = engine_check.ok and not running
    if engine_up:
        store = life.image_store()
        found.append(
            Finding(
                "image store",
                store != "unknown",
                {
                    "classic": "Docker's classic store: images load with `kind load docker-image`",
                    "containerd": "Docker's containerd image store: kube-tutor saves the nodes' platform and loads an archive",
                    "podman": "podman: kube-tutor saves an archive and loads it",
                    "unknown": "could not tell Docker's image store",
                }[store],
            )
        )
        image = life.runner.run(
            [engine.command, "image", "inspect", "--format", "{{.Id}}", NODE_IMAGE], timeout=60
        )
        found.append(
            Finding(
                "node image",
                image.ok,
                "kindest/node v1.37.0 is downloaded"
                if image.ok
                else "kindest/node v1.37.0 is not downloaded yet (`cluster up` does it)",
                "" if image.ok else f"{engine.command} pull {NODE_IMAGE}",
            )
        )
    pid = life.cloud_provider_pid()
    start = (
        elevated_command(life.platform) if life._needs_learner_start() else "kube-tutor cluster up"
    )
    found.append(
        Finding(
            "cloud-provider-kind running",
            pid is not None,
            f"pid {pid}" if pid else "not running (no LoadBalancer, Ingress or Gateway labs)",
            "" if pid else start,
        )
    )
    if engine_up:
        try:
            status = life.status()
        except ClusterError as exc:
            found.append(Finding("cluster", False, str(exc), "kube-tutor cluster up"))
            return found
        for cap in CAPABILITIES:
            if cap in status.capabilities:
                found.append(Finding(f"capability {cap}", True, status.capabilities[cap]))
            else:
                why = status.missing.get(cap, "not available")
                fix = why.split("run `", 1)[1].split("`", 1)[0] if "run `" in why else ""
                found.append(Finding(f"capability {cap}", False, why, fix))
    return found
