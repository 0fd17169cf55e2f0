"""Tiny office files written by hand (zipfile, struct), for tests of what a reader sees.

No library here writes .xlsx or OLE compound files, and python-docx cannot write numbering,
footnotes or text boxes, so the parts are spelled out: each builder writes only what Word,
WPS or Excel themselves put in the file for the feature under test.
"""

from __future__ import annotations

import io
import struct
import zipfile
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = (
    f'xmlns:w="{W_NS}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" mc:Ignorable="wps"'
)
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml"


def para(text: str = "", ppr: str = "", runs: str = "") -> str:
    """A w:p with plain text (escaped) and/or raw runs."""
    run = f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
    return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{run}{runs}</w:p>"


def docx(body: str, *, numbering: str = "", styles: str = "", footnotes: str = "") -> bytes:
    """A .docx whose document.xml body is ``body``, with the optional parts given."""
    parts = {"word/document.xml": f'<w:document {NS}><w:body>{body}<w:sectPr/></w:body></w:document>'}
    rels = []
    overrides = [f'<Override PartName="/word/document.xml" ContentType="{_CT}.document.main+xml"/>']
    for name, xml, root, kind in (
        ("numbering", numbering, "numbering", "numbering"),
        ("styles", styles, "styles", "styles"),
        ("footnotes", footnotes, "footnotes", "footnotes"),
    ):
        if xml:
            parts[f"word/{name}.xml"] = f"<w:{root} {NS}>{xml}</w:{root}>"
            rels.append(f'<Relationship Id="r{name}" Type="{_REL}/{kind}" Target="{name}.xml"/>')
            overrides.append(f'<Override PartName="/word/{name}.xml" ContentType="{_CT}.{kind}+xml"/>')
    parts["word/_rels/document.xml.rels"] = (
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{"".join(rels)}</Relationships>'
    )
    parts["_rels/.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{"".join(overrides)}</Types>'
    )
    return _zip(parts)


def xlsx(
    rows: list[list[str | float | None]],
    merges: tuple[str, ...] = (),
    origin: tuple[int, int] = (0, 0),
    formats: dict[tuple[int, int], str] | None = None,
) -> bytes:
    """A one-sheet .xlsx with ``rows`` placed from ``origin`` (row, column), strings inline;
    ``formats`` gives cells of ``rows`` (i, j) a number format code ("0%", "yyyy-mm-dd"), written
    as Excel does: a custom numFmt (id 164 on) in styles.xml, a cellXfs entry, the cell's ``s``."""
    codes = sorted(set((formats or {}).values()))
    cells = []
    for i, row in enumerate(rows):
        r = origin[0] + i + 1
        out = []
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            ref = f"{_column(origin[1] + j)}{r}"
            code = (formats or {}).get((i, j))
            style = f' s="{codes.index(code) + 1}"' if code else ""
            if isinstance(value, str):
                out.append(f'<c r="{ref}" t="inlineStr"{style}><is><t>{escape(value)}</t></is></c>')
            else:
                out.append(f'<c r="{ref}"{style}><v>{value}</v></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    refs = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    merge = f'<mergeCells count="{len(merges)}">{refs}</mergeCells>' if merges else ""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return _zip({
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{_REL}"><sheets>'
            '<sheet name="主要指标" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{"".join(cells)}</sheetData>{merge}</worksheet>',
        **({"xl/styles.xml": _styles(main, codes)} if codes else {}),
    })


def _styles(main: str, codes: list[str]) -> str:
    fmts = "".join(f'<numFmt numFmtId="{164 + k}" formatCode="{escape(c, {chr(34): "&quot;"})}"/>' for k, c in enumerate(codes))
    xfs = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' + "".join(
        f'<xf numFmtId="{164 + k}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for k in range(len(codes))
    )
    return (
        f'<styleSheet xmlns="{main}"><numFmts count="{len(codes)}">{fmts}</numFmts>'
        '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(codes) + 1}">{xfs}</cellXfs></styleSheet>'
    )


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        name = chr(65 + r) + name
    return name


def _zip(parts: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def ole(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (CFB v3) holding ``streams`` at its root, as Office writes a
    password-encrypted .docx / .xlsx (EncryptionInfo + EncryptedPackage). Each stream is padded
    to 4096 bytes so it lives in regular sectors, not the mini stream."""
    sector = 512
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the order CFB compares names in
    datas = [streams[n].ljust(4096, b"\0") for n in names]
    fat = [fat_sector, end]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for data in datas:
        count = len(data) // sector + (len(data) % sector > 0)
        first = len(fat)
        starts.append(first)
        fat += [first + k + 1 for k in range(count - 1)] + [end]
    assert len(fat) <= sector // 4
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", free, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, free, 1 if names else free, end, 0)
    for k, name in enumerate(names):
        directory += entry(name, 2, k + 2 if k + 1 < len(names) else free, free, starts[k], len(streams[name]))
    directory = directory.ljust(sector, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0) + struct.pack("<I", free) * 108
    )
    assert len(header) == sector
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(datas)


def ods(rows: list[list[str | float | None]], sheet: str = "主要指标") -> bytes:
    """A one-sheet OpenDocument spreadsheet (what WPS and LibreOffice write, in its smallest form)."""
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    body = []
    for row in rows:
        cells = []
        for value in row:
            if value is None or value == "":
                cells.append("<table:table-cell/>")
            elif isinstance(value, str):
                cells.append(f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>')
            else:
                cells.append(f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>')
        body.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
    content = (
        f'<office:document-content xmlns:office="{office}" xmlns:table="{table}" xmlns:text="{text}" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{"".join(body)}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()
