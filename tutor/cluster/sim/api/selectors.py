"""Label and field selectors as the API server parses them (`labelSelector`, `fieldSelector`).

Label selector syntax: `k8s.io/apimachinery/pkg/labels/selector.go` (`=`, `==`, `!=`, `in`,
`notin`, exists, `!key`). Field selectors: `k8s.io/apimachinery/pkg/fields/selector.go`
(`=`, `==`, `!=`), with the field labels each kind supports (`pkg/registry/*/strategy.go`,
`*ToSelectableFields`); an unsupported one is a 400 `field label not supported: X`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


class SelectorError(ValueError):
    """A selector the API server would refuse with 400 BadRequest."""


@dataclass(frozen=True)
class Requirement:
    """One term of a label selector."""

    key: str
    op: str
    """`=`, `!=`, `in`, `notin`, `exists`, `!`."""
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when the labels satisfy this term."""
        if self.op == "exists":
            return self.key in labels
        if self.op == "!":
            return self.key not in labels
        if self.op in ("=", "in"):
            return labels.get(self.key) in self.values
        # != and notin match objects without the key too
        return labels.get(self.key) not in self.values


_SET_TERM = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ_TERM = re.compile(r"^\s*([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside `( )`."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return [t for t in terms if t.strip()]


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse `labelSelector`; raises `SelectorError` on bad syntax."""
    requirements: list[Requirement] = []
    for term in _split_terms(text or ""):
        eq = _EQ_TERM.match(term)
        if eq:
            key, op, value = eq.groups()
            requirements.append(
                Requirement(key, "=" if op in ("=", "==") else "!=", frozenset({value}))
            )
            continue
        found = _SET_TERM.match(term)
        if not found:
            raise SelectorError(f"unable to parse requirement: {term.strip()}")
        bang, key, op, values = found.groups()
        if op:
            if bang:
                raise SelectorError(f"unable to parse requirement: {term.strip()}")
            items = frozenset(v.strip() for v in values.split(",") if v.strip())
            requirements.append(Requirement(key, op, items))
        else:
            requirements.append(Requirement(key, "!" if bang else "exists"))
    return requirements


def labels_match(requirements: list[Requirement], obj: Obj) -> bool:
    """True when the object's labels satisfy every requirement."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(r.matches(labels) for r in requirements)


def _dig(*path: str) -> Callable[[Obj], str]:
    def read(obj: Obj) -> str:
        value: Any = obj
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return read


_COMMON: dict[str, Callable[[Obj], str]] = {
    "metadata.name": _dig("metadata", "name"),
    "metadata.namespace": _dig("metadata", "namespace"),
}
FIELD_LABELS: dict[str, dict[str, Callable[[Obj], str]]] = {
    "Pod": {
        "spec.nodeName": _dig("spec", "nodeName"),
        "spec.restartPolicy": _dig("spec", "restartPolicy"),
        "spec.schedulerName": _dig("spec", "schedulerName"),
        "spec.serviceAccountName": _dig("spec", "serviceAccountName"),
        "spec.hostNetwork": _dig("spec", "hostNetwork"),
        "status.phase": _dig("status", "phase"),
        "status.podIP": _dig("status", "podIP"),
        "status.nominatedNodeName": _dig("status", "nominatedNodeName"),
    },
    "Event": {
        **{
            f"involvedObject.{k}": _dig("involvedObject", k)
            for k in (
                "kind",
                "namespace",
                "name",
                "uid",
                "apiVersion",
                "resourceVersion",
                "fieldPath",
            )
        },
        "reason": _dig("reason"),
        "reportingComponent": _dig("reportingComponent"),
        "source": _dig("source", "component"),
        "type": _dig("type"),
    },
    "Secret": {"type": _dig("type")},
    "Namespace": {"status.phase": _dig("status", "phase")},
    "Node": {"spec.unschedulable": _dig("spec", "unschedulable")},
    "ReplicaSet": {"status.replicas": _dig("status", "replicas")},
}


def parse_field_selector(text: str, kind: str) -> Callable[[Obj], bool]:
    """A predicate for `fieldSelector` on objects of `kind`; raises `SelectorError`."""
    fields = {**_COMMON, **FIELD_LABELS.get(kind, {})}
    terms: list[tuple[Callable[[Obj], str], bool, str]] = []
    for term in _split_terms(text or ""):
        found = re.match(r"^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not found:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        name, op, value = found.groups()
        reader = fields.get(name)
        if reader is None:
            raise SelectorError(f"field label not supported: {name}")
        terms.append((reader, op != "!=", value))

    def matches(obj: Obj) -> bool:
        return all((reader(obj) == value) == equal for reader, equal, value in terms)

    return matches
