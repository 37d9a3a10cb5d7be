"""Authentication for the simulator's API server: the admin token and ServiceAccount tokens.

Two kinds of bearer token are accepted:

- the installation's admin token (`credentials.py`): user `kubernetes-admin` in group
  `kubeadm:cluster-admins`, which is cluster-admin (kind's kubeconfig user is the same);
- ServiceAccount tokens made by the `serviceaccounts/NAME/token` subresource (TokenRequest,
  what `kubectl create token` calls). They are JWTs signed with HS256 under a key derived from
  the admin token, carrying the claims kube-apiserver puts in bound tokens
  (`k8s.io/kubernetes pkg/serviceaccount/claims.go`: `sub`, `aud`, `exp`, and
  `kubernetes.io.serviceaccount.{name,uid}`). A token names its ServiceAccount's uid, so it
  stops working when the ServiceAccount is deleted (as a bound token does).

The user of a ServiceAccount token is `system:serviceaccount:NS:NAME` in the groups
`system:serviceaccounts`, `system:serviceaccounts:NS` and `system:authenticated`
(k8s.io/apiserver `pkg/authentication/serviceaccount/util.go`, `UserInfo`/`MakeGroupNames`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tutor.cluster.sim.api import errors
from tutor.cluster.sim.api.errors import ApiError

if TYPE_CHECKING:
    from tutor.cluster.sim.store import Store

Obj = dict[str, Any]

ADMIN_USER = "kubernetes-admin"
ADMIN_GROUP = "kubeadm:cluster-admins"
AUTHENTICATED = "system:authenticated"
SA_PREFIX = "system:serviceaccount:"
ISSUER = "https://kubernetes.default.svc.cluster.local"
DEFAULT_EXPIRATION = 3600
MAX_EXPIRATION = 48 * 3600


@dataclass(frozen=True)
class UserInfo:
    """Who sent a request."""

    name: str
    groups: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        """The installation's admin: every request is allowed."""
        return ADMIN_GROUP in self.groups


def service_account_user(namespace: str, name: str) -> UserInfo:
    """The user a ServiceAccount's token authenticates as."""
    return UserInfo(
        f"{SA_PREFIX}{namespace}:{name}",
        ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED),
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(admin_token: str) -> bytes:
    # A key of its own, so that a ServiceAccount token never reveals the admin token.
    return hashlib.sha256(
        b"kube-tutor-sim service account tokens\0" + admin_token.encode()
    ).digest()


def sign_token(
    admin_token: str,
    service_account: Obj,
    *,
    expiration: int = DEFAULT_EXPIRATION,
    audiences: list[str] | None = None,
    now: float | None = None,
) -> tuple[str, int]:
    """A token for `service_account` and its expiry (seconds since the epoch)."""
    issued = int(now if now is not None else time.time())
    meta = service_account["metadata"]
    claims = {
        "aud": audiences or [ISSUER],
        "exp": issued + expiration,
        "iat": issued,
        "iss": ISSUER,
        "sub": f"{SA_PREFIX}{meta['namespace']}:{meta['name']}",
        "kubernetes.io": {
            "namespace": meta["namespace"],
            "serviceaccount": {"name": meta["name"], "uid": meta.get("uid", "")},
        },
    }
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signed = f"{header}.{payload}"
    signature = hmac.new(_key(admin_token), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64(signature)}", claims["exp"]  # type: ignore[return-value]


def authenticate(
    header: str, admin_token: str, store: Store, *, now: float | None = None
) -> UserInfo | None:
    """The user an `Authorization` header proves, or None (the request is answered 401)."""
    if not header.startswith("Bearer "):
        return None
    token = header[len("Bearer ") :].strip()
    if hmac.compare_digest(token, admin_token):
        return UserInfo(ADMIN_USER, (ADMIN_GROUP, AUTHENTICATED))
    parts = token.split(".")
    if len(parts) != 3:
        return None
    expected = hmac.new(_key(admin_token), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
    try:
        if not hmac.compare_digest(_unb64(parts[2]), expected.digest()):
            return None
        claims = json.loads(_unb64(parts[1]))
    except ValueError:
        return None
    if not isinstance(claims, dict) or float(claims.get("exp", 0)) < (now or time.time()):
        return None
    info = claims.get("kubernetes.io") or {}
    namespace = str(info.get("namespace", ""))
    account = info.get("serviceaccount") or {}
    stored = store.get("ServiceAccount", namespace, str(account.get("name", "")))
    if stored is None or stored["metadata"].get("uid") != account.get("uid"):
        return None  # the ServiceAccount was deleted (or deleted and made again)
    return service_account_user(namespace, str(account["name"]))


def token_request(admin_token: str, store: Store, namespace: str, name: str, body: Any) -> Obj:
    """Answer `POST .../serviceaccounts/NAME/token`: the TokenRequest with its status filled
    (`pkg/registry/core/serviceaccount/storage/token.go`, `Create`)."""
    account = store.get("ServiceAccount", namespace, name)
    if account is None:
        raise errors.not_found("serviceaccounts", name)
    spec = (body or {}).get("spec") or {} if isinstance(body, dict) else {}
    seconds = spec.get("expirationSeconds") or DEFAULT_EXPIRATION
    if not isinstance(seconds, int) or seconds < 600:
        raise ApiError(
            422,
            "Invalid",
            f'TokenRequest.authentication.k8s.io "{name}" is invalid: spec.expirationSeconds: '
            "Invalid value: may not specify a duration less than 10 minutes",
        )
    seconds = min(seconds, MAX_EXPIRATION)
    audiences = [str(a) for a in spec.get("audiences") or []] or None
    token, expires = sign_token(admin_token, account, expiration=seconds, audiences=audiences)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
        "spec": {"audiences": audiences or [ISSUER], "expirationSeconds": seconds},
        "status": {"token": token, "expirationTimestamp": stamp},
    }
