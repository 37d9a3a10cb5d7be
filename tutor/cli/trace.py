"""`kube-tutor trace`: explain one request hop by hop, in a lab's namespace."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `trace` command."""
    from tutor.cli import add_global_options
    from tutor.cli.lab import add_backend_options

    p = sub.add_parser(
        "trace", help="explain one request hop by hop (DNS, Service, endpoints, Pod)"
    )
    p.add_argument("lab", help="the lab whose namespace the request starts in")
    p.add_argument(
        "target",
        nargs="?",
        default=None,
        help="URL (http://web/hostname), host:port (tcp) or a DNS name "
        "(default: the request of the first failing traffic check, as the app does)",
    )
    p.add_argument(
        "--protocol",
        choices=["http", "tcp", "dns"],
        default=None,
        help="default: http for URLs, tcp for host:port, dns otherwise",
    )
    p.add_argument(
        "--from",
        dest="source",
        default="probe",
        help="probe (a Pod in the lab namespace), host, pod:NAME or node:NAME",
    )
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE")
    p.add_argument(
        "--type", dest="record_type", default="A", choices=["A", "AAAA", "SRV", "CNAME", "PTR"]
    )
    add_backend_options(p)
    add_global_options(p)
    p.set_defaults(handler=cmd_trace)


def cmd_trace(args: argparse.Namespace) -> int:
    """Print the hops; exit 0 when the request gets through, 1 when a hop fails."""
    from tutor.checks.context import Unresolved
    from tutor.cli import plain_requested
    from tutor.cli.lab import open_session
    from tutor.cli.text import terminal_width
    from tutor.cluster.base import ClusterError
    from tutor.labs.trace import (
        check_request,
        check_to_trace,
        parse_headers,
        run_trace,
        target_request,
    )

    args.id = args.lab
    session = open_session(args)
    if session is None:
        return 2
    try:
        # A check round first, as the app has always run one before a trace: it names the
        # failing check whose request is traced, and it starts the lab's probe Pod, so the
        # trace starts from the same real Pod in both.
        result = session.check(record=False)
        ctx = session.context()
        if args.target is None:
            spec = check_to_trace(session.lab.spec.checks, result.verdicts)
            found = check_request(ctx, spec) if spec is not None else None
            if found is None:
                print("kube-tutor: this lab has no traffic check; give a target.", file=sys.stderr)
                return 2
            print(f"Tracing the request of check {spec.id if spec else ''}: {found.label}")
            traced = found
        else:
            traced = target_request(
                ctx,
                args.target,
                protocol=args.protocol,
                source=args.source,
                headers=parse_headers(args.header),
                record_type=args.record_type,
            )
    except Unresolved as exc:
        print(f"kube-tutor: {exc}", file=sys.stderr)
        return 2
    except ClusterError as exc:
        print(f"kube-tutor: {exc}", file=sys.stderr)
        return 1
    try:
        report = run_trace(ctx, traced)
    except ClusterError as exc:
        print(f"kube-tutor: {exc}", file=sys.stderr)
        return 1
    from tutor.labs.clustermap import TracedPath, save_trace

    save_trace(session.lab.id, TracedPath.from_report(report))  # the map shows it
    # On a terminal the hops use its width; piped output keeps the stable 78 columns.
    width = terminal_width() if sys.stdout.isatty() else None
    print(report.render(plain=plain_requested(args), width=width))
    return 0 if report.ok else 1
