"""Damage a real PDF the ways files from elsewhere are damaged, for the reader tests."""

from __future__ import annotations

import re


def with_xref_stream(data: bytes) -> bytes:
    """The same PDF with its cross-reference table and trailer rewritten as one cross-reference
    stream (PDF 1.5), as many producers write it: a valid file every reader opens."""
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data).group(1))  # type: ignore[union-attr]
    table, trailer = data[start:].split(b"trailer", 1)
    fields = table.split()[1:]  # after "xref": first object, count, then offset / generation / n|f
    first, count = int(fields[0]), int(fields[1])
    rows = [
        (1, int(fields[2 + 3 * i]), int(fields[3 + 3 * i])) if fields[4 + 3 * i] == b"n" else (0, 0, 65535)
        for i in range(count)
    ]
    body = data[:start]
    rows.append((1, len(body), 0))  # the stream's own entry
    stream = b"".join(t.to_bytes(1, "big") + o.to_bytes(4, "big") + g.to_bytes(2, "big") for t, o, g in rows)
    entries = trailer[trailer.index(b"<<") + 2 : trailer.rindex(b">>")]
    entries = re.sub(rb"/Size\s+\d+", b"", entries)
    size = first + count + 1
    head = b"%d 0 obj\n<</Type /XRef /Size %d /W [1 4 2] /Length %d %s>>\nstream\n" % (
        size - 1, size, len(stream), entries,
    )
    return body + head + stream + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % len(body)


def stale_startxref(data: bytes, by: int = 1000) -> bytes:
    """The PDF with its last ``startxref`` pointing ``by`` bytes before its cross-reference
    section (a file edited or patched without its offset): pdfminer, finding no cross-reference
    there, scans the file for a ``trailer`` keyword, which a cross-reference stream has not,
    and stops at "No /Root object!"; pdfium rebuilds the table from the objects."""
    at = data.rindex(b"startxref")
    offset = int(re.match(rb"startxref\s+(\d+)", data[at:]).group(1))  # type: ignore[union-attr]
    return data[:at] + b"startxref\n%d\n%%%%EOF\n" % (offset - by)


def rootless_trailer(data: bytes) -> bytes:
    """The PDF with the /Root entry gone from its last trailer (the catalog object stays): pdfminer
    ("No /Root object!") and pdfium ("Data format error") cannot open it; pypdf finds the catalog
    by its /Type and rewrites the file."""
    at = data.rindex(b"trailer")
    return data[:at] + re.sub(rb"/Root\s+\d+\s+\d+\s+R", b"", data[at:], count=1)
