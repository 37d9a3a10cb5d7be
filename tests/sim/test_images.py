"""The image catalogue: which ports listen and what each program answers."""

from __future__ import annotations

import pytest

from tutor.cluster.sim.images import image_repository, pod_listener, workload_for

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"


def test_netexec_defaults_listen_on_8080_tcp_and_8081_udp() -> None:
    w = workload_for({"image": AGNHOST, "args": ["netexec"]})
    assert w.listens(8080)
    assert w.listens(8081, "UDP")
    assert not w.listens(80)
    assert not w.listens(8081, "TCP")


def test_netexec_http_port_flag_both_spellings() -> None:
    a = workload_for({"image": AGNHOST, "args": ["netexec", "--http-port=9000"]})
    b = workload_for({"image": AGNHOST, "command": ["/agnhost", "netexec", "--http-port", "9000"]})
    assert a.listens(9000) and b.listens(9000)
    assert not a.listens(8080)


def test_netexec_endpoints() -> None:
    w = workload_for({"image": AGNHOST, "args": ["netexec"]})
    kw = {"pod_name": "web-1", "client_ip": "10.244.1.5"}
    assert w.http(8080, "/hostname", {}, **kw) == (200, "web-1")
    assert w.http(8080, "/clientip", {}, pod_name="p", client_ip="10.244.1.5:51000") == (
        200,
        "10.244.1.5:51000",
    )
    assert w.http(8080, "/echo?msg=hi", {}, **kw) == (200, "hi")
    assert w.http(8080, "/echo?msg=gone&code=404", {}, **kw) == (404, "gone")
    assert w.http(8080, "/header?key=X-Lab", {"x-lab": "yes"}, **kw) == (200, "yes")
    assert w.http(8080, "/healthz", {}, **kw)[0] == 200
    assert w.http(8080, "/readyz", {}, **kw) == (200, "ok")
    # netexec's "/" handler catches every other path: 200 with a timestamp, never 404
    status, body = w.http(8080, "/nope", {}, **kw)
    assert status == 200 and body.startswith("NOW: ")


def test_http_on_closed_port_is_refused() -> None:
    w = workload_for({"image": AGNHOST, "args": ["netexec"]})
    with pytest.raises(ConnectionRefusedError):
        w.http(80, "/", {}, pod_name="p", client_ip="1.2.3.4")


def test_serve_hostname_answers_pod_name_on_any_path() -> None:
    w = workload_for({"image": AGNHOST, "args": ["serve-hostname", "--http=true", "--port=8080"]})
    assert w.http(8080, "/anything/at/all", {}, pod_name="web-0", client_ip="x") == (200, "web-0")
    assert workload_for({"image": AGNHOST, "args": ["serve-hostname"]}).listens(9376)


def test_serve_hostname_http_with_tcp_crashes() -> None:
    w = workload_for({"image": AGNHOST, "args": ["serve-hostname", "--tcp"]})
    assert not w.runs and not w.listens(9376)


def test_pause_listens_on_nothing_and_runs() -> None:
    w = workload_for({"image": AGNHOST, "args": ["pause"]})
    assert w.runs
    assert not any(w.listens(p) for p in (80, 8080, 9376))


def test_agnhost_without_subcommand_exits() -> None:
    assert not workload_for({"image": AGNHOST}).runs


def test_nginx_default_page_and_404() -> None:
    w = workload_for({"image": "nginx:1.27"})
    assert w.listens(80)
    assert w.http(80, "/", {}, pod_name="p", client_ip="x")[0] == 200
    assert w.http(80, "/missing", {}, pod_name="p", client_ip="x")[0] == 404


def test_nginx_vhost_mode_is_host_header_sensitive() -> None:
    w = workload_for(
        {"image": "nginx:1.27", "env": [{"name": "NGINX_HOST", "value": "web.shop.example"}]}
    )
    kw = {"pod_name": "p", "client_ip": "x"}
    assert w.http(80, "/", {"Host": "web.shop.example"}, **kw)[0] == 200
    assert w.http(80, "/", {"Host": "web.shop.example:80"}, **kw)[0] == 200
    assert w.http(80, "/", {"Host": "alias.lab.svc.cluster.local"}, **kw)[0] == 404


def test_busybox_and_unknown_images_listen_on_nothing() -> None:
    assert not workload_for({"image": "busybox:1.36", "command": ["sleep", "3600"]}).listens(80)
    assert not workload_for({"image": "busybox:1.36"}).runs
    unknown = workload_for({"image": "example.com/team/app:v3"})
    assert unknown.runs and not unknown.listens(8080)


def test_exec_probe_commands() -> None:
    w = workload_for({"image": AGNHOST, "args": ["netexec"]})
    assert w.exec(["true"]) == 0
    assert w.exec(["cat", "/tmp/healthy"]) == 1
    assert w.exec(["sh", "-c", "curl -f http://localhost:8080/healthz"]) == 0
    assert w.exec(["curl", "-f", "http://localhost:9999/"]) == 7
    assert w.exec(["nc", "-z", "localhost", "8080"]) == 0


def test_pod_listener_finds_the_container_that_owns_the_port() -> None:
    pod = {
        "spec": {
            "containers": [
                {"name": "a", "image": AGNHOST, "args": ["pause"]},
                {"name": "b", "image": "nginx"},
            ]
        }
    }
    found = pod_listener(pod, 80)
    assert found is not None and found.program == "nginx"
    assert pod_listener(pod, 8080) is None


def test_image_repository() -> None:
    assert image_repository(AGNHOST) == "agnhost"
    assert image_repository("nginx@sha256:abc") == "nginx"
    assert image_repository("localhost:5000/nginx:1") == "nginx"
