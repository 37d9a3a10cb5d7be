"""OpenAPI v2/v3 documents and strict field decoding for the kinds the simulator serves.

Built from `data/schemas.json`, which `data/build_schemas.py` derives from the Kubernetes 1.37
definitions bundled in `kubernetes-validate==1.37.0` and the Gateway API v1.6.1 CRDs. The
documents follow what kube-apiserver publishes, as far as kubectl 1.37 reads them:

- `kubectl explain` (k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl) takes the GVK from
  an operation's `x-kubernetes-group-version-kind` (a single object) on the resource's path,
  then looks for the component schema whose `x-kubernetes-group-version-kind` list contains
  exactly that object, and follows `properties`, `items`, `additionalProperties` and `allOf`.
- client-side `kubectl apply` (k8s.io/kubectl/pkg/cmd/apply/patcher.go,
  `gvkSupportsPatchOpenAPIV3`, `buildStrategicMergePatchFromOpenAPIV3`) uses strategic merge
  patch when the PATCH operation accepts `application/strategic-merge-patch+json` (built-in
  kinds, not CRDs), and reads `x-kubernetes-patch-merge-key`/`-strategy` through
  k8s.io/apimachinery/pkg/util/strategicpatch/meta.go `PatchMetaFromOpenAPIV3`, which resolves
  `allOf[0]` and `#/components/schemas/` refs.
- field validation support (k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go,
  `supportsQueryParamV3`) is a `fieldValidation` query parameter on the PATCH operation whose
  `x-kubernetes-group-version-kind` matches.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

Obj = dict[str, Any]

CRD_GROUP = "gateway.networking.k8s.io"
KUBERNETES_VERSION = "v1.37.1"
DATA_FILE = Path(__file__).with_name("data") / "schemas.json"
META = "io.k8s.apimachinery.pkg.apis.meta.v1."


@dataclass(frozen=True)
class ServedKind:
    """One kind the simulator's API server serves in one group/version."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        """`v1` or `apps/v1`, as in `apiVersion`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def openapi_path(self) -> str:
        """The key of its group/version in `/openapi/v3`: `api/v1` or `apis/apps/v1`."""
        return f"apis/{self.group}/{self.version}" if self.group else f"api/{self.version}"


def _k(group: str, version: str, kind: str, plural: str, *rest: Any) -> ServedKind:
    return ServedKind(group, version, kind, plural, *rest)


DESCRIBED: tuple[ServedKind, ...] = (
    _k("", "v1", "Namespace", "namespaces", False, ("status",)),
    _k("", "v1", "Node", "nodes", False, ("status",)),
    _k("", "v1", "Pod", "pods", True, ("status",)),
    _k("", "v1", "Service", "services", True, ("status",)),
    _k("", "v1", "Endpoints", "endpoints"),
    _k("", "v1", "ConfigMap", "configmaps"),
    _k("", "v1", "Secret", "secrets"),
    _k("", "v1", "ServiceAccount", "serviceaccounts"),
    _k("", "v1", "Event", "events"),
    _k("events.k8s.io", "v1", "Event", "events"),
    _k("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    _k("apps", "v1", "Deployment", "deployments", True, ("status", "scale")),
    _k("apps", "v1", "ReplicaSet", "replicasets", True, ("status", "scale")),
    _k("apps", "v1", "StatefulSet", "statefulsets", True, ("status", "scale")),
    _k("apps", "v1", "DaemonSet", "daemonsets", True, ("status",)),
    _k("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("status",)),
    _k("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _k("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
    _k("networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", False, ("status",)),
    _k("networking.k8s.io", "v1", "IPAddress", "ipaddresses", False),
    _k("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    _k("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    _k("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _k("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    # Gateway API v1.6.1 standard channel: every version its CRDs serve.
    _k(CRD_GROUP, "v1", "GatewayClass", "gatewayclasses", False, ("status",)),
    _k(CRD_GROUP, "v1beta1", "GatewayClass", "gatewayclasses", False, ("status",)),
    _k(CRD_GROUP, "v1", "Gateway", "gateways", True, ("status",)),
    _k(CRD_GROUP, "v1beta1", "Gateway", "gateways", True, ("status",)),
    _k(CRD_GROUP, "v1", "HTTPRoute", "httproutes", True, ("status",)),
    _k(CRD_GROUP, "v1beta1", "HTTPRoute", "httproutes", True, ("status",)),
    _k(CRD_GROUP, "v1", "GRPCRoute", "grpcroutes", True, ("status",)),
    _k(CRD_GROUP, "v1", "ReferenceGrant", "referencegrants"),
    _k(CRD_GROUP, "v1beta1", "ReferenceGrant", "referencegrants"),
)
"""Every kind the schema data covers (the generator keeps what these reach)."""


def _served() -> tuple[ServedKind, ...]:
    """The described kinds the API server serves (its `resources.SERVED`): the documents
    describe exactly those, as kube-apiserver's describe what it installed."""
    from tutor.cluster.sim.api.resources import SERVED as RESOURCES

    served = {(r.group, v, r.kind) for r in RESOURCES for v in r.versions}
    return tuple(k for k in DESCRIBED if (k.group, k.version, k.kind) in served)


SERVED: tuple[ServedKind, ...] = _served()
"""Kinds, versions, plurals, scope and subresources the OpenAPI documents describe."""


# -- data --------------------------------------------------------------------------------


@cache
def _data() -> Obj:
    loaded: Obj = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return loaded


def _definitions() -> dict[str, Obj]:
    defs: dict[str, Obj] = _data()["definitions"]
    return defs


@cache
def _crd(kind: str) -> Obj | None:
    return next((c for c in _data()["crds"] if c["kind"] == kind), None)


def crd_version(kind: str, version: str) -> Obj | None:
    """A Gateway API kind's served version from its CRD: `schema` (openAPIV3Schema without CEL
    rules), `additionalPrinterColumns`, `subresources`, `storage`; None when not served."""
    crd = _crd(kind)
    if crd is None:
        return None
    return _crd_versions(kind).get(version)


@cache
def _crd_versions(kind: str) -> dict[str, Obj]:
    crd = _crd(kind)
    versions: dict[str, Obj] = {}
    for entry in crd["versions"] if crd else []:
        if "schemaFrom" in entry:
            entry = {**entry, "schema": versions[entry["schemaFrom"]]["schema"]}
        versions[entry["name"]] = entry
    return versions


def crd_names(kind: str) -> Obj | None:
    """A Gateway API kind's CRD names (`plural`, `singular`, `shortNames`, `categories`,
    `listKind`) and `scope`; None for other kinds."""
    crd = _crd(kind)
    if crd is None:
        return None
    return {k: v for k, v in crd.items() if k != "versions"}


@cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in _definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            index.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    return index


def definition_name(group: str, version: str, kind: str) -> str:
    """The OpenAPI model name of a served kind: `io.k8s.api.core.v1.Service`, or for a CRD
    `io.k8s.networking.gateway.v1.HTTPRoute` (the group reversed, as
    k8s.io/apiextensions-apiserver/pkg/controller/openapi/builder `gvkToModelName` does)."""
    if group == CRD_GROUP:
        return ".".join(reversed(group.split("."))) + f".{version}.{kind}"
    try:
        return _gvk_index()[(group, version, kind)]
    except KeyError:
        raise KeyError(f"no OpenAPI definition for {group}/{version} {kind}") from None


def served_kind(api_version: str, kind: str) -> ServedKind | None:
    """The served kind of an object's `apiVersion` and `kind`, or None."""
    group, _, version = api_version.rpartition("/")
    return next((s for s in SERVED if (s.group, s.version, s.kind) == (group, version, kind)), None)


# -- schema conversion -------------------------------------------------------------------


def _v3_schema(node: Any) -> Any:
    """Swagger 2.0 schema -> OpenAPI 3.0 as kube-openapi's builder3 writes it: refs under
    `#/components/schemas/`, a ref with siblings wrapped in `allOf`."""
    if isinstance(node, list):
        return [_v3_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Obj = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _v3_property(prop) for name, prop in value.items()}
        elif key == "$ref":
            out[key] = value.replace("#/definitions/", "#/components/schemas/")
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _v3_property(value)
        else:
            out[key] = value if key in ("enum", "default", "example") else _v3_schema(value)
    return out


def _v3_property(prop: Obj) -> Obj:
    converted: Obj = _v3_schema(prop)
    ref = converted.get("$ref")
    if ref is not None and len(converted) > 1:
        rest = {k: v for k, v in converted.items() if k != "$ref"}
        return {"allOf": [{"$ref": ref}], **rest}
    return converted


_V3_SPECIAL: dict[str, Obj] = {
    # kube-openapi's OpenAPIV3OneOfTypes for these two wrapper types.
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
}


def _crd_schema(crd: Obj, version: Obj, *, v2: bool) -> Obj:
    """The published schema of a CRD version, as builder.go `buildKubeNative` makes it: the
    structural schema, `metadata` as a ref to ObjectMeta, `apiVersion`/`kind` from TypeMeta,
    and the GVK extension; for v2 value validations are stripped."""
    schema: Obj = json.loads(json.dumps(version["schema"]))
    if v2:
        schema = _strip_for_v2(schema)
    props = schema.setdefault("properties", {})
    prefix = "#/definitions/" if v2 else "#/components/schemas/"
    meta_ref = {"$ref": prefix + META + "ObjectMeta"}
    metadata = {
        **({"$ref": meta_ref["$ref"]} if v2 else {"allOf": [meta_ref]}),
        "description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    }
    type_meta = _definitions()[META + "Status"]["properties"]
    props["apiVersion"] = dict(type_meta["apiVersion"])
    props["kind"] = dict(type_meta["kind"])
    props["metadata"] = metadata
    schema["x-kubernetes-group-version-kind"] = [
        {"group": crd["group"], "kind": crd["kind"], "version": version["name"]}
    ]
    return dict(sorted(schema.items()))


_V2_KEEP = {
    "description",
    "type",
    "properties",
    "items",
    "additionalProperties",
    "required",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
}


def _strip_for_v2(node: Any) -> Any:
    """builder Options{V2, StripValueValidation, StripNullable}: Swagger 2.0 cannot say
    oneOf/anyOf/nullable, and value validations (pattern, enum, bounds, format) go."""
    if not isinstance(node, dict):
        return node
    out: Obj = {}
    for key, value in node.items():
        if key not in _V2_KEEP:
            continue
        if key == "properties":
            out[key] = {name: _strip_for_v2(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _strip_for_v2(value)
        else:
            out[key] = value
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
    return out


def _closure(roots: list[str]) -> list[str]:
    defs = _definitions()
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        todo.extend(_refs(defs[name]))
    return sorted(seen)


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            elif key not in ("enum", "default", "example"):
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


# -- paths -------------------------------------------------------------------------------

_PARAMS: dict[str, tuple[str, str, str]] = {
    # name -> (in, type, description)
    "name": ("path", "string", "name of the object"),
    "namespace": ("path", "string", "object name and auth scope, such as for teams and projects"),
    "pretty": ("query", "string", "If 'true', then the output is pretty printed."),
    "dryRun": (
        "query",
        "string",
        "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed",
    ),
    "fieldManager": (
        "query",
        "string",
        "fieldManager is a name associated with the actor or entity that is making these changes.",
    ),
    "fieldValidation": (
        "query",
        "string",
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (the default) - Strict: fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present.",
    ),
    "force": (
        "query",
        "boolean",
        'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
    ),
    "labelSelector": (
        "query",
        "string",
        "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
    ),
    "fieldSelector": (
        "query",
        "string",
        "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
    ),
    "resourceVersion": (
        "query",
        "string",
        "resourceVersion sets a constraint on what resource versions a request may be served from.",
    ),
    "limit": (
        "query",
        "integer",
        "limit is a maximum number of responses to return for a list call.",
    ),
    "continue": (
        "query",
        "string",
        "The continue option should be set when retrieving more results from the server.",
    ),
    "watch": (
        "query",
        "boolean",
        "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.",
    ),
    "timeoutSeconds": ("query", "integer", "Timeout for the list/watch call."),
    "allowWatchBookmarks": (
        "query",
        "boolean",
        'allowWatchBookmarks requests watch events with type "BOOKMARK".',
    ),
    "gracePeriodSeconds": (
        "query",
        "integer",
        "The duration in seconds before the object should be deleted.",
    ),
    "propagationPolicy": (
        "query",
        "string",
        "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
    ),
}

_LIST_PARAMS = (
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "timeoutSeconds",
    "watch",
)
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_PATCH_TYPES_BUILTIN = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
_PATCH_TYPES_CRD = _PATCH_TYPES_BUILTIN[:3]  # builder.go buildRoute: no strategic merge for CRDs


def _param(name: str, *, v2: bool) -> Obj:
    where, typ, description = _PARAMS[name]
    param: Obj = {"description": description, "in": where, "name": name}
    if where == "path":
        param["required"] = True
    if v2:
        param.update({"type": typ, "uniqueItems": True})
    else:
        param["schema"] = {"type": typ, "uniqueItems": True}
    return param


def _op_id(verb: str, s: ServedKind, *, namespaced: bool, suffix: str = "") -> str:
    if s.group == CRD_GROUP:  # builder.go buildRoute: operationVerb + Namespaced + Kind + Sub
        return f"{verb}{'Namespaced' if namespaced else ''}{s.kind}{suffix}"
    group = "".join(p.title() for p in (s.group or "core").removesuffix(".k8s.io").split("."))
    return f"{verb}{group}{s.version.title()}{'Namespaced' if namespaced else ''}{s.kind}{suffix}"


def _operation(
    s: ServedKind,
    verb: str,
    action: str,
    model: str,
    *,
    v2: bool,
    namespaced: bool,
    suffix: str = "",
    params: tuple[str, ...] = (),
    body: str | None = None,
    body_types: tuple[str, ...] = ("*/*",),
    statuses: tuple[str, ...] = ("200",),
) -> Obj:
    prefix = "#/definitions/" if v2 else "#/components/schemas/"
    op: Obj = {
        "description": f"{verb} {s.kind}{' ' + suffix.lower() if suffix else ''}",
        "operationId": _op_id(verb, s, namespaced=namespaced, suffix=suffix),
        "tags": [f"{(s.group or 'core').split('.')[0]}_{s.version}"],
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": s.group, "kind": s.kind, "version": s.version},
    }
    parameters = [_param(p, v2=v2) for p in params]
    responses: Obj = {}
    labels = {"200": "OK", "201": "Created", "202": "Accepted"}
    for status in statuses:
        if v2:
            responses[status] = {"description": labels[status], "schema": {"$ref": prefix + model}}
        else:
            content = {
                t: {"schema": {"$ref": prefix + model}}
                for t in ("application/json", "application/yaml")
            }
            responses[status] = {"content": content, "description": labels[status]}
    responses["401"] = {"description": "Unauthorized"}
    if v2:
        op["consumes"] = list(body_types)
        op["produces"] = ["application/json", "application/yaml"]
        op["schemes"] = ["https"]
        if body:
            parameters.insert(
                0,
                {"in": "body", "name": "body", "required": True, "schema": {"$ref": prefix + body}},
            )
    elif body:
        op["requestBody"] = {
            "content": {t: {"schema": {"$ref": prefix + body}} for t in body_types},
            "required": True,
        }
    if parameters:
        op["parameters"] = parameters
    op["responses"] = responses
    return op


def _paths(s: ServedKind, model: str, *, v2: bool) -> dict[str, Obj]:
    """The REST paths of one kind, with the operations kube-apiserver's installer lists."""
    root = f"/{s.openapi_path}"
    base = f"{root}/namespaces/{{namespace}}/{s.plural}" if s.namespaced else f"{root}/{s.plural}"
    scope = ("namespace",) if s.namespaced else ()
    ns = s.namespaced
    crd = s.group == CRD_GROUP
    patch_types = _PATCH_TYPES_CRD if crd else _PATCH_TYPES_BUILTIN
    list_model = model + "List"
    status = META + "Status"
    kw: Obj = {"v2": v2, "namespaced": ns}
    paths: dict[str, Any] = {
        base: {
            "get": _operation(s, "list", "list", list_model, params=_LIST_PARAMS, **kw),
            "post": _operation(
                s,
                "create",
                "post",
                model,
                params=_WRITE_PARAMS,
                body=model,
                statuses=("200", "201", "202"),
                **kw,
            ),
            "delete": _operation(
                s,
                "deletecollection",
                "deletecollection",
                status,
                params=("dryRun", "gracePeriodSeconds", "propagationPolicy", *_LIST_PARAMS),
                body=META + "DeleteOptions",
                **kw,
            ),
            "parameters": [_param(p, v2=v2) for p in (*scope, "pretty")],
        },
        f"{base}/{{name}}": {
            "get": _operation(s, "read", "get", model, **kw),
            "put": _operation(
                s,
                "replace",
                "put",
                model,
                params=_WRITE_PARAMS,
                body=model,
                statuses=("200", "201"),
                **kw,
            ),
            "patch": _operation(
                s,
                "patch",
                "patch",
                model,
                params=(*_WRITE_PARAMS, "force"),
                body=META + "Patch",
                body_types=patch_types,
                statuses=("200", "201"),
                **kw,
            ),
            "delete": _operation(
                s,
                "delete",
                "delete",
                status,
                params=("dryRun", "gracePeriodSeconds", "propagationPolicy"),
                body=META + "DeleteOptions",
                statuses=("200", "202"),
                **kw,
            ),
            "parameters": [_param(p, v2=v2) for p in ("name", *scope, "pretty")],
        },
    }
    if ns:
        paths[f"{root}/{s.plural}"] = {
            "get": _operation(
                s,
                "list",
                "list",
                list_model,
                params=_LIST_PARAMS,
                v2=v2,
                namespaced=False,
                suffix="ForAllNamespaces",
            ),
            "parameters": [_param("pretty", v2=v2)],
        }
    for sub in s.subresources:
        sub_model = "io.k8s.api.autoscaling.v1.Scale" if sub == "scale" else model
        title = sub.title()
        paths[f"{base}/{{name}}/{sub}"] = {
            "get": _operation(s, "read", "get", sub_model, suffix=title, **kw),
            "put": _operation(
                s,
                "replace",
                "put",
                sub_model,
                suffix=title,
                params=_WRITE_PARAMS,
                body=sub_model,
                statuses=("200", "201"),
                **kw,
            ),
            "patch": _operation(
                s,
                "patch",
                "patch",
                sub_model,
                suffix=title,
                params=(*_WRITE_PARAMS, "force"),
                body=META + "Patch",
                body_types=patch_types,
                statuses=("200", "201"),
                **kw,
            ),
            "parameters": [_param(p, v2=v2) for p in ("name", *scope, "pretty")],
        }
    return paths


# -- documents ---------------------------------------------------------------------------

_OPERATION_MODELS = (META + "DeleteOptions", META + "Status", META + "Patch", META + "WatchEvent")


def _group_models(kinds: list[ServedKind], *, v2: bool) -> tuple[dict[str, Obj], dict[str, Obj]]:
    """(model name -> schema, path -> path item) for some served kinds."""
    schemas: dict[str, Obj] = {}
    paths: dict[str, Obj] = {}
    roots: list[str] = list(_OPERATION_MODELS)
    for s in kinds:
        model = definition_name(s.group, s.version, s.kind)
        paths.update(_paths(s, model, v2=v2))
        if "scale" in s.subresources:
            roots.append("io.k8s.api.autoscaling.v1.Scale")
        if s.group == CRD_GROUP:
            crd = _crd(s.kind)
            version = crd_version(s.kind, s.version)
            assert crd is not None and version is not None, s
            schemas[model] = _crd_schema(crd, version, v2=v2)
            schemas[model + "List"] = _crd_list_schema(crd, s, model, v2=v2)
            roots += [META + "ObjectMeta", META + "ListMeta"]
        else:
            roots += [model, model + "List"]
    defs = _definitions()
    for name in _closure(roots):
        if v2:
            schemas[name] = defs[name]
        else:
            schemas[name] = _V3_SPECIAL.get(name) or _v3_schema(defs[name])
    return dict(sorted(schemas.items())), dict(sorted(paths.items()))


def _crd_list_schema(crd: Obj, s: ServedKind, model: str, *, v2: bool) -> Obj:
    """builder.go `buildListSchema`."""
    prefix = "#/definitions/" if v2 else "#/components/schemas/"
    type_meta = _definitions()[META + "Status"]["properties"]
    list_meta = {"$ref": prefix + META + "ListMeta"}
    return {
        "description": f"{crd['listKind']} is a list of {s.kind}",
        "properties": {
            "apiVersion": dict(type_meta["apiVersion"]),
            "items": {
                "description": f"List of {s.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                "items": {"$ref": prefix + model},
                "type": "array",
            },
            "kind": dict(type_meta["kind"]),
            "metadata": {
                **(list_meta if v2 else {"allOf": [list_meta]}),
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            },
        },
        "required": ["items"],
        "type": "object",
        "x-kubernetes-group-version-kind": [
            {"group": s.group, "kind": crd["listKind"], "version": s.version}
        ],
    }


@cache
def openapi_v2() -> Obj:
    """The Swagger 2.0 document of `/openapi/v2` for every served kind (built once; treat the
    returned dict as read-only)."""
    definitions, paths = _group_models(list(SERVED), v2=True)
    return {
        "definitions": definitions,
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": paths,
        "security": [{"BearerToken": []}],
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "in": "header",
                "name": "authorization",
                "type": "apiKey",
            }
        },
        "swagger": "2.0",
    }


@cache
def openapi_v2_json() -> bytes:
    """`openapi_v2()` encoded once, ready to serve as `application/json`."""
    return json.dumps(openapi_v2(), separators=(",", ":")).encode()


def _v3_paths() -> list[str]:
    return sorted({s.openapi_path for s in SERVED})


@cache
def openapi_v3(path: str) -> Obj | None:
    """The OpenAPI 3.0 document of one group/version (`api/v1`, `apis/apps/v1`,
    `apis/gateway.networking.k8s.io/v1`), or None when none is served there (built once per
    path; treat it as read-only)."""
    kinds = [s for s in SERVED if s.openapi_path == path]
    if not kinds:
        return None
    schemas, paths = _group_models(kinds, v2=False)
    return {
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {
                    "description": "Bearer Token authentication",
                    "in": "header",
                    "name": "authorization",
                    "type": "apiKey",
                }
            },
        },
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "openapi": "3.0.0",
        "paths": paths,
        "security": [{"BearerToken": []}],
    }


@cache
def openapi_v3_json(path: str) -> bytes | None:
    """`openapi_v3(path)` encoded once, ready to serve; None when not served."""
    doc = openapi_v3(path)
    return None if doc is None else json.dumps(doc, separators=(",", ":")).encode()


@cache
def openapi_v3_hash(path: str) -> str | None:
    """The `hash` of a group/version document in the index: SHA-512 of its bytes in upper-case
    hex, as kube-openapi's handler3 computes it (clients cache by this URL)."""
    body = openapi_v3_json(path)
    return None if body is None else hashlib.sha512(body).hexdigest().upper()


@cache
def openapi_v3_index() -> Obj:
    """`/openapi/v3`: every served group/version and the URL of its document."""
    return {
        "paths": {
            path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={openapi_v3_hash(path)}"}
            for path in _v3_paths()
        }
    }


# -- strict decoding ---------------------------------------------------------------------


def unknown_field_problems(obj: Obj) -> list[str]:
    """Strict decoding errors for the unknown fields of an object, in the API server's words
    and order (`unknown field "spec.selectr"`, `unknown field "spec.ports[0].nam"`); see
    `tutor.cluster.sim.api.strictfields` for the rules and their upstream sources."""
    from tutor.cluster.sim.api.strictfields import unknown_fields

    return unknown_fields(obj)
