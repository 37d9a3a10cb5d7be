"""kubectl as a classroom learner: their ServiceAccount token (`kubectl create token`, sent in
protobuf), `kubectl auth can-i` (a protobuf SelfSubjectAccessReview) and the 403 kubectl prints
for another learner's namespace, worded as kube-apiserver words it
(k8s.io/apiserver `responsewriters/errors.go`, `forbiddenMessage`)."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.kubectl.conftest import Kubectl

RBAC = "rbac.authorization.k8s.io/v1"


def test_a_learner_token_can_do_their_own_namespace_only(kubectl: Kubectl, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    home, mine, other = f"h-{tag}", f"a-{tag}", f"b-{tag}"
    for namespace in (home, mine, other):
        assert kubectl("create", "namespace", namespace).code == 0
    assert kubectl("create", "serviceaccount", "learner", "-n", home).code == 0
    role = kubectl(
        "create", "role", "lab", "--verb=get,list,create", "--resource=pods,pods/exec", "-n", mine
    )
    assert role.code == 0, role.err
    bound = kubectl(
        "create", "rolebinding", "lab", "--role=lab", f"--serviceaccount={home}:learner", "-n", mine
    )
    assert bound.code == 0, bound.err
    shown = kubectl("get", "rolebindings,roles", "-n", mine)
    assert shown.code == 0, shown.err
    assert "rolebinding.rbac.authorization.k8s.io/lab   Role/lab" in shown.out
    assert "role.rbac.authorization.k8s.io/lab" in shown.out
    token = kubectl("create", "token", "learner", "-n", home)
    assert token.code == 0, token.err

    def as_learner(*args: str) -> tuple[int, str, str]:
        ran = kubectl(f"--token={token.out.strip()}", *args)
        return ran.code, ran.out.strip(), ran.err.strip()

    assert as_learner("get", "pods", "-n", mine)[0] == 0
    code, _, err = as_learner("get", "pods", "-n", other)
    assert code == 1
    assert err == (
        f'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:{home}:'
        f'learner" cannot list resource "pods" in API group "" in the namespace "{other}"'
    )
    assert as_learner("auth", "can-i", "create", "pods/exec", "-n", mine)[1] == "yes"
    assert as_learner("auth", "can-i", "delete", "pods", "-n", mine)[1] == "no"
    assert as_learner("auth", "can-i", "list", "pods", "-n", other)[1] == "no"
