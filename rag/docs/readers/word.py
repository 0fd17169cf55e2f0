"""Word .docx: paragraphs and tables in document order."""

from __future__ import annotations

import io

from rag.docs.readers import RawText
from rag.errors import UnreadableFileError


def read_docx(data: bytes, name: str) -> RawText:
    """Paragraphs and tables of a .docx in document order; table rows as tab-separated cells."""
    import zipfile

    from docx import Document as DocxDocument
    from docx.opc.exceptions import OpcError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = DocxDocument(io.BytesIO(data))
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError) as exc:
        raise UnreadableFileError(
            f"无法读取 Word 文件（文件损坏或不是 .docx 格式）：{name}", repr(exc)
        ) from exc
    lines: list[str] = []
    for item in doc.iter_inner_content():
        if isinstance(item, Paragraph):
            lines.append(item.text)
        elif isinstance(item, Table):
            for row in item.rows:
                # a cell merged across columns repeats in each (a two-row header's 指标值 over
                # 现状 / 规划), one merged down repeats in each row (a group cell); a row that is
                # one cell across the table (a title, a note) is one cell
                cells = list(row.cells)
                if all(c._tc is cells[0]._tc for c in cells):
                    cells = cells[:1]
                lines.append("\t".join(c.text.replace("\n", " ").strip() for c in cells))
    return RawText("\n".join(lines))


