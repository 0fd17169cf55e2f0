"""Write two one-page PDFs whose Chinese font has no ToUnicode map, to test which reader decodes what:

- ``tests/data/files/builtin_encoding.pdf``: a simple Type1C (CFF) font, a subset numbered from
  code 1, whose own built-in encoding names each glyph ``uniXXXX``; the font dictionary has no
  /Encoding. pdfium (and pypdf) read the names and decode it; pdfminer knows only the standard
  encoding and gives (cid:N) for every character.
- ``tests/data/files/identity_no_map.pdf``: a CID-keyed CFF font under Identity-H, ordering
  Identity: nothing in the file says which character a code is. pdfminer gives (cid:N), pdfium
  the raw codes as characters (look like Chinese: 朆㏇䡘…) flagged as unmapped; only OCR reads it.

    PYTHONPATH=. python tests/data/make_font_pdfs.py

The glyphs are a subset of Noto Sans CJK SC (SIL Open Font License), taken from the system's
fonts-noto-cjk (``/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc``); fontTools builds the
fonts. The text is the first sentence of the Beijing report (01_2024年北京市政府工作报告.pdf).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tests.data.pdfwrite import serialize

FILES = Path(__file__).resolve().parent / "files"
NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LINES = ["各位代表：", "现在，我代表北京市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。"]
SIZE = 10.5


def _source() -> tuple[dict[int, str], Any]:
    """Noto Sans CJK SC's Unicode map and glyph set."""
    from fontTools.ttLib import TTCollection

    fonts = TTCollection(str(NOTO)).fonts
    font = next(f for f in fonts if f["name"].getDebugName(1).endswith(" SC"))
    return font.getBestCmap(), font.getGlyphSet()


def builtin_encoding_cff(chars: list[str]) -> bytes:
    """A bare CFF font: glyph k (1-based) draws chars[k-1], is named uniXXXX and is code k."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen
    from fontTools.ttLib import TTFont

    cmap, glyphs = _source()
    names = [f"uni{ord(c):04X}" for c in chars]
    charstrings = {}
    for name, ch in zip([".notdef", *names], [None, *chars], strict=True):
        pen = T2CharStringPen(1000, glyphs)
        if ch is not None:
            glyphs[cmap[ord(ch)]].draw(pen)
        charstrings[name] = pen.getCharString()
    fb = FontBuilder(1000, isTTF=False)
    fb.setupGlyphOrder([".notdef", *names])
    fb.setupCharacterMap({})
    fb.setupCFF("AAAAAA+NotoSansCJKsc-Regular", {"FullName": "Noto Sans CJK SC"}, charstrings, {})
    fb.setupHorizontalMetrics({n: (1000, 0) for n in [".notdef", *names]})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Noto Sans CJK SC", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    encoding = [".notdef"] * 256
    encoding[1 : len(names) + 1] = names
    fb.font["CFF "].cff.topDictIndex[0].Encoding = encoding
    out = io.BytesIO()
    fb.save(out)
    out.seek(0)
    return TTFont(out).getTableData("CFF ")


def identity_cff(chars: list[str]) -> tuple[bytes, dict[str, int]]:
    """Noto's CID-keyed CFF cut down to ``chars``, and each character's CID."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    font = next(f for f in TTCollection(str(NOTO)).fonts if f["name"].getDebugName(1).endswith(" SC"))
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = []
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(chars))
    subsetter.subset(font)
    cmap = font.getBestCmap()
    charset = font["CFF "].cff.topDictIndex[0].charset
    cids = {c: int(charset[font.getGlyphID(cmap[ord(c)])].removeprefix("cid")) for c in chars}
    return font.getTableData("CFF "), cids


def _pdf(stream: bytes, fonts: list[bytes]) -> bytes:
    """A one-page PDF drawing ``stream`` with font objects 5, 6 … (5 is the page's /F1)."""
    objects = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources <</Font <</F1 5 0 R>>>>>>",
        b"<</Length %d>>\nstream\n%s\nendstream" % (len(stream), stream),
        *fonts,
    ]
    return serialize(objects, "1.7")


def _text(codes: dict[str, int], width: int) -> bytes:
    """The lines at the left margin, 18 pt apart, each character's code ``width`` bytes."""
    out = b""
    for k, line in enumerate(LINES):
        hexa = b"".join(b"%0*x" % (2 * width, codes[c]) for c in line)
        out += b"BT /F1 %.1f Tf 1 0 0 1 90 %d Tm <%s> Tj ET\n" % (SIZE, 760 - 18 * k, hexa)
    return out


NAME = b"AAAAAA+NotoSansCJKsc-Regular"
DESCRIPTOR = (
    b"<</Type /FontDescriptor /FontName /" + NAME + b" /Flags 4 /FontBBox [-1000 -300 3000 1000]"
    b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 733 /StemV 80 /FontFile3 7 0 R>>"
)


def _stream(subtype: bytes, data: bytes) -> bytes:
    return b"<</Subtype /%s /Length %d>>\nstream\n%s\nendstream" % (subtype, len(data), data)


def builtin_encoding_pdf() -> bytes:
    chars = sorted(set("".join(LINES)))
    font = b"<</Type /Font /Subtype /Type1 /BaseFont /%s /FirstChar 1 /LastChar %d /Widths [%s] /FontDescriptor 6 0 R>>"
    font %= (NAME, len(chars), b" ".join([b"1000"] * len(chars)))
    cff = builtin_encoding_cff(chars)
    return _pdf(_text({c: k for k, c in enumerate(chars, 1)}, 1), [font, DESCRIPTOR, _stream(b"Type1C", cff)])


def identity_no_map_pdf() -> bytes:
    chars = sorted(set("".join(LINES)))
    cff, cids = identity_cff(chars)
    font = b"<</Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [8 0 R]>>" % NAME
    cid_font = (
        b"<</Type /Font /Subtype /CIDFontType0 /BaseFont /%s /DW 1000 /FontDescriptor 6 0 R"
        b" /CIDSystemInfo <</Registry (Adobe) /Ordering (Identity) /Supplement 0>>>>" % NAME
    )
    return _pdf(_text(cids, 2), [font, DESCRIPTOR, _stream(b"CIDFontType0C", cff), cid_font])


if __name__ == "__main__":
    for name, make in (("builtin_encoding.pdf", builtin_encoding_pdf), ("identity_no_map.pdf", identity_no_map_pdf)):
        path = FILES / name
        path.write_bytes(make())
        print(f"wrote {path} ({path.stat().st_size} bytes)")
