"""The body, cross-reference table and trailer of a small PDF written by hand (the fixture generators')."""

from __future__ import annotations

from collections.abc import Sequence


def serialize(objects: Sequence[bytes], version: str) -> bytes:
    """A PDF of ``objects`` numbered from 1 (1 is the catalog), with a classic cross-reference table."""
    out = bytearray(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % version.encode())
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
