"""`kubectl port-forward`: SPDY/3.1 tunnelled over WebSocket, answered by the simulated Pod.

kubectl 1.37 dials `.../pods/NAME/portforward?ports=P` as a WebSocket with the subprotocol
`SPDY/3.1+portforward.k8s.io` (client-go tools/portforward/tunneling_dialer.go,
`negotiateSPDYOverWebsocket`) and speaks SPDY/3.1 inside binary messages
(tunneling_connection.go). For each local connection it opens two streams with headers
`streamType: error|data`, `port`, `requestID` (portforward.go, `handleConnection`), waits for
each SYN_REPLY, copies the local bytes into the data stream and reads the error stream until
it ends. The frames are those of SPDY/3 (moby/spdystream spdy/write.go): control frames start
with 0x8003 and a type (1 SYN_STREAM, 2 SYN_REPLY, 3 RST_STREAM, 6 PING, 7 GOAWAY, 8 HEADERS),
data frames with a stream id; header blocks are zlib-compressed with the SPDY/3 dictionary,
one compression context per direction. kubectl resolves `svc/NAME` to one Pod and the Service
port to the container port itself, so the server only ever sees a Pod: the answer is the one
the Pod's own server gives on that port (a request to the Pod's address, bypassing kube-proxy).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tutor.cluster.sim.api import errors
from tutor.cluster.sim.api.errors import ApiError

if TYPE_CHECKING:
    from tutor.cluster.sim.api.server import ApiServer
    from tutor.cluster.sim.cluster import SimCluster

Obj = dict[str, Any]
PROTOCOL = "SPDY/3.1+portforward.k8s.io"
_SYN_STREAM, _SYN_REPLY, _RST_STREAM, _PING, _GOAWAY, _HEADERS = 1, 2, 3, 6, 7, 8
_FIN = 0x01
SPDY3_DICTIONARY = bytes.fromhex(
    "000000076f7074696f6e73000000046865616400000004706f7374000000037075740000000664656c65746500000005"
    "7472616365000000066163636570740000000e6163636570742d636861727365740000000f6163636570742d656e636f"
    "64696e670000000f6163636570742d6c616e67756167650000000d6163636570742d72616e6765730000000361676500"
    "000005616c6c6f770000000d617574686f72697a6174696f6e0000000d63616368652d636f6e74726f6c0000000a636f"
    "6e6e656374696f6e0000000c636f6e74656e742d6261736500000010636f6e74656e742d656e636f64696e6700000010"
    "636f6e74656e742d6c616e67756167650000000e636f6e74656e742d6c656e67746800000010636f6e74656e742d6c6f"
    "636174696f6e0000000b636f6e74656e742d6d64350000000d636f6e74656e742d72616e67650000000c636f6e74656e"
    "742d74797065000000046461746500000004657461670000000665787065637400000007657870697265730000000466"
    "726f6d00000004686f73740000000869662d6d617463680000001169662d6d6f6469666965642d73696e63650000000d"
    "69662d6e6f6e652d6d617463680000000869662d72616e67650000001369662d756e6d6f6469666965642d73696e6365"
    "0000000d6c6173742d6d6f646966696564000000086c6f636174696f6e0000000c6d61782d666f727761726473000000"
    "06707261676d610000001270726f78792d61757468656e7469636174650000001370726f78792d617574686f72697a61"
    "74696f6e0000000572616e676500000007726566657265720000000b72657472792d6166746572000000067365727665"
    "7200000002746500000007747261696c6572000000117472616e736665722d656e636f64696e67000000077570677261"
    "64650000000a757365722d6167656e74000000047661727900000003766961000000077761726e696e67000000107777"
    "772d61757468656e746963617465000000066d6574686f64000000036765740000000673746174757300000006323030"
    "204f4b0000000776657273696f6e00000008485454502f312e310000000375726c000000067075626c69630000000a73"
    "65742d636f6f6b69650000000a6b6565702d616c697665000000066f726967696e313030313031323031323032323035"
    "323036333030333032333033333034333035333036333037343032343035343036343037343038343039343130343131"
    "343132343133343134343135343136343137353032353034353035323033204e6f6e2d417574686f7269746174697665"
    "20496e666f726d6174696f6e323034204e6f20436f6e74656e74333031204d6f766564205065726d616e656e746c7934"
    "303020426164205265717565737434303120556e617574686f72697a656434303320466f7262696464656e343034204e"
    "6f7420466f756e6435303020496e7465726e616c20536572766572204572726f72353031204e6f7420496d706c656d65"
    "6e746564353033205365727669636520556e617661696c61626c654a616e20466562204d617220417072204d6179204a"
    "756e204a756c204175672053657074204f6374204e6f76204465632030303a30303a3030204d6f6e2c205475652c2057"
    "65642c205468752c204672692c205361742c2053756e2c20474d546368756e6b65642c746578742f68746d6c2c696d61"
    "67652f706e672c696d6167652f6a70672c696d6167652f6769662c6170706c69636174696f6e2f786d6c2c6170706c69"
    "636174696f6e2f7868746d6c2b786d6c2c746578742f706c61696e2c746578742f6a6176617363726970742c7075626c"
    "6963707269766174656d61782d6167653d677a69702c6465666c6174652c73646368636861727365743d7574662d3863"
    "6861727365743d69736f2d383835392d312c7574662d2c2a2c656e713d302e"
)
"""The header compression dictionary of the SPDY/3 draft (section 2.6.10.1), 1423 bytes."""


def _header_block(headers: dict[str, str]) -> bytes:
    out = struct.pack(">I", len(headers))
    for name, value in headers.items():
        key, text = name.lower().encode(), value.encode()
        out += struct.pack(">I", len(key)) + key + struct.pack(">I", len(text)) + text
    return out


def _parse_block(raw: bytes) -> dict[str, str]:
    count = struct.unpack_from(">I", raw)[0]
    offset, headers = 4, {}
    for _ in range(count):
        size = struct.unpack_from(">I", raw, offset)[0]
        name = raw[offset + 4 : offset + 4 + size].decode()
        offset += 4 + size
        size = struct.unpack_from(">I", raw, offset)[0]
        headers[name] = raw[offset + 4 : offset + 4 + size].decode()
        offset += 4 + size
    return headers


def _control(kind: int, body: bytes, flags: int = 0) -> bytes:
    return struct.pack(">HHI", 0x8003, kind, (flags << 24) | len(body)) + body


def _data(stream: int, data: bytes, flags: int = 0) -> bytes:
    return struct.pack(">II", stream & 0x7FFFFFFF, (flags << 24) | len(data)) + data


Answer = Callable[[int, str], tuple[bytes, str]]
"""(port, request head) to (response bytes, error-stream message)."""


@dataclass
class _Forward:
    """One forwarded connection: its error and data streams and the bytes received."""

    error_stream: int | None = None
    data_stream: int | None = None
    port: int = 0
    received: bytearray = field(default_factory=bytearray)
    answered: bool = False


class _Session:
    """The SPDY side of one port-forward WebSocket."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.compress = zlib.compressobj(zdict=SPDY3_DICTIONARY)
        self.decompress = zlib.decompressobj(zdict=SPDY3_DICTIONARY)
        self.forwards: dict[str, _Forward] = {}
        self.by_stream: dict[int, tuple[str, str]] = {}
        self.buffer = bytearray()
        self.closed = False

    def _headers_out(self, headers: dict[str, str]) -> bytes:
        block = _header_block(headers)
        return self.compress.compress(block) + self.compress.flush(zlib.Z_SYNC_FLUSH)

    def feed(self, chunk: bytes) -> list[bytes]:
        """Frames to send after `chunk` of the client's byte stream."""
        self.buffer += chunk
        out: list[bytes] = []
        while len(self.buffer) >= 8:
            first, second = struct.unpack_from(">II", self.buffer)
            length = second & 0xFFFFFF
            if len(self.buffer) < 8 + length:
                break
            body = bytes(self.buffer[8 : 8 + length])
            del self.buffer[: 8 + length]
            flags = second >> 24
            if first & 0x80000000:
                out += self._on_control((first & 0xFFFF), flags, body)
            else:
                out += self._on_data(first & 0x7FFFFFFF, flags, body)
        return out

    def _on_control(self, kind: int, flags: int, body: bytes) -> list[bytes]:
        if kind == _SYN_STREAM:
            stream = struct.unpack_from(">I", body)[0] & 0x7FFFFFFF
            headers = _parse_block(self.decompress.decompress(body[10:]))
            request_id = headers.get("requestid", "")
            forward = self.forwards.setdefault(request_id, _Forward())
            port = headers.get("port", "")
            forward.port = int(port) if port.isdigit() else forward.port
            role = headers.get("streamtype", "")
            if role == "error":
                forward.error_stream = stream
            elif role == "data":
                forward.data_stream = stream
            self.by_stream[stream] = (request_id, role)
            reply = struct.pack(">I", stream) + self._headers_out({})
            return [_control(_SYN_REPLY, reply)]
        if kind == _HEADERS:
            self.decompress.decompress(body[4:])  # keeps the shared zlib context in step
        elif kind == _PING:
            return [_control(_PING, body)]
        elif kind == _GOAWAY:
            self.closed = True
        return []

    def _on_data(self, stream: int, flags: int, body: bytes) -> list[bytes]:
        request_id, role = self.by_stream.get(stream, ("", ""))
        forward = self.forwards.get(request_id)
        if forward is None or role != "data" or forward.answered:
            return []
        forward.received += body
        head, sep, rest = bytes(forward.received).partition(b"\r\n\r\n")
        if not sep and not flags & _FIN:
            return []
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        if len(rest) < length and not flags & _FIN:
            return []
        forward.answered = True
        response, failure = self.answer(forward.port, head.decode("latin-1"))
        out = [_data(stream, response[i : i + 16384]) for i in range(0, len(response), 16384)]
        out.append(_data(stream, b"", _FIN))
        if forward.error_stream is not None:
            if failure:
                out.append(_data(forward.error_stream, failure.encode()))
            out.append(_data(forward.error_stream, b"", _FIN))
        return out


async def port_forward(
    server: ApiServer, request: web.Request, namespace: str, name: str
) -> web.StreamResponse:
    """`.../pods/NAME/portforward?ports=P` over WebSocket (SPDY/3.1 inside)."""
    cluster = server.engine.cluster
    pod = cluster.store.get("Pod", namespace, name)
    if pod is None:
        raise errors.not_found("pods", name)
    # The ports come in each stream's `port` header, not in the query (SPDY port-forward).
    ws = web.WebSocketResponse(protocols=(PROTOCOL,), autoping=True)
    if not ws.can_prepare(request).ok:
        # kubectl falls back to a plain SPDY upgrade when the WebSocket one is refused
        # (client-go tools/portforward/fallback_dialer.go); that upgrade is not served.
        raise ApiError(400, "BadRequest", "Upgrade request required")
    await ws.prepare(request)

    def answer(port: int, head: str) -> tuple[bytes, str]:
        return http_from_pod(cluster, pod, port, head)

    session = _Session(answer)
    async for message in ws:
        if message.type == WSMsgType.BINARY:
            for frame in session.feed(message.data):
                await ws.send_bytes(frame)
            if session.closed:
                break
        elif message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            break
    await ws.close()
    return ws


def http_from_pod(cluster: SimCluster, pod: Obj, port: int, head: str) -> tuple[bytes, str]:
    """What the Pod's own server answers on `port` to an HTTP request (its head), as bytes
    on the wire; or an error-stream message as the kubelet words it when nothing listens."""
    from tutor.cluster.sim.api.commands.http import response_headers
    from tutor.cluster.sim.api.commands.proc import Proc
    from tutor.cluster.sim.api.commands.toolbox import toolbox_for
    from tutor.cluster.sim.dns import pod_ips

    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    path = parts[1] if len(parts) > 1 and parts[1].startswith("/") else "/"
    headers = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip()] = value.strip()
    container = ((pod.get("spec") or {}).get("containers") or [{}])[0]
    proc = Proc(cluster, pod, container, toolbox_for(str(container.get("image") or "")))
    address = (pod_ips(pod) or ["127.0.0.1"])[0]
    attempt = proc.http(f"http://{address}:{port}{path}", headers, 5.0)
    if not attempt.ok:
        # containerd's CRI port-forward (sandbox_portforward_linux.go) as kubectl shows it
        uid = pod["metadata"].get("uid", "")
        netns = f"/var/run/netns/cni-{uid}"
        return b"", (
            f"error forwarding port {port} to pod {uid}, uid : failed to execute portforward "
            f'in network namespace "{netns}": failed to connect to localhost:{port} inside '
            f'namespace "{uid}", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused '
            f"IPv6 dial tcp6 [::1]:{port}: connect: connection refused "
        )
    status = attempt.status or 0
    lines_out = response_headers(proc, status, attempt.body, "pod", attempt.backend)
    if headers.get("Connection", "").lower() == "close":
        lines_out.append("Connection: close")
    wire = "".join(f"{line}\r\n" for line in lines_out) + "\r\n"
    return wire.encode() + attempt.body.encode(), ""
