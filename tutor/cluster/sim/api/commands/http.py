"""curl and busybox wget, answered by the data plane.

curl's messages and exit codes are those of its sources (curl/curl, tags curl-7_79_1,
curl-7_88_1, curl-8_12_1): 6 `Could not resolve host: NAME` (lib/url.c), 7 `Failed to connect
to HOST port P after N ms: REASON` (lib/connect.c; REASON is strerror(errno) up to 7.86, then
`curl_easy_strerror`: `Couldn't connect to server`, in 8.x `Could not connect to server`),
28 `Connection timed out after N milliseconds` when --connect-timeout/--max-time ends the
connect (lib/multi.c), or the kernel's ETIMEDOUT after about 127 s of SYN retries without
them; 56 `Recv failure: Connection reset by peer`; 22 with --fail on a status >= 400; 2 for
an unknown option or no URL. `-w` write-out variables, `-o`, `-i`, `-I`, `-v`, `-H`,
`--resolve`, `-s`/`-S` behave as curl's do; without `-s` curl draws its progress meter on
stderr (stdout is a pipe under `kubectl exec`). TLS is modelled where a Gateway or Ingress
terminates it (`tutor.cluster.sim.tls`): the URL's host is the SNI name (none for an IP, RFC
6066), `--resolve` keeps it; a handshake the proxy closes is curl's 35 (`OpenSSL SSL_connect:
SSL_ERROR_SYSCALL in connection to HOST:PORT`, lib/vtls/openssl.c), and without `-k` the lab
certificates, being self-signed, fail verification with 60 (`SSL certificate problem:
self-signed certificate`). `https://` to a Pod is answered as the data plane answers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

from tutor.cluster.base import ProbeAttempt
from tutor.cluster.sim.api.commands.proc import Out, Proc, Served, remote_of

_CURL_FLAGS = {
    "s": "silent", "S": "show-error", "f": "fail", "L": "location", "v": "verbose",
    "i": "include", "I": "head", "k": "insecure", "4": "ipv4", "6": "ipv6", "N": "no-buffer",
    "q": "disable", "g": "globoff", "#": "progress-bar", "O": "remote-name",
}  # fmt: skip
_CURL_VALUES = {
    "o": "output", "w": "write-out", "H": "header", "m": "max-time", "X": "request",
    "d": "data", "A": "user-agent", "e": "referer", "u": "user", "b": "cookie", "x": "proxy",
    "D": "dump-header", "F": "form", "T": "upload-file", "c": "cookie-jar", "r": "range",
}  # fmt: skip
_LONG_FLAGS = set(_CURL_FLAGS.values()) | {
    "http1.1", "http1.0", "http2", "compressed", "fail-with-body", "no-keepalive",
    "path-as-is", "raw", "tcp-nodelay", "no-progress-meter", "ssl-no-revoke", "tr-encoding",
}  # fmt: skip
_LONG_VALUES = set(_CURL_VALUES.values()) | {
    "connect-timeout", "resolve", "connect-to", "retry", "retry-delay", "retry-max-time",
    "data-raw", "data-binary", "data-urlencode", "url", "interface", "local-port", "max-filesize",
    "cacert", "cert", "key", "noproxy", "limit-rate", "expect100-timeout", "json",
}  # fmt: skip
_USAGE = "curl: try 'curl --help' or 'curl --manual' for more information\n"
KERNEL_CONNECT_TIMEOUT_MS = 127_000
"""Linux gives up a TCP connect after 6 SYN retransmissions (1+2+4+8+16+32+64 s)."""


@dataclass
class CurlArgs:
    """Parsed curl options."""

    flags: set[str] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)

    def last(self, name: str) -> str | None:
        """The last value given for an option."""
        found = self.values.get(name)
        return found[-1] if found else None

    def seconds(self, name: str) -> float | None:
        """A timeout option in seconds (curl accepts decimals)."""
        text = self.last(name)
        try:
            return float(text) if text is not None else None
        except ValueError:
            return None


def parse_curl(args: list[str]) -> CurlArgs | str:
    """curl's command line, or the message curl refuses it with."""
    parsed = CurlArgs()
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word.startswith("--") and len(word) > 2:
            name = word[2:]
            if name in _LONG_FLAGS:
                parsed.flags.add(name)
            elif name in _LONG_VALUES:
                if index >= len(args):
                    return f"curl: option {word}: requires parameter\n{_USAGE}"
                parsed.values.setdefault(name, []).append(args[index])
                if name == "url":
                    parsed.urls.append(args[index])
                index += 1
            elif name.startswith("no-") and name[3:] in _LONG_FLAGS:
                parsed.flags.discard(name[3:])
            else:
                return f"curl: option {word}: is unknown\n{_USAGE}"
        elif word.startswith("-") and len(word) > 1:
            letters = word[1:]
            for pos, letter in enumerate(letters):
                if letter in _CURL_FLAGS:
                    parsed.flags.add(_CURL_FLAGS[letter])
                elif letter in _CURL_VALUES:
                    rest = letters[pos + 1 :]
                    if not rest:
                        if index >= len(args):
                            return f"curl: option -{letter}: requires parameter\n{_USAGE}"
                        rest = args[index]
                        index += 1
                    parsed.values.setdefault(_CURL_VALUES[letter], []).append(rest)
                    break
                else:
                    return f"curl: option {word}: is unknown\n{_USAGE}"
        else:
            parsed.urls.append(word)
    return parsed


def _escapes(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r").replace("\\\\", "\\")


_WRITE_OUT_VARS = frozenset(
    [
        "http_code",
        "response_code",
        "remote_ip",
        "remote_port",
        "local_ip",
        "local_port",
        "url_effective",
        "size_download",
        "size_header",
        "time_total",
        "time_connect",
        "time_namelookup",
        "time_starttransfer",
        "time_appconnect",
        "time_pretransfer",
        "exitcode",
        "content_type",
        "num_connects",
        "errormsg",
        "method",
        "http_version",
        "scheme",
        "redirect_url",
    ]
)


def write_out(template: str, values: dict[str, str]) -> tuple[str, str]:
    """curl's `-w` text (and warnings for unknown variables) from the transfer's values."""
    out: list[str] = []
    warnings = ""
    text = _escapes(template)
    index = 0
    while index < len(text):
        if text.startswith("%{", index) and "}" in text[index:]:
            end = text.index("}", index)
            name = text[index + 2 : end]
            if name in _WRITE_OUT_VARS:
                out.append(values.get(name, ""))
            else:
                warnings += f"curl: unknown --write-out variable: '{name}'\n"
            index = end + 1
        elif text.startswith("%%", index):
            out.append("%")
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out), warnings


def response_headers(
    proc: Proc, status: int, body: str, via: str, backend: str | None
) -> list[str]:
    """The status line and headers of a response, as the answering server sends them."""
    date = proc.now().strftime("%a, %d %b %Y %H:%M:%S GMT")
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    length = len(body.encode())
    program = ""
    if backend:
        pod = proc.objects.get("Pod", backend, proc.namespace)
        if pod is not None:
            from tutor.cluster.sim.images import pod_workloads

            programs = [w.program for _, w in pod_workloads(pod) if w.http_ports]
            program = programs[0] if programs else ""
    if via == "envoy":
        return [
            f"HTTP/1.1 {status} {reason}",
            f"date: {date}",
            f"content-type: {'text/plain' if program != 'nginx' else 'text/html'}",
            f"content-length: {length}",
            "server: envoy",
        ]
    if program == "nginx":
        return [
            f"HTTP/1.1 {status} {reason}",
            "Server: nginx",
            f"Date: {date}",
            "Content-Type: text/html",
            f"Content-Length: {length}",
            "Connection: keep-alive",
        ]
    # Go's net/http (agnhost, http-echo)
    kind = "text/plain; charset=utf-8"
    return [
        f"HTTP/1.1 {status} {reason}",
        f"Date: {date}",
        f"Content-Length: {length}",
        f"Content-Type: {kind}",
    ]


def _connect_failure(
    style: str, host: str, port: int, error: str, elapsed_ms: int
) -> tuple[int, str]:
    reasons = {
        "refused": "Connection refused",
        "no-route": "Host is unreachable",
        "timeout": "Operation timed out",
    }
    if style == "7.79":
        reason = reasons.get(error, "Connection refused")
    else:
        reason = "Couldn't connect to server" if style == "7.88" else "Could not connect to server"
    code = 28 if error == "timeout" else 7
    return code, f"Failed to connect to {host} port {port} after {elapsed_ms} ms: {reason}"


def curl(proc: Proc, args: list[str], stdin: str = "") -> Out:
    """`curl ARGS...` from the Pod."""
    parsed = parse_curl(args)
    if isinstance(parsed, str):
        return Out(2, "", parsed)
    if not parsed.urls:
        return Out(2, "", f"curl: no URL specified!\n{_USAGE}")
    result = Out()
    for url in parsed.urls:
        result = result.add(_curl_one(proc, parsed, url))
    return result


def _curl_one(proc: Proc, opts: CurlArgs, url: str) -> Out:
    style = proc.toolbox.curl
    silent = "silent" in opts.flags
    show_error = not silent or "show-error" in opts.flags
    full = url if "://" in url else f"http://{url}"
    parts = urlsplit(full)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        message = f'Protocol "{scheme}" not supported or disabled in libcurl'
        return Out(1, "", f"curl: (1) {message}\n" if show_error else "")
    try:
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return Out(3, "", "curl: (3) URL using bad/illegal format or missing URL\n")
    if not host:
        return Out(3, "", "curl: (3) URL using bad/illegal format or missing URL\n")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers: dict[str, str] = {}
    for header in opts.values.get("header", []):
        key, sep, value = header.partition(":")
        if sep:
            headers[key.strip()] = value.strip()
    connect_host = host
    pinned: str | None = None
    for entry in opts.values.get("resolve", []):
        name, _, rest = entry.partition(":")
        rport, _, address = rest.partition(":")
        if name.lower() == host.lower() and rport == str(port) and address:
            connect_host = pinned = address.strip("[]")
    connect_timeout = opts.seconds("connect-timeout")
    max_time = opts.seconds("max-time")
    limits = [t for t in (connect_timeout, max_time) if t is not None and t > 0]
    named = f"[{host}]" if ":" in host else host
    attempt = proc.http(
        f"{scheme}://{named}:{port}{path}", headers, min(limits) if limits else 300, pinned
    )
    remote = remote_of(attempt)
    remote_ip = remote[0] if remote else (proc.resolve_address(connect_host) or "")
    stderr = ""
    verbose = "verbose" in opts.flags
    agent = opts.last("user-agent") or f"curl/{proc.toolbox.curl_version}"
    sent_host = next((v for k, v in headers.items() if k.lower() == "host"), None)
    if sent_host is None:
        sent_host = host if port in (80, 443) else f"{host}:{port}"
    if verbose and remote_ip:
        stderr += f"*   Trying {remote_ip}:{port}...\n"
    code, error = 0, ""
    status = 0
    body = ""
    header_lines: list[str] = []
    if not attempt.ok:
        code, error = _failure(style, attempt, host, port, limits)
    elif attempt.certificate and "insecure" not in opts.flags:
        # the lab's certificates are self-signed: no CA bundle in the Pod trusts them
        code, error = 60, "SSL certificate problem: self-signed certificate"
    else:
        status = attempt.status or 0
        body = attempt.body
        via = proc.responder(remote_ip) if remote_ip else "pod"
        header_lines = response_headers(proc, status, body, via, attempt.backend)
        if attempt.location:
            header_lines.insert(-1, f"location: {attempt.location}")
        method = "HEAD" if "head" in opts.flags else (opts.last("request") or "GET")
        proc.record_served(
            attempt.backend,
            _served(proc, attempt, method, path, status, len(body.encode()), agent),
        )
        if verbose:
            stderr += f"* Connected to {host} ({remote_ip}) port {port} (#0)\n"
            stderr += _certificate_block(proc, attempt.certificate, "insecure" in opts.flags)
            stderr += (
                f"> {method} {path} HTTP/1.1\n> Host: {sent_host}\n> User-Agent: {agent}\n"
                "> Accept: */*\n"
                + "".join(f"> {k}: {v}\n" for k, v in headers.items() if k.lower() != "host")
                + ">\n"
                + "".join(f"< {line}\n" for line in header_lines)
                + "<\n"
            )
        if status >= 400 and ("fail" in opts.flags or "fail-with-body" in opts.flags):
            code, error = 22, f"The requested URL returned error: {status}"
    stdout = ""
    head_block = "".join(f"{line}\r\n" for line in header_lines) + "\r\n" if header_lines else ""
    if code in (0, 22) and status:
        if "head" in opts.flags:
            stdout = head_block
        elif code == 0 or "fail-with-body" in opts.flags:
            stdout = (head_block if "include" in opts.flags else "") + body
    output = opts.last("output")
    if output is not None and output != "-":
        stdout = ""  # written to a file (or /dev/null)
    if verbose and code == 0:
        stderr += f"* Connection #0 to host {host} left intact\n"
    if not silent:
        stderr = _meter(len(body.encode()) if code == 0 else 0) + stderr
    if error and show_error:
        stderr += f"curl: ({code}) {error}\n"
    template = opts.last("write-out")
    if template is not None:
        text, warnings = write_out(
            template,
            {
                "http_code": f"{status:03d}",
                "response_code": f"{status:03d}",
                "remote_ip": remote_ip if (attempt.ok or attempt.error == "refused") else "",
                "remote_port": str(port) if attempt.ok else "",
                "local_ip": proc.ip,
                "local_port": "40000" if attempt.ok else "",
                "url_effective": full,
                "size_download": str(len(body.encode())),
                "size_header": str(len(head_block.encode())),
                "time_total": "0.001234",
                "time_connect": "0.000456" if attempt.ok else "0.000000",
                "time_namelookup": "0.000123",
                "time_starttransfer": "0.001200" if attempt.ok else "0.000000",
                "time_appconnect": "0.000000",
                "time_pretransfer": "0.000500" if attempt.ok else "0.000000",
                "exitcode": str(code),
                "content_type": next(
                    (
                        h.split(":", 1)[1].strip()
                        for h in header_lines
                        if h.lower().startswith("content-type:")
                    ),
                    "",
                ),
                "num_connects": "1" if attempt.ok else "0",
                "errormsg": error,
                "method": opts.last("request") or ("HEAD" if "head" in opts.flags else "GET"),
                "http_version": "1.1" if status else "0",
                "scheme": scheme.upper(),
                "redirect_url": attempt.location or "",
            },
        )
        stdout += text
        stderr += warnings
    return Out(code, stdout, stderr)


def _certificate_block(proc: Proc, certificate: str | None, insecure: bool) -> str:
    """`curl -v`'s lines about the certificate a TLS-terminating proxy presented."""
    if not certificate:
        return ""
    from tutor.cluster.sim.tls import certificate_lines

    ns, _, name = certificate.removeprefix("Secret ").partition("/")
    secret = proc.objects.get("Secret", name, ns)
    lines = certificate_lines(secret) if secret is not None else []
    if insecure:
        lines.append(
            " SSL certificate verify result: self-signed certificate (18), continuing anyway."
        )
    return "".join(f"* {line}\n" for line in lines)


def _failure(
    style: str, attempt: ProbeAttempt, host: str, port: int, limits: list[float]
) -> tuple[int, str]:
    error = attempt.error or ""
    if error in ("nxdomain", "unresolvable", "no-data"):
        return 6, f"Could not resolve host: {host}"
    if error == "reset":
        return 56, "Recv failure: Connection reset by peer"
    if error == "tls":
        return 35, f"OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to {host}:{port}"
    if error == "timeout":
        if limits:
            return 28, f"Connection timed out after {int(min(limits) * 1000) + 1} milliseconds"
        return _connect_failure(style, host, port, "timeout", KERNEL_CONNECT_TIMEOUT_MS)
    if error in ("refused", "no-route"):
        return _connect_failure(style, host, port, error, 0 if error == "refused" else 3)
    return 7, f"Failed to connect to {host} port {port} after 0 ms: {error or 'error'}"


def _meter(size: int) -> str:
    """curl's progress meter (shown on stderr unless -s), after one finished transfer."""
    head = (
        "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
        "                                 Dload  Upload   Total   Spent    Left  Speed\n"
    )
    percent = "100" if size else "  0"
    speed = f"{size * 1000:>6d}" if size < 100 else f"{min(size, 999):>5d}k"
    line = (
        f"\r{percent} {size:>5d}  {percent} {size:>5d}    0     0 {speed}      0 "
        "--:--:-- --:--:-- --:--:-- " + f"{speed}\n"
    )
    return head + line


def _served(
    proc: Proc, attempt: ProbeAttempt, method: str, path: str, status: int, size: int, agent: str
) -> Served:
    client = _strip_port(attempt.client_ip) if attempt.client_ip else proc.ip
    return Served(proc.now(), client, method, path, status, size, agent)


def _strip_port(text: str) -> str:
    if text.startswith("["):
        return text[1:].partition("]")[0]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


# -- busybox wget ---------------------------------------------------------------------------


def wget(proc: Proc, args: list[str], stdin: str = "") -> Out:
    """busybox `wget` (`-q`, `-O FILE|-`, `-T SEC`, `--spider`, `-S`, `--header`)."""
    quiet = False
    output: str | None = None
    timeout = 900.0  # busybox's default network timeout
    headers: dict[str, str] = {}
    spider = False
    server_response = False
    urls: list[str] = []
    words = list(args)
    while words:
        word = words.pop(0)
        if word.startswith("--"):
            name, _, inline = word[2:].partition("=")
            if name in ("header", "timeout", "output-document", "user-agent") and not inline:
                inline = words.pop(0) if words else ""
            if name == "header":
                key, _, value = inline.partition(":")
                headers[key.strip()] = value.strip()
            elif name == "timeout":
                timeout = _number(inline, timeout)
            elif name == "output-document":
                output = inline
            elif name == "quiet":
                quiet = True
            elif name == "spider":
                spider = True
            elif name == "server-response":
                server_response = True
        elif word.startswith("-") and len(word) > 1:
            letters = word[1:]
            for pos, letter in enumerate(letters):
                if letter in "OTUYP":
                    value = letters[pos + 1 :] or (words.pop(0) if words else "")
                    if letter == "O":
                        output = value
                    elif letter == "T":
                        timeout = _number(value, timeout)
                    break
                if letter == "q":
                    quiet = True
                elif letter == "S":
                    server_response = True
        else:
            urls.append(word)
    if not urls:
        return Out(
            1, "", "BusyBox v1.31.1 () multi-call binary.\n\nUsage: wget [-c|--continue] URL...\n"
        )
    url = urls[0] if "://" in urls[0] else f"http://{urls[0]}"
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 80
    attempt = proc.http(url, headers, timeout)
    remote = remote_of(attempt)
    ip = remote[0] if remote else proc.resolve_address(host) or host
    stderr = "" if quiet else f"Connecting to {host} ({ip}:{port})\n"
    error = attempt.error or ""
    if not attempt.ok:
        if error in ("nxdomain", "unresolvable", "no-data"):
            return Out(1, "", f"wget: bad address '{host}'\n")
        if error == "refused":
            return Out(
                1, "", stderr + f"wget: can't connect to remote host ({ip}): Connection refused\n"
            )
        if error == "reset":
            return Out(1, "", stderr + "wget: error getting response: Connection reset by peer\n")
        if error == "no-route":
            return Out(
                1, "", stderr + f"wget: can't connect to remote host ({ip}): Host is unreachable\n"
            )
        return Out(1, "", stderr + "wget: download timed out\n")
    status = attempt.status or 0
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    if server_response:
        via = proc.responder(ip) if remote else "pod"
        stderr += "".join(
            f"  {h}\n" for h in response_headers(proc, status, attempt.body, via, attempt.backend)
        )
    if status >= 400:
        return Out(1, "", stderr + f"wget: server returned error: HTTP/1.1 {status} {reason}\n")
    if spider:
        return Out(0, "", stderr + ("" if quiet else "remote file exists\n"))
    target = output if output is not None else (parts.path.rsplit("/", 1)[-1] or "index.html")
    if target == "-":
        if not quiet:
            stderr += "writing to stdout\n" + _bar("-", len(attempt.body)) + "written to stdout\n"
        return Out(0, attempt.body, stderr)
    if not quiet:
        stderr += (
            f"saving to '{target}'\n" + _bar(target, len(attempt.body)) + f"'{target}' saved\n"
        )
    return Out(0, "", stderr)


def _number(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default


def _bar(name: str, size: int) -> str:
    return f"{name[:20]:<20} 100% |{'*' * 31}| {size:>5}  0:00:00 ETA\n"
