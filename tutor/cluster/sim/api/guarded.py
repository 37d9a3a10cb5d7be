"""The API server's gate: authenticate, authorize, and answer the two auth-only endpoints.

Called by the server's middleware for every request but the public health/version paths.
`None` lets the request go on to the handlers; a response ends it there: 401 for a missing or
bad token, 403 (RBAC) for a request the user may not make, and the answers of TokenRequest
(`serviceaccounts/NAME/token`) and SelfSubjectAccessReview, which never reach the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.cluster.sim.api import authn, rbac
from tutor.cluster.sim.api.errors import ApiError

SIM_GROUP_PATH = "/apis/sim.kube-tutor.dev/"

if TYPE_CHECKING:
    from aiohttp import web

    from tutor.cluster.sim.api.server import ApiServer


async def check_request(server: ApiServer, request: web.Request) -> web.StreamResponse | None:
    """Refuse or answer a request here, or return None to serve it as usual."""
    from tutor.cluster.sim.api.server import json_response, read_body

    store = server.engine.cluster.store
    user = authn.authenticate(request.headers.get("Authorization", ""), server.token, store)
    if user is None:
        raise ApiError(401, "Unauthorized", "Unauthorized")
    if request.path.startswith(SIM_GROUP_PATH):
        # The simulator's own probes (what lab checks send as traffic) are no Kubernetes
        # resource; any authenticated user may send them, as any Pod may send traffic.
        return None
    attrs = rbac.attributes_of(request.method, request.path, request.query)
    if not rbac.authorize(store, user, attrs):
        raise rbac.forbidden(user, attrs)
    if not attrs.resource_request:
        return None
    if attrs.resource == "serviceaccounts" and attrs.subresource == "token":
        if request.method != "POST":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
        body = await read_body(request)
        answer = authn.token_request(server.token, store, attrs.namespace, attrs.name, body)
        return json_response(answer, status=201)
    if attrs.resource == "selfsubjectaccessreviews":
        if request.method != "POST":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
        body = await read_body(request)
        return json_response(rbac.self_subject_access_review(store, user, body), status=201)
    return None
