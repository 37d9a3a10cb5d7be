"""Long-lived watches for `KubeCluster.wait_for_change`: one per kind and namespace.

Each `KindWatch` lists once (one object, for the resource version), then keeps a watch
open and reconnects from the last version it saw, so an idle `lab watch` costs one open
request per kind instead of a list and a watch every half second. A kind the server does
not serve (Gateway API before cloud-provider-kind installs its CRDs) is looked for again
with a growing pause, never in a tight loop.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from tutor.cluster.base import ClusterError, NotFoundError
from tutor.cluster.kube_resources import resource_for

WATCH_SECONDS = 240.0
"""How long one watch request stays open before it is renewed (the server ends it)."""
FIRST_RETRY = 1.0
MAX_RETRY = 30.0


class KindWatch:
    """A background watch of one kind in one namespace; `changed()` on every event."""

    def __init__(
        self,
        cluster: Any,
        kind: str,
        namespace: str,
        changed: Callable[[], None],
    ) -> None:
        self.cluster = cluster
        self.kind = kind
        self.namespace = namespace
        self.changed = changed
        self.settled = threading.Event()
        """Set once the first look is done (watching, or known not to be served)."""
        self.served: bool | None = None
        self.waiting_for = ""
        """What it waits for while the kind is not served."""
        self._stop = threading.Event()
        self._response: Any = None
        self._thread = threading.Thread(
            target=self._run, name=f"watch-{kind}-{namespace}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """End the watch (closes the open request)."""
        self._stop.set()
        if self._response is not None:
            close_response(self._response)

    def _run(self) -> None:
        resource = resource_for(self.kind)
        version = ""
        delay = FIRST_RETRY
        while not self._stop.is_set():
            if not version:
                try:
                    _, version = self.cluster._list(self.kind, self.namespace, limit=1)
                except ClusterError:
                    version = ""
                if not version:
                    self.served = False
                    self.waiting_for = (
                        f"{self.kind} is not served by this cluster yet; looking again in "
                        f"{delay:.0f} s"
                    )
                    self.settled.set()
                    self._stop.wait(delay)
                    delay = min(delay * 2, MAX_RETRY)
                    continue
                self.served = True
                self.waiting_for = ""
                delay = FIRST_RETRY
            try:
                self._response = self.cluster._watch(
                    resource, self.namespace, version, WATCH_SECONDS
                )
            except NotFoundError:
                version = ""
                continue
            except ClusterError:
                self.settled.set()
                self._stop.wait(delay)
                delay = min(delay * 2, MAX_RETRY)
                continue
            self.settled.set()
            if self._stop.is_set():  # stopped while the request was being opened
                close_response(self._response)
                return
            try:
                for event in watch_events(self._response, float("inf")):
                    if event.get("type") == "ERROR":
                        version = ""  # 410 Gone (too old) and the like: list again
                        break
                    obj = event.get("object") or {}
                    version = str(obj.get("metadata", {}).get("resourceVersion") or version)
                    self.changed()
            except Exception:  # the stream was closed under us, or timed out: reconnect
                pass
            finally:
                close_response(self._response)
                self._response = None


def watch_events(response: Any, deadline: float) -> Iterator[dict[str, Any]]:
    """Decoded watch events of an open streaming response (one JSON object per line)."""
    buffer = b""
    for chunk in response.response.stream(4096, decode_content=True):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if not line.strip():
                continue
            event = json.loads(line)
            if isinstance(event, dict) and event.get("type") in {
                "ADDED",
                "MODIFIED",
                "DELETED",
                "ERROR",
            }:
                yield event
        if time.monotonic() > deadline:
            return


def close_response(response: Any) -> None:
    """Close a streaming response (shutting its socket down so a blocked read returns)."""
    raw = getattr(response, "response", None)
    if raw is None:
        return
    shutdown = getattr(raw, "shutdown", None)
    try:
        if callable(shutdown):
            shutdown()  # wakes a read blocked in another thread (SHUT_RD only)
        raw.close()  # closes the connection, so the server sees the watch end
    except Exception:  # closing a stream that already ended
        return


class NamespaceWatches:
    """The watches of one namespace and a change counter `wait` blocks on."""

    def __init__(self, cluster: Any, namespace: str, kinds: tuple[str, ...]) -> None:
        self._condition = threading.Condition()
        self._generation = 0
        self.watches = [KindWatch(cluster, kind, namespace, self._bump) for kind in kinds]
        self._seen: int | None = None

    def _bump(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, timeout: float) -> bool:
        """True when something changed since the last `wait` returned (or, on the first
        call, since the watches started); False after `timeout`."""
        deadline = time.monotonic() + timeout
        if self._seen is None:
            for watch in self.watches:
                watch.settled.wait(max(0.0, deadline - time.monotonic()))
            with self._condition:
                self._seen = self._generation
        with self._condition:
            while self._generation <= self._seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
            self._seen = self._generation
            return True

    def stop(self) -> None:
        """End every watch."""
        for watch in self.watches:
            watch.stop()
