"""What a file really is, from its first bytes, whatever its name says.

Offices rename files: a .doc that Word saved as .docx, a .pdf that is a text export, a .docx
that is an old Word binary. :func:`reader_suffix` picks the reader from the content (``%PDF``,
a zip holding ``word/document.xml`` / ``OFD.xml`` / ``xl/``, an OLE compound file holding
``WordDocument`` / ``Workbook``, ``{\\rtf``, ``<html``) and says so in a warning. It also refuses, before any reader
opens them, a zip whose content would expand past a limit (a zip bomb) and an Office file
encrypted with a password (OLE-wrapped ``EncryptionInfo``).
"""

from __future__ import annotations

import io
import logging
import zipfile

from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# a zip's content, all entries together, may expand to this much ...
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024
# ... and, once over BIG_UNZIPPED_BYTES, to at most this many times the file's size
MAX_ZIP_RATIO = 100
BIG_UNZIPPED_BYTES = 20 * 1024 * 1024
MAX_ZIP_ENTRIES = 20_000

# suffixes read by the same reader, and the format's name for the user
_FAMILY = {
    ".txt": "text", ".md": "text", ".pdf": "pdf", ".docx": "docx", ".doc": "ole", ".wps": "ole",
    ".xlsx": "sheet", ".xls": "sheet", ".ods": "sheet", ".ofd": "ofd",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image",
    ".rtf": "rtf", ".html": "html",  # content kinds only: no file is taken in by these suffixes
}
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"))
_LABEL = {
    ".txt": "纯文本", ".pdf": "PDF", ".docx": "Word（.docx）", ".doc": "Word 97-2003（.doc）",
    ".xlsx": "Excel（.xlsx）", ".xls": "Excel 97-2003（.xls）", ".ods": "OpenDocument 表格（.ods）",
    ".ofd": "OFD", ".png": "图片（PNG）", ".jpg": "图片（JPEG）", ".tif": "图片（TIFF）",
    ".rtf": "RTF", ".html": "网页（HTML）",
}
_HTML_START = (b"<!doctype html", b"<html")


def reader_suffix(data: bytes, suffix: str, name: str) -> tuple[str, str | None]:
    """(the suffix whose reader fits the content, a Chinese warning when it is not ``suffix``)."""
    actual = sniff(data, suffix, name)
    if actual is None or _FAMILY[actual] == _FAMILY[suffix]:
        return suffix, None
    log.warning("%s: content is %s, not %s", name, actual, suffix)
    label = _LABEL[actual]
    return actual, f"文件扩展名为 {suffix}，但内容是 {label} 格式，已按 {label} 读取：{name}"


def sniff(data: bytes, suffix: str, name: str) -> str | None:
    """The suffix the content calls for, or None when the first bytes say nothing."""
    if data.startswith(b"%PDF") or (_FAMILY[suffix] != "text" and b"%PDF-" in data[:1024]):
        return ".pdf"
    for magic, image in _IMAGE_MAGIC:  # a scan saved as .pdf or .doc: read it by OCR
        if data.startswith(magic):
            return image
    if data.startswith(ZIP_MAGIC):
        return _sniff_zip(data, name)
    if data.startswith(OLE_MAGIC):
        return _sniff_ole(data, suffix, name)
    if _FAMILY[suffix] != "text":
        markup = _sniff_markup(data)
        if markup is not None:
            return markup  # a "Word file" saved as RTF or as a web page
    if _FAMILY[suffix] != "text" and _is_text(data):
        return ".txt"  # a "PDF" or "Word file" that is a text export
    return None


def check_zip(archive: zipfile.ZipFile, size: int, name: str) -> None:
    """Refuse a zip whose entries would expand past the limits (sizes from its directory)."""
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    ratio = total / max(size, 1)
    if (
        len(infos) > MAX_ZIP_ENTRIES
        or total > MAX_UNZIPPED_BYTES
        or (total > BIG_UNZIPPED_BYTES and ratio > MAX_ZIP_RATIO)
    ):
        raise UnreadableFileError(
            f"文件解压后过大（{total // (1024 * 1024)} MB，压缩比 {ratio:.0f} 倍），疑似压缩炸弹，已拒绝读取：{name}",
            f"zip bomb guard: {len(infos)} entries, {total} bytes unzipped, ratio {ratio:.1f}",
        )


def _sniff_zip(data: bytes, name: str) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError) as exc:
        log.info("%s: zip magic but no readable zip directory: %r", name, exc)
        return None  # the reader of its suffix says it is damaged
    with archive:
        check_zip(archive, len(data), name)
        names = set(archive.namelist())
        if "word/document.xml" in names:
            return ".docx"
        if "OFD.xml" in names:
            return ".ofd"
        if any(n.startswith("xl/") for n in names):
            return ".xlsx"
        if "mimetype" in names and b"spreadsheet" in _read_entry(archive, "mimetype")[:100]:
            return ".ods"
    return None


def _read_entry(archive: zipfile.ZipFile, entry: str) -> bytes:
    try:
        return archive.read(entry)
    except Exception as exc:  # noqa: BLE001 - zlib, zipfile, NotImplementedError (compression) …
        log.info("unreadable zip entry %s: %r", entry, exc)
        return b""


def _sniff_ole(data: bytes, suffix: str, name: str) -> str | None:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - olefile raises OSError, ValueError, IndexError … on damage
        log.info("%s: OLE magic but unreadable: %r", name, exc)
        return None
    with ole:
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            raise UnreadableFileError(
                f"文件已加密（设有打开密码），无法读取；请在 Office 或 WPS 中取消密码后再导入：{name}",
                "OLE-wrapped encrypted OOXML (EncryptionInfo stream)",
            )
        if ole.exists("WordDocument"):
            return suffix if suffix == ".wps" else ".doc"
        if ole.exists("Workbook") or ole.exists("Book"):
            return ".xls"
    return None


def _sniff_markup(data: bytes) -> str | None:
    """".rtf" for ``{\\rtf``, ".html" for a page (``<!DOCTYPE html``, ``<html``, an XHTML
    ``<?xml`` prologue before ``<html``), at the start after a BOM and blanks."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{\\rtf"):
        return ".rtf"
    lower = head.lower()
    if lower.startswith(_HTML_START) or (lower.startswith(b"<?xml") and b"<html" in lower):
        return ".html"
    return None


def _is_text(data: bytes) -> bool:
    from rag.docs.readers.text import decode_bytes

    try:
        decode_bytes(data[:20000])
    except UnreadableFileError:
        return False
    return True
