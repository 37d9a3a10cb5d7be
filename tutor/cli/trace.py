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
    p.add_argument("target", help="URL (http://web/hostname), host:port (tcp) or a DNS name")
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
    from tutor.checks.explain import explain_failure
    from tutor.cli import plain_requested
    from tutor.cli.lab import open_session
    from tutor.cluster.base import ClusterError, ProbeRequest
    from tutor.cluster.sim.trace import trace

    args.id = args.lab
    session = open_session(args)
    if session is None:
        return 2
    ctx = session.context()
    try:
        target = ctx.expand(args.target)
    except Unresolved as exc:
        print(f"kube-tutor: {exc}", file=sys.stderr)
        return 2
    protocol = args.protocol or ("http" if "://" in target else "tcp" if ":" in target else "dns")
    headers = dict(h.split(":", 1) for h in args.header if ":" in h)
    request = ProbeRequest(
        protocol=protocol,
        target=target,
        namespace=session.namespace,
        source=args.source,
        headers={k.strip(): v.strip() for k, v in headers.items()},
        record_type=args.record_type,
    )
    try:
        result = trace(session.cluster, request)
    except ClusterError as exc:
        print(f"kube-tutor: {exc}", file=sys.stderr)
        return 1
    print(result.render(plain=plain_requested(args)))
    hop = result.failing_hop
    if hop is not None:
        params = {
            "url" if protocol == "http" else "target": args.target,
            "from": args.source,
            "headers": dict(request.headers),
        }
        for diagnosis in explain_failure(ctx, hop.failure, params):
            print(f"\nWhy ({diagnosis.hop}): {diagnosis.message}")
            for line in diagnosis.evidence:
                print(f"  - {line}")
            if diagnosis.lesson:
                print(f"  See lesson {diagnosis.lesson}.")
    return 0 if result.ok else 1
