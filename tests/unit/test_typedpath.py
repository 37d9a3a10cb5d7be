"""Typed paths: keys, indexes, filters, quoted keys, wildcards, and clear syntax errors."""

from __future__ import annotations

from typing import Any

import pytest

from tutor.core.typedpath import (
    MISSING,
    Each,
    Index,
    Key,
    PathSyntaxError,
    Where,
    parse_path,
    resolve,
)

SERVICE: dict[str, Any] = {
    "metadata": {
        "name": "web",
        "labels": {"app.kubernetes.io/name": "web", "tier": "front"},
        "annotations": {"a.b": {"c": 1}},
    },
    "spec": {
        "type": "ClusterIP",
        "ports": [
            {"name": "http", "port": 80, "targetPort": 8080},
            {"name": "metrics", "port": 9090, "targetPort": "metrics", "appProtocol": "http"},
            {"port": 443},
        ],
        "publishNotReadyAddresses": False,
        "selector": {"app": "web"},
    },
    "status": {"loadBalancer": {}},
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("metadata.name", "web"),
        ("spec.type", "ClusterIP"),
        ("spec.ports[0].port", 80),
        ("spec.ports[2].port", 443),
        ("spec.ports[-1].port", 443),
        ("spec.ports[-3].name", "http"),
        ("spec.ports[ 1 ].targetPort", "metrics"),
        ("spec.ports[name=http].targetPort", 8080),
        ("spec.ports[name=metrics].port", 9090),
        ('spec.ports[name="metrics"].port', 9090),
        ("spec.ports[name='http'].port", 80),
        ("spec.ports[port=443]", {"port": 443}),
        ("spec.ports[ port = 9090 ].name", "metrics"),
        ('metadata.labels["app.kubernetes.io/name"]', "web"),
        ("metadata.labels['app.kubernetes.io/name']", "web"),
        ('metadata.annotations["a.b"].c', 1),
        ('["metadata"].name', "web"),
        ("spec.ports[*].port", [80, 9090, 443]),
        ("spec.ports[*].name", ["http", "metrics"]),
        ("spec.ports[*]", SERVICE["spec"]["ports"]),
        ("spec.publishNotReadyAddresses", False),
        ("spec.selector", {"app": "web"}),
        ("status.loadBalancer", {}),
    ],
)
def test_resolve(path: str, value: Any) -> None:
    assert resolve(SERVICE, path) == value


def test_filter_on_a_nested_field_and_booleans() -> None:
    data = {
        "items": [
            {"metadata": {"name": "a"}, "ready": False},
            {"metadata": {"name": "b"}, "ready": True},
        ]
    }
    assert resolve(data, "items[metadata.name=b].ready") is True
    assert resolve(data, "items[ready=true].metadata.name") == "b"
    assert resolve(data, "items[ready=false].metadata.name") == "a"


@pytest.mark.parametrize(
    "path",
    [
        "metadata.namespace",
        "spec.ports[3]",
        "spec.ports[-4]",
        "spec.ports[name=grpc].port",
        "spec.ports[0].port.value",
        "spec.type[0]",
        "spec.type[*]",
        "spec.ports.name",
        "spec.selector[name=web]",
        'metadata.labels["app"]',
        "status.loadBalancer.ingress[0].ip",
    ],
)
def test_missing_paths_give_missing(path: str) -> None:
    assert resolve(SERVICE, path) is MISSING


def test_missing_is_not_none_or_falsy_value() -> None:
    assert resolve({"a": None}, "a") is None
    assert resolve({"a": 0}, "a") == 0
    assert resolve(None, "a") is MISSING
    assert resolve([1, 2], "[1]") == 2


def test_parse_produces_steps_and_is_reusable() -> None:
    steps = parse_path('spec.ports[name=http]["x.y"][*][-1]')
    assert steps == (
        Key("spec"),
        Key("ports"),
        Where("name", "http"),
        Key("x.y"),
        Each(),
        Index(-1),
    )
    assert resolve(SERVICE, parse_path("spec.ports[0].port")) == 80


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "empty"),
        ("spec.", "ends with '.'"),
        (".spec", "empty segment at position 0"),
        ("spec..type", "empty segment at position 5"),
        ("spec.[0]", "'[' right after '.'"),
        ("spec ports", "unexpected ' ports'"),
        ("spec.ports[0]port", "missing '.'"),
        ("spec.ports[", "unexpected '['"),
        ("spec.ports[1.5]", "unexpected"),
        ("spec.ports[=http]", "unexpected"),
        ('metadata.labels["open]', "unexpected"),
        ("0.spec", "unexpected"),
    ],
)
def test_syntax_errors(path: str, message: str) -> None:
    with pytest.raises(PathSyntaxError) as exc:
        parse_path(path)
    assert message in str(exc.value)
    with pytest.raises(PathSyntaxError):
        resolve(SERVICE, path)
