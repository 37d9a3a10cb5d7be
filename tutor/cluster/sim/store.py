"""In-memory object store of the simulator: objects by (kind, namespace, name), a logical clock,
resource versions, label indexes, and a change log the controllers drain.

Stored objects are never changed in place: every write stores a new dict (parts of it may be
shared with the previous version). That keeps `snapshot()` cheap and lets readers hold an object
without it changing under them. Code outside the simulator gets copies (`SimCluster.get`/`list`).
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Obj = dict[str, Any]
Key = tuple[str, str, str]
"""(kind, namespace, name); the namespace is "" for cluster-scoped kinds."""

CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "IngressClass",
        "GatewayClass",
        "ServiceCIDR",
        "IPAddress",
        "CustomResourceDefinition",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "SelfSubjectAccessReview",
    }
)
"""Kinds that live outside namespaces."""

EPOCH = datetime(2026, 11, 1, 0, 0, 0, tzinfo=UTC)
"""Time zero of the logical clock."""
_UID_MULTIPLIER = 0x9E3779B97F4A7C15F39CC0605CEDC835
_UID_OFFSET = 0x6F1C2A3E9D0B4B8E8F553A1D7C0E2B41
_UID_MASK = (1 << 128) - 1


@dataclass(frozen=True)
class Change:
    """One write, as the controllers see it."""

    kind: str
    namespace: str
    name: str
    old: Obj | None
    """The object before the write (None on create)."""
    new: Obj | None
    """The object after the write (None on delete)."""


class Store:
    """Objects of every kind, indexed for the controllers."""

    def __init__(self) -> None:
        self._objects: dict[str, dict[str, dict[str, Obj]]] = {}
        """kind -> namespace -> name -> object"""
        self._labels: dict[tuple[str, str], dict[tuple[str, str], set[str]]] = {}
        """(kind, namespace) -> (label key, value) -> names"""
        self.resource_version = 0
        self.clock = 0
        """Logical seconds since `EPOCH`; advanced by `tick()`."""
        self._now: tuple[int, str] = (-1, "")
        self.uid_counter = 0
        self.changes: list[Change] = []
        """Writes not yet seen by the controllers."""
        self.counters: dict[str, int] = {}
        """Writes per namespace ("" for cluster-scoped), for watchers and caches."""
        self.observers: list[Callable[[Change, int], None]] = []
        """Called after every write with the change and its resourceVersion (the API
        server's watch feed); a snapshot starts with none."""
        self.wall_clock = False
        """When True (the API server), `tick()` follows real time instead of counting, so
        timestamps and ages are what kubectl expects."""

    # -- time and identity -------------------------------------------------------------------

    def tick(self, seconds: int = 1) -> None:
        """Advance the logical clock (to the current time, under `wall_clock`)."""
        if self.wall_clock:
            self.clock = max(self.clock, int(time.time() - EPOCH.timestamp()))
            return
        self.clock += seconds

    def now(self) -> str:
        """The logical time as an RFC 3339 timestamp."""
        cached = self._now
        if cached[0] != self.clock:
            text = (EPOCH + timedelta(seconds=self.clock)).strftime("%Y-%m-%dT%H:%M:%SZ")
            cached = self._now = (self.clock, text)
        return cached[1]

    def new_uid(self) -> str:
        """A deterministic, unique UID."""
        self.uid_counter += 1
        mixed = (self.uid_counter * _UID_MULTIPLIER + _UID_OFFSET) & _UID_MASK
        h = f"{mixed:032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    # -- reads -------------------------------------------------------------------------------

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        """The stored object (do not modify it), or None."""
        return self._objects.get(kind, {}).get(_scope(kind, namespace), {}).get(name)

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        """Stored objects of a kind (do not modify them), sorted by namespace and name;
        `namespace=None` means all namespaces; `selector` keeps objects whose labels contain
        every pair."""
        by_ns = self._objects.get(kind)
        if not by_ns:
            return []
        namespaces = sorted(by_ns) if namespace is None else [_scope(kind, namespace)]
        result: list[Obj] = []
        for ns in namespaces:
            objects = by_ns.get(ns)
            if not objects:
                continue
            if selector:
                names = self.select_names(kind, ns, selector)
                result.extend(objects[n] for n in sorted(names))
            else:
                result.extend(objects[n] for n in sorted(objects))
        return result

    def names(self, kind: str, namespace: str) -> Iterable[str]:
        """Names of the objects of a kind in a namespace (unsorted)."""
        return self._objects.get(kind, {}).get(_scope(kind, namespace), {}).keys()

    def namespaces(self, kind: str) -> builtins.list[str]:
        """Namespaces that hold objects of a kind."""
        return sorted(ns for ns, objs in self._objects.get(kind, {}).items() if objs)

    def select_names(self, kind: str, namespace: str, selector: Mapping[str, str]) -> set[str]:
        """Names whose labels contain every pair of `selector` (all names when it is empty)."""
        ns = _scope(kind, namespace)
        if not selector:
            return set(self._objects.get(kind, {}).get(ns, {}))
        index = self._labels.get((kind, ns))
        if not index:
            return set()
        sets: list[set[str]] = []
        for pair in selector.items():
            names = index.get(pair)
            if not names:
                return set()
            sets.append(names)
        sets.sort(key=len)
        result = set(sets[0])
        for other in sets[1:]:
            result &= other
            if not result:
                break
        return result

    def kinds(self) -> builtins.list[str]:
        """Kinds that have ever been stored."""
        return sorted(self._objects)

    def __iter__(self) -> Iterator[Obj]:
        for kind in sorted(self._objects):
            yield from self.list(kind)

    def count(self, kind: str, namespace: str | None = None) -> int:
        """How many objects of a kind (in a namespace)."""
        by_ns = self._objects.get(kind, {})
        if namespace is not None:
            return len(by_ns.get(_scope(kind, namespace), {}))
        return sum(len(objs) for objs in by_ns.values())

    # -- writes ------------------------------------------------------------------------------

    def put(self, obj: Obj) -> Obj:
        """Create or replace an object (the dict is stored as is and must not be changed
        afterwards). Sets uid and creationTimestamp on create, and a new resourceVersion."""
        kind = obj["kind"]
        meta = obj["metadata"]
        name = meta["name"]
        ns = _scope(kind, meta.get("namespace") or "")
        by_name = self._objects.setdefault(kind, {}).setdefault(ns, {})
        old = by_name.get(name)
        self.resource_version += 1
        if old is None:
            if "uid" not in meta:
                meta["uid"] = self.new_uid()
            meta.setdefault("creationTimestamp", self.now())
        else:
            old_meta = old["metadata"]
            meta["uid"] = old_meta["uid"]
            meta["creationTimestamp"] = old_meta["creationTimestamp"]
        meta["resourceVersion"] = str(self.resource_version)
        if ns:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        by_name[name] = obj
        old_labels = (old["metadata"].get("labels") or {}) if old is not None else {}
        new_labels = meta.get("labels") or {}
        if old_labels is not new_labels and old_labels != new_labels:
            index = self._labels.setdefault((kind, ns), {})
            for pair in old_labels.items():
                if pair not in new_labels.items():
                    names = index.get(pair)
                    if names is not None:
                        names.discard(name)
            for pair in new_labels.items():
                index.setdefault(pair, set()).add(name)
        change = Change(kind, ns, name, old, obj)
        self.changes.append(change)
        self.counters[ns] = self.counters.get(ns, 0) + 1
        for observer in self.observers:
            observer(change, self.resource_version)
        return obj

    def delete(self, kind: str, namespace: str, name: str) -> Obj | None:
        """Remove an object; returns it, or None when it did not exist."""
        ns = _scope(kind, namespace)
        by_name = self._objects.get(kind, {}).get(ns)
        if not by_name or name not in by_name:
            return None
        old = by_name.pop(name)
        index = self._labels.get((kind, ns))
        if index:
            for pair in (old["metadata"].get("labels") or {}).items():
                names = index.get(pair)
                if names is not None:
                    names.discard(name)
        self.resource_version += 1
        change = Change(kind, ns, name, old, None)
        self.changes.append(change)
        self.counters[ns] = self.counters.get(ns, 0) + 1
        for observer in self.observers:
            observer(change, self.resource_version)
        return old

    def drain(self) -> builtins.list[Change]:
        """Hand over (and forget) the pending changes."""
        changes, self.changes = self.changes, []
        return changes

    # -- copies ------------------------------------------------------------------------------

    def snapshot(self) -> Store:
        """An independent copy sharing the (never mutated) object dicts."""
        other = Store()
        other._objects = {
            kind: {ns: dict(objs) for ns, objs in by_ns.items()}
            for kind, by_ns in self._objects.items()
        }
        other._labels = {
            key: {pair: set(names) for pair, names in index.items()}
            for key, index in self._labels.items()
        }
        other.resource_version = self.resource_version
        other.clock = self.clock
        other.uid_counter = self.uid_counter
        other.changes = list(self.changes)
        other.counters = dict(self.counters)
        other.wall_clock = self.wall_clock
        return other


def _scope(kind: str, namespace: str) -> str:
    return "" if kind in CLUSTER_SCOPED else namespace


def deep_copy(value: Any) -> Any:
    """A fast deep copy of JSON-like data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


def is_cluster_scoped(kind: str) -> bool:
    """True for kinds without a namespace."""
    return kind in CLUSTER_SCOPED
