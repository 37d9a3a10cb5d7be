"""`kube-tutor doctor`: one screen saying what the kind path needs and how to fix each part."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `doctor` command."""
    from tutor.cli import add_global_options

    p = sub.add_parser(
        "doctor",
        help="check docker/podman, kind, kubectl, cloud-provider-kind and the cluster",
        description="Which parts of the kind practice cluster are ready, each with the one "
        "command that fixes it. The simulator needs none of them.",
    )
    add_global_options(p)
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Print the findings; 0 when everything is ready, 1 otherwise."""
    from tutor.cluster.doctor import diagnose
    from tutor.cluster.kind import KindLifecycle

    findings = diagnose(KindLifecycle())
    width = max(len(f.item) for f in findings)
    for finding in findings:
        mark = "[ok]" if finding.ok else "[--]"
        print(f"{mark} {finding.item.ljust(width)}  {finding.detail}")
        if finding.fix:
            print(f"     {' ' * width}  fix: {finding.fix}")
    ready = all(f.ok for f in findings)
    print(
        "Everything is ready."
        if ready
        else "Labs still run on the simulator meanwhile: --backend sim."
    )
    return 0 if ready else 1
