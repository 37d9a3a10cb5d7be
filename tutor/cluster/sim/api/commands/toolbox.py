"""Which executables each container image of the catalogue ships, and which flavour of each tool.

A command is found the way runc finds it (Go's `exec.LookPath`): a word without `/` is looked up
in `$PATH`, a path must exist as given. What the images hold:

- agnhost 2.39 (`test/images/agnhost/Dockerfile` in kubernetes/kubernetes): Alpine (BASEIMAGE
  `alpine:3.12` until PR #124382 moved it to 3.16 in 2024) with busybox, plus
  `apk add bind-tools curl netcat-openbsd iproute2 iperf bash`: BIND's `dig`/`nslookup`/`host`,
  curl 7.79 (Alpine 3.12), OpenBSD netcat, iproute2's `ip`. The agnhost binary is `/agnhost`
  (`ADD agnhost agnhost` at `/`, `ENTRYPOINT ["/agnhost"]`): not on `$PATH`, so
  `agnhost connect` is not found and `/agnhost connect` is.
- nginx (Debian bookworm): coreutils, dash as `sh`, bash, curl 7.88; no ping, nc, wget, dig,
  nslookup or ip. `nginx:*-alpine`: busybox plus curl 8.
- busybox: every applet in `/bin` (busybox `wget`, `nc`, `nslookup`, `ping`, `ip`).
- alpine: busybox applets in their Alpine places. curlimages/curl: that plus curl 8.
- ubuntu, debian: coreutils and bash, no network tools.
- coredns, hashicorp/http-echo: a single static binary and nothing else (no shell).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tutor.cluster.sim.images import image_repository

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# busybox applets the commands here model, with the directory Alpine installs each in
_ALPINE_BUSYBOX = {
    "/bin": [
        "sh",
        "ash",
        "cat",
        "echo",
        "false",
        "true",
        "hostname",
        "ls",
        "ping",
        "sleep",
        "grep",
        "date",
        "uname",
        "ps",
        "kill",
    ],
    "/usr/bin": [
        "env",
        "printenv",
        "head",
        "tail",
        "wc",
        "seq",
        "wget",
        "nc",
        "nslookup",
        "id",
        "whoami",
        "timeout",
        "test",
        "sort",
        "uniq",
    ],
    "/sbin": ["ip", "ifconfig"],
}
_DEBIAN_BASE = [
    "sort",
    "uniq",
    "sh",
    "dash",
    "bash",
    "cat",
    "echo",
    "false",
    "true",
    "hostname",
    "ls",
    "sleep",
    "grep",
    "date",
    "uname",
    "env",
    "printenv",
    "head",
    "tail",
    "wc",
    "seq",
    "id",
    "whoami",
    "timeout",
    "test",
    "kill",
]


def _alpine(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    paths = {name: f"{where}/{name}" for where, names in _ALPINE_BUSYBOX.items() for name in names}
    paths.update(extra or {})
    return paths


def _debian(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # bookworm is merged-/usr: /bin is a link to /usr/bin, so both paths exist
    paths = {name: f"/usr/bin/{name}" for name in _DEBIAN_BASE}
    paths.update(extra or {})
    return paths


@dataclass(frozen=True)
class Toolbox:
    """The executables of one image and the flavour of the tools that differ between builds."""

    system: str
    """`alpine`, `busybox`, `debian` or `static` (one binary, no shell)."""
    paths: Mapping[str, str]
    """Command name -> absolute path of every executable modelled."""
    curl: str = ""
    """curl's message style: `7.79` (errno texts), `7.88` (`Couldn't connect to server`),
    `8` (`Could not connect to server`); empty when there is no curl."""
    nslookup: str = ""
    """`bind` or `busybox`."""
    nc: str = ""
    """`openbsd` or `busybox`."""
    shell: str = ""
    """What `sh` is: `ash` (busybox), `dash` (Debian); empty without a shell."""
    image_env: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """Variables the image's config sets (after PATH)."""
    extra_files: frozenset[str] = frozenset()
    """Absolute paths of executables outside `$PATH` (`/agnhost`)."""

    def find(self, word: str) -> str | None:
        """The absolute path `word` runs, or None when runc would not find it."""
        if "/" in word:
            if word in self.extra_files or word in self.paths.values():
                return word
            # merged /usr and busybox's own links make /bin/x and /usr/bin/x both work
            name = word.rsplit("/", 1)[-1]
            if self.system in ("debian", "busybox") and word in (
                f"/bin/{name}",
                f"/usr/bin/{name}",
            ):
                return word if name in self.paths else None
            return None
        return self.paths.get(word)

    @property
    def curl_version(self) -> str:
        """The version curl reports in its User-Agent."""
        return {"7.79": "7.79.1", "7.88": "7.88.1", "8": "8.12.1"}.get(self.curl, "")


AGNHOST = Toolbox(
    "alpine",
    _alpine(
        {
            "curl": "/usr/bin/curl",
            "dig": "/usr/bin/dig",
            "nslookup": "/usr/bin/nslookup",
            "host": "/usr/bin/host",
            "nc": "/usr/bin/nc",
            "ip": "/sbin/ip",
            "bash": "/bin/bash",
            "iperf": "/usr/bin/iperf",
        }
    ),
    curl="7.79",
    nslookup="bind",
    nc="openbsd",
    shell="ash",
    extra_files=frozenset({"/agnhost", "/agnhost-2", "/coredns"}),
)
NGINX = Toolbox(
    "debian",
    _debian({"curl": "/usr/bin/curl", "nginx": "/usr/sbin/nginx"}),
    curl="7.88",
    shell="dash",
)
NGINX_ALPINE = Toolbox(
    "alpine",
    _alpine({"curl": "/usr/bin/curl", "nginx": "/usr/sbin/nginx"}),
    curl="8",
    nslookup="busybox",
    nc="busybox",
    shell="ash",
)
BUSYBOX = Toolbox(
    "busybox",
    {name: f"/bin/{name}" for names in _ALPINE_BUSYBOX.values() for name in names},
    nslookup="busybox",
    nc="busybox",
    shell="ash",
)
ALPINE = Toolbox("alpine", _alpine(), nslookup="busybox", nc="busybox", shell="ash")
CURL = Toolbox(
    "alpine",
    _alpine({"curl": "/usr/bin/curl"}),
    curl="8",
    nslookup="busybox",
    nc="busybox",
    shell="ash",
)
DEBIAN = Toolbox("debian", _debian(), shell="dash")


def _static(binary: str) -> Toolbox:
    return Toolbox("static", {}, extra_files=frozenset({binary}))


def toolbox_for(image: str) -> Toolbox:
    """The toolbox of an image reference (matched on repository name and tag)."""
    repo = image_repository(image)
    tag = image.split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]
    if repo == "agnhost":
        return AGNHOST
    if repo == "nginx" or repo.startswith("nginx-"):
        return NGINX_ALPINE if "alpine" in tag else NGINX
    if repo == "busybox":
        return BUSYBOX
    if repo == "alpine":
        return ALPINE
    if repo == "curl":
        return CURL
    if repo in ("ubuntu", "debian"):
        return DEBIAN
    if repo == "coredns":
        return _static("/coredns")
    if repo == "http-echo":
        return _static("/http-echo")
    # an image the catalogue does not know: assume a plain Debian-like userland without
    # network tools, so basic commands work and network tools fail as they would
    return DEBIAN
