"""Write tests/data/files/mixed_fonts.pdf: a standard's clause set as GB/T text is, Chinese in
one font and digits / Latin in another, to test the reading order of text in two fonts.

    PYTHONPATH=. python tests/data/make_mixed_fonts_pdf.py

The PDF is written by hand (no reportlab in the environment) and embeds no font file:
the Chinese in Adobe's STSong-Light CID font (UniGB-UCS2-H, which every PDF reader maps to
Unicode through its built-in CMaps), the digits and Latin letters in Times New Roman
(WinAnsi). Two things the real files do are kept:

- the second font's descriptor declares a Descent (-600) far below its glyphs: a reader that
  puts characters into lines by their boxes (pdfminer's box hangs the declared descent under
  the baseline) sees the digits a line apart from the Chinese around them, where both stand on
  one baseline;
- the text is drawn font by font: all the Chinese runs of the page first, then the runs of the
  second font, so a reader that keeps the order of the content stream puts every digit after
  the page's Chinese text.
"""

from __future__ import annotations

from pathlib import Path

from tests.data.pdfwrite import serialize

OUT = Path(__file__).resolve().parent / "files" / "mixed_fonts.pdf"
SIZE = 10.5
LEADING = 18.0
LEFT, TOP = 90.0, 760.0  # the first baseline, from the page's bottom edge (A4: 595 x 842)
# Times New Roman advance widths (1/1000 em) of the characters used
WIDTHS = {" ": 250, ".": 250, "-": 333, "A": 722, "C": 667, "T": 611, "V": 722, "i": 278, "l": 278}
LATIN = set("0123456789.- ACTVil")
LINES = [
    "3.1.1 钛及钛合金产品的牌号和化学成分应符合表1、表2和表3的规定。其中",
    "表1为工业纯钛，表2为TA7等钛合金，表3为TC4（Ti-6Al-4V）等钛合金。",
    "3.1.2 需方要求时，经供需双方协商，可供应表1～表3以外牌号的产品。",
]


def _runs(line: str) -> list[tuple[str, str]]:
    """("F1" | "F2", text) pieces of a line: digits and Latin in F2, the rest in F1."""
    runs: list[tuple[str, str]] = []
    for ch in line:
        font = "F2" if ch in LATIN else "F1"
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def _width(font: str, text: str) -> float:
    units = sum(1000 if font == "F1" else WIDTHS.get(ch, 500) for ch in text)
    return units * SIZE / 1000


def _show(font: str, text: str, x: float, y: float) -> bytes:
    data = text.encode("utf-16-be") if font == "F1" else text.encode("cp1252")
    return b"BT /%s %.1f Tf 1 0 0 1 %.2f %.2f Tm <%s> Tj ET\n" % (font.encode(), SIZE, x, y, data.hex().encode())


def content() -> bytes:
    """The page's drawing operators: the first font's runs, then the second's."""
    shows: dict[str, list[bytes]] = {"F1": [], "F2": []}
    for k, line in enumerate(LINES):
        x, y = LEFT + (2 * SIZE if line.startswith("3.1") else 0.0), TOP - k * LEADING
        for font, text in _runs(line):
            shows[font].append(_show(font, text, x, y))
            x += _width(font, text)
    return b"".join(shows["F1"] + shows["F2"])


def pdf() -> bytes:
    stream = content()
    widths = " ".join(str(WIDTHS.get(chr(c), 500)) for c in range(32, 127))
    objects = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources <</Font <</F1 5 0 R /F2 8 0 R>>>>>>",
        b"<</Length %d>>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<</Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H"
        b" /DescendantFonts [6 0 R]>>",
        b"<</Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo <</Registry (Adobe) /Ordering (GB1) /Supplement 4>> /FontDescriptor 7 0 R /DW 1000>>",
        b"<</Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
        b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93>>",
        b"<</Type /Font /Subtype /TrueType /BaseFont /TimesNewRomanPSMT /FirstChar 32 /LastChar 126"
        b" /Widths [%s] /Encoding /WinAnsiEncoding /FontDescriptor 9 0 R>>" % widths.encode(),
        b"<</Type /FontDescriptor /FontName /TimesNewRomanPSMT /Flags 34 /FontBBox [-568 -307 2000 1007]"
        b" /ItalicAngle 0 /Ascent 891 /Descent -600 /CapHeight 662 /StemV 82>>",
    ]
    return serialize(objects, "1.4")


if __name__ == "__main__":
    OUT.write_bytes(pdf())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
