"""`host_http(..., resolve=ADDRESS)` on kind: connect to ADDRESS, send the URL's host as SNI
and Host, and do not verify the certificate (as `curl -k --resolve` does)."""

from __future__ import annotations

import http.server
import ssl
import threading
from pathlib import Path

from tutor.cluster.probes import host_http

LAB = Path(__file__).resolve().parents[2] / "labs" / "24-ingress-tls-secret" / "solution"


def _pem(tmp: Path) -> tuple[Path, Path]:
    import yaml

    secret = yaml.safe_load((LAB / "secret.yaml").read_text())
    crt, key = tmp / "tls.crt", tmp / "tls.key"
    crt.write_text(secret["stringData"]["tls.crt"])
    key.write_text(secret["stringData"]["tls.key"])
    return crt, key


def test_pinned_https_sends_sni_and_host(tmp_path: Path) -> None:
    crt, key = _pem(tmp_path)
    seen: dict[str, str | None] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen["host"] = self.headers.get("Host")
            body = b"shop-0"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(crt, key)
    context.sni_callback = lambda sock, name, ctx: seen.__setitem__("sni", name)  # type: ignore[assignment,func-returns-value]
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        attempt = host_http(
            f"https://shop.example.com:{port}/", {}, 5, pods=["shop-0"], resolve="127.0.0.1"
        )
    finally:
        thread.join(5)
        server.server_close()
    assert attempt.ok and attempt.status == 200 and attempt.backend == "shop-0"
    assert seen["sni"] == "shop.example.com"
    assert seen["host"] == f"shop.example.com:{port}"
