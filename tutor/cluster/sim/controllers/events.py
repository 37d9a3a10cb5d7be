"""Events, as the controllers record them (aggregated by reason and object, as client-go's recorder does)."""

from __future__ import annotations

from tutor.cluster.sim.controllers.base import ControllerBase
from tutor.cluster.sim.controllers.common import Obj


class EventRecording(ControllerBase):
    """Records Events for the controllers."""

    # -- events ------------------------------------------------------------------------------

    def event(
        self,
        involved: Obj,
        kind: str,
        reason: str,
        message: str,
        component: str,
    ) -> None:
        """Record an Event about `involved` (repeats bump `count`)."""
        meta = involved["metadata"]
        ns = meta.get("namespace") or "default"
        key = (ns, meta.get("uid", ""), reason, message)
        now = self.store.now()
        existing_name = self.event_index.get(key)
        if existing_name is not None:
            existing = self.store.get("Event", ns, existing_name)
            if existing is not None:
                updated = dict(existing)
                updated["count"] = existing.get("count", 1) + 1
                updated["lastTimestamp"] = now
                updated["metadata"] = dict(existing["metadata"])
                self.store.put(updated)
                return
        self.event_seq += 1
        name = f"{meta['name']}.{self.event_seq:016x}"
        self.event_index[key] = name
        self.store.put(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": ns},
                "involvedObject": {
                    "apiVersion": involved.get("apiVersion", "v1"),
                    "kind": involved.get("kind", ""),
                    "name": meta["name"],
                    "namespace": meta.get("namespace", ""),
                    "uid": meta.get("uid", ""),
                },
                "reason": reason,
                "message": message,
                "type": kind,
                "count": 1,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "source": {"component": component},
                "reportingComponent": component,
            }
        )
