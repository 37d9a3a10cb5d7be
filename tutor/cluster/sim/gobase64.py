"""Where Go's `base64.StdEncoding.Decode` gives up on a string, as kube-apiserver reports it.

Secret `data` and ConfigMap `binaryData` are `[]byte` in the Go types, so the JSON decoder
base64-decodes each value and a bad one refuses the whole object with Go's
`illegal base64 data at input byte N` (`CorruptInputError`). The offsets follow
`decodeQuantum` in Go's `src/encoding/base64/base64.go`: CR and LF are skipped, a short last
quantum fails at its first byte, padding is checked strictly, bytes after padding are garbage.
The non-strict encoding is the one encoding/json uses, so unused trailing bits are allowed.
"""

from __future__ import annotations

import string

_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/")
_NEWLINES = "\r\n"


def corrupt_offset(text: str) -> int | None:
    """The byte offset Go reports for `text`, or None when it decodes."""
    src = text.encode("utf-8", "surrogatepass")
    si = 0
    while si < len(src):
        si, offset, done = _quantum(src, si)
        if offset is not None:
            return offset
        if done:
            return None
    return None


def _quantum(src: bytes, si: int) -> tuple[int, int | None, bool]:
    """One 4-character quantum from `si`: (next index, error offset, reached the end)."""
    j = 0
    while j < 4:
        if si == len(src):
            return si, (si - j if j else None), True
        ch = chr(src[si])
        si += 1
        if ch in _ALPHABET:
            j += 1
            continue
        if ch in _NEWLINES:
            continue
        if ch != "=" or j < 2:
            return si, si - 1, True
        if j == 2:  # "==" expected: the first "=" is read, newlines may sit between
            while si < len(src) and chr(src[si]) in _NEWLINES:
                si += 1
            if si == len(src):
                return si, len(src), True
            if chr(src[si]) != "=":
                return si, si - 1, True
            si += 1
        while si < len(src) and chr(src[si]) in _NEWLINES:
            si += 1
        return si, (si if si < len(src) else None), True
    return si, None, False


def illegal_base64(text: str) -> str | None:
    """Go's error text for a value that does not decode (`illegal base64 data at input byte
    14`), or None."""
    offset = corrupt_offset(text)
    return None if offset is None else f"illegal base64 data at input byte {offset}"
