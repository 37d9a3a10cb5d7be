"""`kube-tutor cluster up|down|status|clean`: the kind practice cluster from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.cluster.kind import KindLifecycle, ProgressFn

ACTIONS = ("up", "down", "status", "clean")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `cluster` command."""
    from tutor.cli import add_global_options

    p = sub.add_parser(
        "cluster",
        help="create, inspect or remove the kind practice cluster",
        description=(
            "up: create the kind cluster `kube-tutor` (1 control-plane + 3 zoned workers), "
            "start cloud-provider-kind and preload images; down: remove all of it; "
            "status: what runs and which lab capabilities work; clean: delete only the lab "
            "namespaces kube-tutor made. On a terminal each step shows a spinner and its "
            "elapsed time (--plain: plain lines); `up` logs everything to cluster-up.log in "
            "kube-tutor's data folder."
        ),
    )
    p.add_argument("action", choices=ACTIONS)
    p.add_argument(
        "--dry-run", action="store_true", help="up: print the kind config and the steps only"
    )
    p.add_argument(
        "--no-cloud-provider",
        action="store_true",
        help="up: do not start cloud-provider-kind (no LoadBalancer, Ingress or Gateway labs)",
    )
    p.add_argument("--timeout", type=float, default=300.0, help="up: seconds to wait for the nodes")
    p.add_argument("--json", action="store_true", help="status: print a JSON document")
    p.add_argument(
        "--force",
        action="store_true",
        help="clean: first unblock kube-tutor's namespaces stuck in Terminating "
        "(LoadBalancer finalizers, Pods that do not stop)",
    )
    p.add_argument(
        "--backend",
        choices=["kind", "context"],
        default="kind",
        help="clean: the cluster to clean (default: kind)",
    )
    p.add_argument("--context", help="clean with --backend context: the context to use")
    p.add_argument("--namespace-prefix", help="clean with --backend context: your prefix")
    add_global_options(p)
    p.set_defaults(handler=cmd_cluster)


def cmd_cluster(args: argparse.Namespace) -> int:
    """Run one cluster action; 0 when it worked, 1 when it did not (with the reason)."""
    from tutor.cli import plain_requested
    from tutor.cli.progress_view import progress_view
    from tutor.cluster.base import ClusterError
    from tutor.cluster.kind import KindLifecycle

    lifecycle = KindLifecycle(
        images=_course_images(args),
        cloud_provider=not args.no_cloud_provider,
        # where cloud-provider-kind needs sudo, wait while the learner starts it
        cloud_provider_wait=300.0 if sys.stdin.isatty() else 0.0,
    )
    view = progress_view(sys.stdout, plain=plain_requested(args))
    try:
        if args.action == "up":
            if args.dry_run:
                print(lifecycle.dry_run())
                return 0
            print(f"Every step and the tools' output are also logged to {lifecycle.log_path}")
            lifecycle.up(view, timeout=args.timeout)
            print(f"The practice cluster is ready (context {_context()}).")
            return 0
        if args.action == "down":
            lifecycle.down(view)
            return 0
        if args.action == "status":
            return _status(lifecycle, as_json=args.json)
        return _clean(lifecycle, args, view)
    except ClusterError as exc:
        view.close()
        print(f"kube-tutor: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(exc.hint, file=sys.stderr)
        return 1
    finally:
        view.close()


def _context() -> str:
    from tutor.cluster.kind import CONTEXT_NAME

    return CONTEXT_NAME


def _status(lifecycle: KindLifecycle, *, as_json: bool) -> int:
    status = lifecycle.status()
    if as_json:
        document = {
            "engine": status.engine,
            "engine_problem": status.engine_problem or None,
            "cluster_exists": status.cluster_exists,
            "nodes": [
                {"name": name, "ready": ready, "zone": zone} for name, ready, zone in status.nodes
            ],
            "cloud_provider_pid": status.cloud_provider_pid,
            "capabilities": status.capabilities,
            "missing": status.missing,
            "problem": status.problem or None,
        }
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        print("\n".join(status.lines()))
    return 0 if status.cluster_exists and not status.problem else 1


def _clean(lifecycle: KindLifecycle, args: argparse.Namespace, view: ProgressFn) -> int:
    from tutor.cluster.connect import open_cluster

    if args.backend == "context":
        lifecycle._kube_factory = lambda: open_cluster(
            "context", args.context, namespace_prefix=args.namespace_prefix
        )
    removed = lifecycle.clean(view, force=args.force)
    if removed:
        print(f"Deleted {len(removed)} lab namespace(s).")
    else:
        print("No lab namespaces to delete.")
    return 0


def _course_images(args: argparse.Namespace) -> list[str]:
    """Images named in the labs' manifests (start/ and solution/), to preload."""
    try:
        import yaml

        from tutor.cluster.kind import lab_images
        from tutor.content.loader import load_course

        course = load_course(getattr(args, "content", []) or [])
        manifests = []
        for lab in course.labs:
            for folder in (lab.start_dir, lab.solution_dir):
                for path in sorted(folder.glob("**/*.y*ml")):
                    manifests += [d for d in yaml.safe_load_all(path.read_text()) if d]
        return lab_images(manifests)
    except Exception:  # a broken course must not stop cluster commands; lint reports it
        return []
