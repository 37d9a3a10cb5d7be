"""`kube-tutor cluster ...` from the shell: dry run, no Docker, light imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tutor.cli import main


def test_up_dry_run_prints_a_valid_kind_config_and_the_steps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["cluster", "up", "--dry-run"]) == 0
    out = capsys.readouterr().out
    config_text, _, steps = out.partition("Steps of `up`:")
    config = yaml.safe_load(config_text)
    assert config["name"] == "kube-tutor"
    assert len(config["nodes"]) == 4
    zones = [n["labels"]["topology.kubernetes.io/zone"] for n in config["nodes"]]
    assert zones == ["zone-a", "zone-a", "zone-b", "zone-c"]
    ports = [m["hostPort"] for m in config["nodes"][0]["extraPortMappings"]]
    assert ports == list(range(30080, 30090))
    for words in ("kind create cluster", "cloud-provider-kind", "kind load docker-image"):
        assert words in steps
    assert "Ready" in steps and "GatewayClass" in steps


def _run_without_tools(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run kube-tutor with a PATH that has no docker, podman, kind or kubectl."""
    env = {
        **os.environ,
        "PATH": str(tmp_path / "empty-bin"),
        "KUBE_TUTOR_HOME": str(tmp_path / "home"),
        "KUBECONFIG": str(tmp_path / "no-kubeconfig"),
    }
    (tmp_path / "empty-bin").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_up_without_docker_exits_nonzero_with_a_clear_message(tmp_path: Path) -> None:
    done = _run_without_tools(tmp_path, "cluster", "up")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "docker is not installed" in done.stderr
    assert "kind is not installed" in done.stderr
    assert "kubectl is not installed" in done.stderr
    assert "--backend sim" in done.stderr


def test_status_without_docker_says_what_is_missing(tmp_path: Path) -> None:
    done = _run_without_tools(tmp_path, "cluster", "status")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "not created" in done.stdout
    assert "[--] loadbalancer" in done.stdout


def test_status_json_is_a_document(tmp_path: Path) -> None:
    import json

    done = _run_without_tools(tmp_path, "cluster", "status", "--json")
    document = json.loads(done.stdout)
    assert document["cluster_exists"] is False
    assert set(document["missing"]) == {
        "nodeport-host",
        "loadbalancer",
        "ingress",
        "gateway",
        "zones",
        "dns",
    }


def test_clean_without_a_cluster_is_refused_cleanly(tmp_path: Path) -> None:
    done = _run_without_tools(tmp_path, "cluster", "clean")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "kube-tutor cluster up" in done.stderr


def test_cluster_cli_imports_no_kubernetes_client() -> None:
    code = (
        "import sys, tutor.cli.cluster, tutor.cluster.kind, tutor.cluster.guard, "
        "tutor.cluster.connect, tutor.cluster.kube, tutor.cluster.probes; "
        "print('kubernetes' in sys.modules, 'textual' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False"]
