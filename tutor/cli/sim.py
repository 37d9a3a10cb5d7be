"""`kube-tutor sim start|stop|status|kubeconfig`: the simulated cluster's API server.

Labs start it on demand; these commands are for looking at it with kubectl:
`eval "$(kube-tutor sim kubeconfig)"` points this shell's kubectl at it.
"""

from __future__ import annotations

import argparse
import shlex
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `sim` command group."""
    from tutor.cli import add_global_options

    parser = sub.add_parser("sim", help="the simulated cluster's Kubernetes API (for kubectl)")
    actions = parser.add_subparsers(dest="sim_action", metavar="ACTION", required=True)
    for name, text in (
        ("start", "start the simulator's API server (labs start it on demand too)"),
        ("stop", "stop it (its state is kept: labs resume where they were)"),
        ("status", "is it running, where, and which kubeconfig to use"),
        ("kubeconfig", "print the `export KUBECONFIG=...` line for kubectl"),
    ):
        action = actions.add_parser(name, help=text)
        add_global_options(action)
        if name == "kubeconfig":
            action.add_argument(
                "--merge",
                action="store_true",
                help="also add context kube-tutor-sim to ~/.kube/config (nothing else changes)",
            )
        action.set_defaults(handler=cmd_sim)


def cmd_sim(args: argparse.Namespace) -> int:
    """Run one `sim` action."""
    from tutor.cli import EXIT_FAILED, EXIT_OK
    from tutor.cluster.base import ClusterError
    from tutor.cluster.sim.api import control

    action = args.sim_action
    try:
        if action == "stop":
            stopped = control.stop()
            print("Stopped the simulator's API server." if stopped else "It was not running.")
            return EXIT_OK
        if action == "status":
            info = control.status()
            if info is None:
                print("The simulator's API server is not running (`kube-tutor sim start`).")
                return EXIT_FAILED
            print(f"Running at {info.url} (pid {info.pid}); kubeconfig {info.kubeconfig}")
            print(f"export KUBECONFIG={shlex.quote(str(info.kubeconfig))}")
            return EXIT_OK
        info = control.ensure_running()
    except ClusterError as error:
        print(f"kube-tutor: {error}", file=sys.stderr)
        return EXIT_FAILED
    if action == "start":
        print(f"The simulated cluster answers at {info.url} (context kube-tutor-sim).")
        print("Use it with kubectl in this shell:")
    if action == "kubeconfig" and args.merge:
        from tutor.cluster.sim.api.kubeconfig_merge import merge_into_default

        where = merge_into_default(info.kubeconfig)
        print(f"# context kube-tutor-sim added to {where}", file=sys.stderr)
    print(f"export KUBECONFIG={shlex.quote(str(info.kubeconfig))}")
    return EXIT_OK
