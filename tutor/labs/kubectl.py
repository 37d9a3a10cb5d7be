"""The line a learner types to look at a lab's cluster with kubectl, on every backend."""

from __future__ import annotations

import shlex

from tutor.cluster.guard import Target


def kubectl_setup(target: Target, namespace: str) -> str:
    """`export KUBECONFIG=...` and the namespace, ready to paste into a shell.

    The simulator has a kubeconfig of its own (the learner's `~/.kube/config` is never
    edited for it); kind and named contexts are selected with `--context`.
    """
    if target.backend == "sim":
        return (
            f"export KUBECONFIG={shlex.quote(target.kubeconfig)}; "
            f"kubectl config set-context --current --namespace={namespace}"
        )
    return f"kubectl config use-context {target.context}; " + (
        f"kubectl config set-context --current --namespace={namespace}"
    )
