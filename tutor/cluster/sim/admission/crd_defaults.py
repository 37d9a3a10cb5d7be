"""Structural-schema defaulting for the Gateway API kinds, from their shipped CRD schemas.

kube-apiserver defaults a custom resource from the `default` values of its CRD's
openAPIV3Schema before validation: a missing property (or a null one that is not nullable)
gets a copy of its default, then every present property, map value and list item is walked
the same way, so defaults inside a defaulted value apply too
(k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting/algorithm.go, `Default`).
This is how `certificateRefs[].group` reads back as "" and `tls.mode` as Terminate.
"""

from __future__ import annotations

import copy
from typing import Any

from tutor.cluster.sim.admission.common import GATEWAY_GROUP, Obj


def apply_crd_defaults(obj: Obj) -> None:
    """Default `obj` in place from its kind's CRD schema; kinds without a CRD are left alone."""
    api_version = str(obj.get("apiVersion", ""))
    if api_version.rpartition("/")[0] != GATEWAY_GROUP:
        return  # the only CRDs served; the schemas (750 KB of JSON) load on first need
    from tutor.cluster.sim.api.openapi import crd_version

    version = crd_version(str(obj.get("kind", "")), api_version.rpartition("/")[2])
    if version is None:
        return
    schema = version.get("schema")
    if isinstance(schema, dict):
        _default(obj, schema)


def _non_nullable_null(value: Any, schema: Obj | None) -> bool:
    return value is None and schema is not None and not schema.get("nullable", False)


def _default(value: Any, schema: Obj | None) -> None:
    if not schema:
        return
    if isinstance(value, dict):
        properties: Obj = schema.get("properties") or {}
        for key, prop in properties.items():
            if "default" not in prop:
                continue
            if key not in value or _non_nullable_null(value[key], prop):
                value[key] = copy.deepcopy(prop["default"])
        extra = schema.get("additionalProperties")
        for key in list(value):
            if key in properties:
                _default(value[key], properties[key])
            elif isinstance(extra, dict):
                if _non_nullable_null(value[key], extra) and "default" in extra:
                    value[key] = copy.deepcopy(extra["default"])
                _default(value[key], extra)
    elif isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, dict):
            return
        for i, item in enumerate(value):
            if _non_nullable_null(item, items) and "default" in items:
                value[i] = copy.deepcopy(items["default"])
            _default(value[i], items)
