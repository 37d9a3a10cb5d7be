"""Tables (interim: replaced by the full printers from the `simopenapi` branch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def to_table(
    kind: str, objects: list[Obj], *, now: datetime, include_object: str = "Metadata"
) -> Obj:
    """NAME and AGE."""
    rows = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        rows.append(
            {
                "cells": [meta.get("name", ""), meta.get("creationTimestamp", "")],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta,
                },
            }
        )
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
            {"name": "Created At", "type": "date", "format": "", "description": "", "priority": 0},
        ],
        "rows": rows,
    }
