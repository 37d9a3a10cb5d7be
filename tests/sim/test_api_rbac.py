"""RBAC on the simulator's API server: ServiceAccount tokens, rule matching, 403 wording.

Semantics checked against k8s.io/apiserver (`pkg/endpoints/request/requestinfo.go`
`NewRequestInfo` for verbs and namespaces; `pkg/endpoints/handlers/responsewriters/errors.go`
`forbiddenMessage` for the wording) and k8s.io/kubernetes
`plugin/pkg/auth/authorizer/rbac/rbac.go` (`RuleAllows`: verbs, groups, resources with
`res/sub` and `*/sub`, resourceNames).
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.conftest import SimApi
from tutor.cluster.sim.api import rbac
from tutor.cluster.sim.api.authn import UserInfo, authenticate, service_account_user, sign_token
from tutor.cluster.sim.store import Store

Obj = dict[str, Any]
RBAC_V1 = "rbac.authorization.k8s.io/v1"


class Client:
    """Plain HTTPS requests to the server with one bearer token."""

    def __init__(self, api: SimApi, token: str) -> None:
        self.url = api.url
        self.token = token
        self.context = ssl.create_default_context(cafile=str(api.server.creds.ca_cert))

    def call(self, method: str, path: str, body: Obj | None = None) -> tuple[int, Obj]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def admin(sim_api: SimApi) -> Client:
    return Client(sim_api, sim_api.server.creds.token())


def _ns(admin: Client, name: str) -> None:
    code, _ = admin.call(
        "POST",
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )
    assert code == 201


def _learner(admin: Client, sim_api: SimApi, home: str) -> Client:
    """A ServiceAccount `learner` in `home` and a client holding its token."""
    _ns(admin, home)
    code, _ = admin.call(
        "POST",
        f"/api/v1/namespaces/{home}/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "learner"}},
    )
    assert code == 201
    code, answer = admin.call(
        "POST",
        f"/api/v1/namespaces/{home}/serviceaccounts/learner/token",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}},
    )
    assert code == 201
    assert answer["kind"] == "TokenRequest"
    return Client(sim_api, answer["status"]["token"])


def _grant(admin: Client, namespace: str, home: str, rules: list[Obj]) -> None:
    base = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
    code, _ = admin.call(
        "POST",
        f"{base}/roles",
        {"apiVersion": RBAC_V1, "kind": "Role", "metadata": {"name": "r"}, "rules": rules},
    )
    assert code == 201
    binding = {
        "apiVersion": RBAC_V1,
        "kind": "RoleBinding",
        "metadata": {"name": "r"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "learner", "namespace": home}],
    }
    code, _ = admin.call("POST", f"{base}/rolebindings", binding)
    assert code == 201


def test_a_service_account_token_is_limited_to_what_its_role_binding_grants(
    admin: Client, sim_api: SimApi
) -> None:
    tag = uuid.uuid4().hex[:6]
    home, mine, other = f"h-{tag}", f"a-{tag}", f"b-{tag}"
    learner = _learner(admin, sim_api, home)
    _ns(admin, mine)
    _ns(admin, other)
    _grant(admin, mine, home, [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}])

    code, listed = learner.call("GET", f"/api/v1/namespaces/{mine}/pods")
    assert code == 200 and listed["kind"] == "PodList"

    code, refused = learner.call("GET", f"/api/v1/namespaces/{other}/pods")
    assert code == 403
    user = f"system:serviceaccount:{home}:learner"
    assert refused["reason"] == "Forbidden"
    assert refused["message"] == (
        f'pods is forbidden: User "{user}" cannot list resource "pods" in API group "" in the '
        f'namespace "{other}"'
    )
    # list was granted, get was not: verbs are matched one by one
    code, refused = learner.call("GET", f"/api/v1/namespaces/{mine}/pods/web")
    assert code == 403
    assert refused["message"].startswith(f'pods "web" is forbidden: User "{user}" cannot get')
    # a cluster-scoped refusal names the cluster scope, a group is qualified
    code, refused = learner.call("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles")
    assert code == 403
    assert refused["message"].endswith(
        'cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the '
        "cluster scope"
    )
    assert refused["message"].startswith("clusterroles.rbac.authorization.k8s.io is forbidden")
    # discovery is every authenticated user's (system:discovery)
    code, _ = learner.call("GET", "/api")
    assert code == 200


def test_a_deleted_service_account_token_stops_working(admin: Client, sim_api: SimApi) -> None:
    home = f"h-{uuid.uuid4().hex[:6]}"
    learner = _learner(admin, sim_api, home)
    assert learner.call("GET", "/apis")[0] == 200
    assert admin.call("DELETE", f"/api/v1/namespaces/{home}/serviceaccounts/learner")[0] == 200
    code, answer = learner.call("GET", "/apis")
    assert code == 401 and answer["reason"] == "Unauthorized"
    assert Client(sim_api, "not-a-token").call("GET", "/api")[0] == 401


def test_self_subject_access_review_answers_can_i(admin: Client, sim_api: SimApi) -> None:
    tag = uuid.uuid4().hex[:6]
    home, mine = f"h-{tag}", f"a-{tag}"
    learner = _learner(admin, sim_api, home)
    _ns(admin, mine)
    _grant(
        admin, mine, home, [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]
    )

    def can_i(namespace: str, subresource: str) -> bool:
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": "create",
                    "resource": "pods",
                    "subresource": subresource,
                }
            },
        }
        code, answer = learner.call(
            "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review
        )
        assert code == 201
        return bool(answer["status"]["allowed"])

    assert can_i(mine, "exec")
    assert not can_i(mine, "")  # pods/exec does not grant pods
    assert not can_i(f"b-{tag}", "exec")


def _attrs(verb: str, resource: str, **kw: str) -> rbac.Attributes:
    return rbac.Attributes(verb, True, resource=resource, **kw)


@pytest.mark.parametrize(
    ("rule", "attrs", "allowed"),
    [
        ({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}, _attrs("delete", "pods"), True),
        (
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            _attrs("list", "pods"),
            False,
        ),
        (
            {"verbs": ["get"], "apiGroups": ["apps"], "resources": ["pods"]},
            _attrs("get", "pods"),
            False,
        ),
        (
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            _attrs("get", "pods", subresource="log"),
            False,
        ),
        (
            {"verbs": ["get"], "apiGroups": [""], "resources": ["*/log"]},
            _attrs("get", "pods", subresource="log"),
            True,
        ),
        (
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"]},
            _attrs("get", "pods", name="b"),
            False,
        ),
        (
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"]},
            _attrs("get", "pods", name="a"),
            True,
        ),
    ],
)
def test_rule_matching(rule: Obj, attrs: rbac.Attributes, allowed: bool) -> None:
    assert rbac.rule_allows(rule, attrs) is allowed


def test_request_attributes_follow_requestinfo() -> None:
    """`/namespaces/NS` names its own namespace; no name turns get into list or watch and
    delete into deletecollection; exec needs create."""
    ns = rbac.attributes_of("GET", "/api/v1/namespaces/alice-x", {})
    assert (ns.verb, ns.resource, ns.namespace, ns.name) == (
        "get",
        "namespaces",
        "alice-x",
        "alice-x",
    )
    assert rbac.attributes_of("GET", "/api/v1/namespaces/a/pods", {"watch": "true"}).verb == "watch"
    assert rbac.attributes_of("DELETE", "/api/v1/namespaces/a/pods", {}).verb == "deletecollection"
    execs = rbac.attributes_of("GET", "/api/v1/namespaces/a/pods/web/exec", {})
    assert (execs.verb, execs.subresource) == ("create", "exec")
    other = rbac.attributes_of("POST", "/logs/x", {})
    assert (other.resource_request, other.verb) == (False, "post")


def test_a_cluster_role_bound_in_a_namespace_grants_only_there() -> None:
    store = Store()
    user = service_account_user("home", "learner")
    store.put(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "view"},
            "rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["services"]}],
        }
    )
    store.put(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "a"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            "subjects": [{"kind": "Group", "name": "system:serviceaccounts:home"}],
        }
    )
    assert rbac.authorize(store, user, _attrs("list", "services", namespace="a"))
    assert not rbac.authorize(store, user, _attrs("list", "services", namespace="b"))
    assert not rbac.authorize(store, user, _attrs("list", "services"))
    assert rbac.authorize(store, UserInfo("x", ("kubeadm:cluster-admins",)), _attrs("list", "x"))


def test_a_token_signed_with_another_key_is_refused() -> None:
    store = Store()
    account = {"metadata": {"name": "learner", "namespace": "home", "uid": "u1"}}
    token, _ = sign_token("other-admin-token", account)
    assert authenticate(f"Bearer {token}", "admin-token", store) is None


def test_rbac_objects_are_validated(admin: Client) -> None:
    """`pkg/apis/rbac/validation/validation.go`: rules need verbs; roleRef never changes."""
    namespace = f"v-{uuid.uuid4().hex[:6]}"
    _ns(admin, namespace)
    base = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
    code, answer = admin.call(
        "POST",
        f"{base}/roles",
        {"apiVersion": RBAC_V1, "kind": "Role", "metadata": {"name": "r"}, "rules": [{}]},
    )
    assert code == 422
    assert "rules[0].verbs: Required value" in answer["message"]
    _grant(admin, namespace, "home", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])
    request = urllib.request.Request(
        f"{admin.url}{base}/rolebindings/r",
        data=json.dumps({"roleRef": {"name": "other"}}).encode(),
        method="PATCH",
    )
    request.add_header("Authorization", f"Bearer {admin.token}")
    request.add_header("Content-Type", "application/merge-patch+json")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, context=admin.context, timeout=10)
    assert refused.value.code == 422
    message = json.loads(refused.value.read())["message"]
    assert "roleRef: Invalid value" in message and message.endswith("cannot change roleRef")
