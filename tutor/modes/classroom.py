"""A classroom on a shared cluster: per-learner namespaces, ServiceAccounts, RBAC and kubeconfigs.

`class init` makes, for each learner (their name is their namespace prefix):

- a home namespace `<prefix>-kube-tutor` holding their ServiceAccount `learner` and the
  ConfigMap `kube-tutor-progress` where their kube-tutor publishes their results;
- every lab namespace of the workshop's labs (`<prefix>-kt-<lab>` and the lab's extra
  namespaces), made up front because RBAC cannot grant "create namespaces named alice-*": a
  learner may read and patch their own namespaces (a RoleBinding in namespace NS covers the
  Namespace object NS itself) but create none;
- a Role and RoleBinding in each of those namespaces, and one ClusterRoleBinding to a shared
  read-only ClusterRole for the cluster-scoped kinds labs read (nodes, ingress and gateway
  classes);
- a kubeconfig holding a token of their ServiceAccount (TokenRequest).

Every object carries `app.kubernetes.io/managed-by=kube-tutor` and
`kube-tutor.dev/classroom=<name>`; `class remove` deletes only objects carrying both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tutor.cluster.base import LAB_LABEL, MANAGED_LABEL, MANAGED_VALUE, ClusterError
from tutor.cluster.kube import CLASSROOM_LABEL, LEARNER_LABEL
from tutor.cluster.kube_admin import delete_object, request_token, server_side_apply
from tutor.modes.workshop import ClassroomError

if TYPE_CHECKING:
    from tutor.cluster.kube import KubeCluster
    from tutor.content.loader import Lab
    from tutor.progress.store import ProgressStore

Obj = dict[str, Any]

HOME_SUFFIX = "kube-tutor"
ACCOUNT = "learner"
ROLE = "kube-tutor-learner"
READ_ROLE = "kube-tutor-classroom-read"
PROGRESS_MAP = "kube-tutor-progress"
RBAC = "rbac.authorization.k8s.io"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")

_EDIT_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
"""What a learner may do to the objects of their own lab namespaces."""
LAB_RULES: tuple[Obj, ...] = (
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "services",
            "endpoints",
            "configmaps",
            "secrets",
            "serviceaccounts",
        ],
        "verbs": list(_EDIT_VERBS),
    },
    {"apiGroups": [""], "resources": ["events", "pods/log"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/exec", "pods/portforward"], "verbs": ["get", "create"]},
    {
        "apiGroups": ["apps", "discovery.k8s.io", "networking.k8s.io", "gateway.networking.k8s.io"],
        "resources": ["*"],
        "verbs": list(_EDIT_VERBS),
    },
)
"""What a learner may do inside each of their lab namespaces (the kinds labs use)."""
READ_RULES: tuple[Obj, ...] = (
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["ingressclasses"],
        "verbs": ["get", "list", "watch"],
    },
    {
        "apiGroups": ["gateway.networking.k8s.io"],
        "resources": ["gatewayclasses"],
        "verbs": ["get", "list", "watch"],
    },
)
"""The cluster-scoped kinds labs read."""


@dataclass
class Plan:
    """What `class init` creates, in order (cluster-scoped objects first)."""

    classroom: str
    learners: list[str]
    objects: list[Obj] = field(default_factory=list)

    def namespaces(self) -> list[str]:
        """The namespaces of the plan."""
        return [o["metadata"]["name"] for o in self.objects if o["kind"] == "Namespace"]

    def lines(self) -> list[str]:
        """`Kind namespace/name` per object, for a dry run."""
        out = []
        for obj in self.objects:
            meta = obj["metadata"]
            where = f"{meta['namespace']}/" if meta.get("namespace") else ""
            out.append(f"{obj['kind']} {where}{meta['name']}")
        return out


def read_learners(path: Path) -> list[str]:
    """Learner names from a file: one per line (`#` comments), or a YAML list."""
    text = path.read_text(encoding="utf-8")
    loaded = yaml.safe_load(text) if text.lstrip().startswith(("-", "[")) else None
    if isinstance(loaded, list):
        names = [str(n).strip() for n in loaded]
    else:
        names = [line.split("#")[0].strip() for line in text.splitlines()]
    names = [n.lower() for n in names if n]
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise ClassroomError(
            f"learner names become namespace prefixes and must be lowercase letters, digits "
            f"and '-' (at most 32): {', '.join(bad)}"
        )
    if len(set(names)) != len(names):
        raise ClassroomError("a learner is listed twice in " + str(path))
    if not names:
        raise ClassroomError(f"{path} lists no learners")
    return names


def home_namespace(learner: str) -> str:
    """The learner's own namespace (ServiceAccount, published progress)."""
    return f"{learner}-{HOME_SUFFIX}"


def user_of(learner: str) -> str:
    """The user name the learner's token authenticates as."""
    return f"system:serviceaccount:{home_namespace(learner)}:{ACCOUNT}"


def _labels(classroom: str, learner: str | None = None, **extra: str) -> dict[str, str]:
    labels = {MANAGED_LABEL: MANAGED_VALUE, CLASSROOM_LABEL: classroom}
    if learner:
        labels[LEARNER_LABEL] = learner
    labels.update(extra)
    return labels


def _obj(kind: str, name: str, labels: dict[str, str], namespace: str = "", **body: Any) -> Obj:
    version = f"{RBAC}/v1" if kind.startswith(("Role", "Cluster")) else "v1"
    meta: Obj = {"name": name, "labels": labels}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": version, "kind": kind, "metadata": meta, **body}


def _binding(
    kind: str, name: str, role_kind: str, learner: str, labels: dict[str, str], namespace: str = ""
) -> Obj:
    return _obj(
        kind,
        name,
        labels,
        namespace,
        roleRef={
            "apiGroup": RBAC,
            "kind": role_kind,
            "name": ROLE if role_kind == "Role" else READ_ROLE,
        },
        subjects=[
            {"kind": "ServiceAccount", "name": ACCOUNT, "namespace": home_namespace(learner)}
        ],
    )


def plan(classroom: str, learners: Sequence[str], labs: Iterable[Lab]) -> Plan:
    """Every object `class init` makes for these learners and labs."""
    from tutor.labs.session import lab_namespaces

    labs = list(labs)
    result = Plan(classroom, list(learners))
    result.objects.append(
        _obj("ClusterRole", READ_ROLE, _labels(classroom), rules=[dict(r) for r in READ_RULES])
    )
    for learner in learners:
        home = home_namespace(learner)
        labels = _labels(classroom, learner)
        result.objects += [
            _obj("Namespace", home, labels),
            _obj("ServiceAccount", ACCOUNT, labels, home),
            _obj(
                "Role",
                ROLE,
                labels,
                home,
                rules=[
                    {
                        "apiGroups": [""],
                        "resources": ["configmaps"],
                        "verbs": ["get", "create", "update", "patch"],
                    },
                    {
                        "apiGroups": [""],
                        "resources": ["namespaces"],
                        "verbs": ["get"],
                        "resourceNames": [home],
                    },
                ],
            ),
            _binding("RoleBinding", ROLE, "Role", learner, labels, home),
            _binding(
                "ClusterRoleBinding", f"kube-tutor-{learner}-read", "ClusterRole", learner, labels
            ),
        ]
        for lab in labs:
            main, mapping = lab_namespaces(lab, learner)
            for namespace in [main, *mapping.values()]:
                ns_labels = _labels(classroom, learner, **{LAB_LABEL: lab.id})
                rules = [dict(r) for r in LAB_RULES] + [
                    {
                        "apiGroups": [""],
                        "resources": ["namespaces"],
                        "verbs": ["get", "patch", "update"],
                        "resourceNames": [namespace],
                    }
                ]
                result.objects += [
                    _obj("Namespace", namespace, ns_labels),
                    _obj("Role", ROLE, labels, namespace, rules=rules),
                    _binding("RoleBinding", ROLE, "Role", learner, labels, namespace),
                ]
    return result


def apply_plan(cluster: KubeCluster, the_plan: Plan) -> list[str]:
    """Create (or update) every object of the plan by server-side apply; refuses to take over
    a namespace of the same name that kube-tutor's classroom did not make."""
    done = []
    for obj in the_plan.objects:
        if obj["kind"] == "Namespace":
            current = cluster.get("Namespace", obj["metadata"]["name"])
            if (
                current is not None
                and (current["metadata"].get("labels") or {}).get(CLASSROOM_LABEL)
                != the_plan.classroom
            ):
                raise ClassroomError(
                    f"namespace {obj['metadata']['name']} exists and is not this classroom's; "
                    "nothing more was changed (rename the learner or delete that namespace)"
                )
        server_side_apply(cluster, obj, field_manager="kube-tutor-classroom")
        done.append(
            f"{obj['kind']} {obj['metadata'].get('namespace', '')}/"
            f"{obj['metadata']['name']}".replace(" /", " ")
        )
    return done


def learner_kubeconfig(cluster: KubeCluster, learner: str, *, hours: int = 24) -> str:
    """A kubeconfig for the learner: the instructor's cluster entry (server, CA) and a token of
    the learner's ServiceAccount; context `kube-tutor-<learner>`, namespace their home."""
    token = request_token(cluster, home_namespace(learner), ACCOUNT, seconds=hours * 3600)
    cluster_entry = _cluster_entry(cluster)
    name = f"kube-tutor-{learner}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster_entry}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [
            {
                "name": name,
                "context": {"cluster": name, "user": name, "namespace": home_namespace(learner)},
            }
        ],
        "current-context": name,
    }
    return yaml.safe_dump(config, sort_keys=False)


def _cluster_entry(cluster: KubeCluster) -> Obj:
    import os

    target = cluster.target
    contexts: dict[str, Obj] = {}
    clusters: dict[str, Obj] = {}
    for part in target.kubeconfig.split(os.pathsep):
        try:
            data = yaml.safe_load(Path(part).read_text(encoding="utf-8")) or {}
        except OSError:
            continue
        for c in data.get("contexts") or []:
            contexts.setdefault(c["name"], c.get("context") or {})
        for c in data.get("clusters") or []:
            clusters.setdefault(c["name"], dict(c.get("cluster") or {}))
    entry = clusters.get(str(contexts.get(target.context, {}).get("cluster")))
    if entry is None:
        raise ClassroomError(f"context {target.context} names no cluster in the kubeconfig")
    if "certificate-authority" in entry:  # a file path would not travel with the kubeconfig
        import base64

        ca = Path(entry.pop("certificate-authority")).read_bytes()
        entry["certificate-authority-data"] = base64.b64encode(ca).decode("ascii")
    return entry


def remove(cluster: KubeCluster, classroom: str, *, dry_run: bool = False) -> list[str]:
    """Delete the classroom's labelled objects: its namespaces (and all in them), its
    ClusterRoleBindings and its ClusterRole. Objects without both labels are never touched."""
    selector = {MANAGED_LABEL: MANAGED_VALUE, CLASSROOM_LABEL: classroom}
    found = [
        (kind, item["metadata"]["name"])
        for kind in ("ClusterRoleBinding", "ClusterRole", "Namespace")
        for item in cluster.list(kind, None, selector)
    ]
    if not dry_run:
        for kind, name in found:
            delete_object(cluster, kind, name)  # already gone (a namespace ending) is fine
    return [f"{kind} {name}" for kind, name in found]


from tutor.cluster.kube_namespaces import EMPTIED_KINDS, empty_namespace  # noqa: E402, F401

# -- results ----------------------------------------------------------------------------


def publish(cluster: Any, report: Obj) -> bool:
    """Publish a learner's progress report to the ConfigMap in their home namespace; False
    (and nothing sent) when the cluster is no classroom's."""
    prefix = getattr(cluster, "namespace_prefix", "")
    if not prefix or getattr(cluster, "backend", "") != "context":
        return False
    home = home_namespace(prefix)
    try:
        namespace = cluster.get("Namespace", home)
    except ClusterError:
        return False
    if not (namespace and (namespace["metadata"].get("labels") or {}).get(CLASSROOM_LABEL)):
        return False  # a namespace of that name no classroom made is left alone
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": PROGRESS_MAP,
            "namespace": home,
            "labels": {MANAGED_LABEL: MANAGED_VALUE, LEARNER_LABEL: prefix},
        },
        "data": {"report.json": json.dumps(report, sort_keys=True)},
    }
    try:
        server_side_apply(cluster, body, field_manager="kube-tutor")
    except ClusterError:
        return False  # no classroom here (or no right to write): the local record stands
    return True


def publish_progress(cluster: Any, store: ProgressStore) -> bool:
    """Publish the learner's whole progress report (see `publish`)."""
    from tutor.modes.export import progress_report

    prefix = getattr(cluster, "namespace_prefix", "")
    if not prefix:
        return False
    return publish(cluster, progress_report(store, learner=prefix))


def collect(cluster: KubeCluster, classroom: str) -> dict[str, Obj | None]:
    """Each learner's published report (None for one who published nothing yet)."""
    selector = {MANAGED_LABEL: MANAGED_VALUE, CLASSROOM_LABEL: classroom}
    learners = sorted(
        (item["metadata"].get("labels") or {}).get(LEARNER_LABEL, "")
        for item in cluster.list("Namespace", None, selector)
        if item["metadata"]["name"].endswith(f"-{HOME_SUFFIX}")
    )
    out: dict[str, Obj | None] = {}
    for learner in learners:
        cm = cluster.get("ConfigMap", PROGRESS_MAP, home_namespace(learner))
        raw = ((cm or {}).get("data") or {}).get("report.json")
        out[learner] = json.loads(raw) if raw else None
    return out


# -- the report -------------------------------------------------------------------------

REPORT_COLUMNS = ("learner", "item", "done", "attempts", "seconds", "hints", "last diagnosis")


def report_rows(reports: dict[str, Obj | None]) -> list[tuple[str, ...]]:
    """One row per learner and lab or quiz they touched (a learner with nothing: one row)."""
    rows: list[tuple[str, ...]] = []
    for learner, report in sorted(reports.items()):
        if not report:
            rows.append((learner, "-", "", "0", "", "", "nothing published yet"))
            continue
        touched = False
        for lab in report.get("labs") or []:
            if not lab.get("attempts"):
                continue
            touched = True
            rows.append(
                (
                    learner,
                    f"lab {lab['id']}",
                    "yes" if lab.get("passed") else "no",
                    str(lab.get("attempts", 0)),
                    "" if lab.get("seconds_to_pass") is None else str(lab["seconds_to_pass"]),
                    str(lab.get("hints_total", 0)),
                    lab.get("last_diagnosis") or "",
                )
            )
        for quiz in report.get("quizzes") or []:
            if not quiz.get("attempts"):
                continue
            touched = True
            score = quiz.get("best_score")
            rows.append(
                (
                    learner,
                    f"quiz {quiz['lesson']}",
                    "yes" if quiz.get("passed") else "no",
                    str(quiz.get("attempts", 0)),
                    str(quiz.get("seconds", "")),
                    "",
                    "" if score is None else f"best score {score}",
                )
            )
        if not touched:
            rows.append((learner, "-", "", "0", "", "", "no lab or quiz yet"))
    return rows


def report_csv(rows: Sequence[tuple[str, ...]]) -> str:
    """The report as CSV (a header row first)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def report_text(rows: Sequence[tuple[str, ...]]) -> str:
    """The report as an aligned plain-text table."""
    table = [REPORT_COLUMNS, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(REPORT_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    )


def report_html(classroom: str, rows: Sequence[tuple[str, ...]]) -> str:
    """A standalone HTML page of the report (no scripts, no external files)."""
    from html import escape

    head = "".join(f"<th>{escape(c)}</th>" for c in REPORT_COLUMNS)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    title = escape(f"kube-tutor classroom {classroom}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;text-align:left}</style></head>\n"
        f"<body><h1>{title}</h1>\n<table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n"
        "</tbody></table></body></html>\n"
    )
