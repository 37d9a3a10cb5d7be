"""`kube-tutor class init|remove|report`: run a workshop on a shared cluster (or rehearse on the
simulator). `init` and `remove` show what they would do and change nothing without `--apply`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.cluster.kube import KubeCluster
    from tutor.content.loader import Course, Lab

DEFAULT_NAME = "workshop"  # tutor.modes.classroom_report.DEFAULT_CLASSROOM


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `class` and its actions."""
    from tutor.cli import add_global_options

    parser = sub.add_parser("class", help="a classroom on a shared cluster (instructors)")
    actions = parser.add_subparsers(dest="class_action", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        add_global_options(p)
        where = p.add_mutually_exclusive_group(required=True)
        where.add_argument("--context", help="the instructor's kubeconfig context (cluster-admin)")
        where.add_argument(
            "--sim", action="store_true", help="rehearse on kube-tutor's simulator instead"
        )
        p.add_argument("--name", default=DEFAULT_NAME, help="the classroom's name (a label value)")
        p.set_defaults(handler=cmd_class)

    init = actions.add_parser("init", help="namespaces, RBAC and a kubeconfig per learner")
    common(init)
    init.add_argument("--learners", type=Path, required=True, help="file: one learner a line")
    init.add_argument("--labs", help="comma-separated lab ids (default: course.yaml, or all)")
    init.add_argument("--out", type=Path, default=Path("classroom"), help="kubeconfigs go here")
    init.add_argument("--token-hours", type=int, default=24, help="lifetime of learner tokens")
    _apply_flags(init)

    remove = actions.add_parser("remove", help="delete exactly what `class init` made")
    common(remove)
    _apply_flags(remove)

    report = actions.add_parser("report", help="learners x labs and quizzes, live or from files")
    add_global_options(report)
    where = report.add_mutually_exclusive_group(required=True)
    where.add_argument("--context", help="read the learners' published results from here")
    where.add_argument("--sim", action="store_true", help="read them from the simulator")
    where.add_argument(
        "--files", type=Path, nargs="+", help="`kube-tutor progress report` JSON files instead"
    )
    report.add_argument("--name", default=DEFAULT_NAME, help="the classroom's name")
    form = report.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="CSV on standard output")
    form.add_argument("--html", type=Path, metavar="FILE", help="write a standalone HTML page")
    report.set_defaults(handler=cmd_class)


def _apply_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--apply", action="store_true", help="do it (default: a dry run)")
    group.add_argument("--dry-run", action="store_true", help="only show what would be done")


def _cluster(args: argparse.Namespace) -> KubeCluster:
    from tutor.cluster.kube import KubeCluster

    if args.sim:
        from tutor.cluster.sim.api.control import ensure_running, sim_target

        return KubeCluster(sim_target(ensure_running()))
    from tutor.cluster.guard import resolve_target

    return KubeCluster(resolve_target("context", args.context))


def chosen_labs(course: Course, labs: str | None, content: list[Path]) -> list[Lab]:
    """The workshop's labs: `--labs`, else the pack's `course.yaml`, else every lab."""
    from tutor.modes.workshop import ClassroomError, read_course_file

    ids: list[str] | None = [x.strip() for x in labs.split(",") if x.strip()] if labs else None
    if ids is None:
        for folder in content:
            plan = read_course_file(folder)
            if plan is not None and plan.labs:
                ids = plan.labs
    if ids is None:
        return list(course.labs)
    by_id = {lab.id: lab for lab in course.labs}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ClassroomError(f"no such lab: {', '.join(missing)}")
    return [by_id[i] for i in ids]


def cmd_class(args: argparse.Namespace) -> int:
    """Run `class init|remove|report`."""
    from tutor.cluster.base import ClusterError
    from tutor.modes.workshop import ClassroomError

    try:
        if args.class_action == "init":
            return _init(args)
        if args.class_action == "remove":
            return _remove(args)
        return _report(args)
    except (ClassroomError, ClusterError) as exc:
        print(f"kube-tutor class {args.class_action}: {exc}", file=sys.stderr)
        return 1


def _init(args: argparse.Namespace) -> int:
    from tutor.cli.course import load
    from tutor.cluster.sim.api.credentials import write_private
    from tutor.modes import classroom

    learners = classroom.read_learners(args.learners)
    labs = chosen_labs(load(args), args.labs, list(args.content))
    plan = classroom.plan(args.name, learners, labs)
    if not args.apply:
        for line in plan.lines():
            print(f"would apply {line}")
        print(
            f"dry run: {len(plan.objects)} objects for {len(learners)} learners and "
            f"{len(labs)} labs; nothing was changed. Run again with --apply to create them."
        )
        return 0
    cluster = _cluster(args)
    for line in classroom.apply_plan(cluster, plan):
        print(f"applied {line}")
    args.out.mkdir(parents=True, exist_ok=True)
    for learner in learners:
        path = args.out / f"{learner}.kubeconfig"
        text = classroom.learner_kubeconfig(cluster, learner, hours=args.token_hours)
        write_private(path, text.encode("utf-8"))
        print(f"wrote {path}")
    example = learners[0]
    print(
        f"Give each learner their kubeconfig; they work with\n"
        f"  KUBECONFIG={args.out / (example + '.kubeconfig')} kube-tutor lab start LAB "
        f"--backend context --context kube-tutor-{example} --namespace-prefix {example}\n"
        f"and `kube-tutor class report {'--sim' if args.sim else '--context ' + args.context}` "
        "shows their results."
    )
    return 0


def _remove(args: argparse.Namespace) -> int:
    from tutor.modes import classroom

    cluster = _cluster(args)
    found = classroom.remove(cluster, args.name, dry_run=not args.apply)
    verb = "deleted" if args.apply else "would delete"
    for line in found:
        print(f"{verb} {line}")
    if not args.apply:
        print(f"dry run: {len(found)} objects; nothing was changed. Run again with --apply.")
    elif not found:
        print(f"nothing carries the labels of classroom {args.name}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from tutor.modes.classroom_report import report_from_cluster, report_from_files

    if args.files:
        report = report_from_files(args.files, args.name)
    else:
        report = report_from_cluster(_cluster(args), args.name)
    if args.csv:
        print(report.csv(), end="")
    elif args.html:
        args.html.write_text(report.html(), encoding="utf-8")
        print(f"wrote {args.html}")
    else:
        print(report.summary())
        print(report.text())
    return 0
