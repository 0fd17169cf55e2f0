"""RTF and HTML, as they arrive: a ".doc" that Word or WPS saved as RTF, or as a web page.

Both are text formats under a Word name, so :mod:`~rag.docs.readers.sniff` sends them here
(with a warning that the extension is wrong) rather than to the text reader, which would keep
the control words and tags.

- **RTF.** Groups, control words and hex escapes are read: ``\\par`` / ``\\line`` end a line,
  ``\\cell`` / ``\\row`` write table rows as tab-separated cells (a cell's paragraphs
  joined), ``\\'XX`` bytes are decoded in
  the document's code page (``\\ansicpg936`` → GBK; a double-byte character is two escapes),
  ``\\uN`` is the character N (its ``\\ucN`` fallback skipped). Destinations that are not body
  text go (font and colour tables, styles, document info, pictures, headers and footers, field
  instructions, ``{\\*…}``), a field's result stays.
- **HTML.** The standard library's parser: block elements end a line, table cells are tab
  separated, ``<head>``, ``<script>`` and ``<style>`` go; the charset is the one the page
  declares (``<meta charset>``, ``content="…; charset=gb2312"``), else it is guessed.
"""

from __future__ import annotations

import codecs
import logging
import re
from html.parser import HTMLParser

from rag.docs.readers import CELL_BREAK, RawText
from rag.docs.readers.text import decode_bytes
from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)

MAX_DEPTH = 1000  # RTF group nesting past this is a damaged (or hostile) file
# destinations whose text is not the document's body
_SKIP = {
    "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "header", "headerl", "headerr",
    "headerf", "footer", "footerl", "footerr", "footerf", "fldinst", "listtable", "listoverridetable",
    "rsidtbl", "generator", "xmlnstbl", "themedata", "colorschememapping", "datastore",
    "latentstyles", "filetbl", "revtbl", "pgdsctbl", "footnote", "annotation", "atnid", "atnauthor",
    "bkmkstart", "bkmkend", "shpinst", "nonshppict", "mmathPr", "wgrffmtfilter", "defchp", "defpap",
    "pn", "pntxta", "pntxtb",
}
_SYMBOLS = {
    "par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "cell": "\t", "tab": "\t",
    "emdash": "—", "endash": "–", "lquote": "‘", "rquote": "’", "ldblquote": "“", "rdblquote": "”",
    "bullet": "•", "emspace": "\u3000", "enspace": " ", "qmspace": " ",
}
_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}\r\n]+)|[\r\n]+", re.S)
_CODEPAGE = re.compile(rb"\\ansicpg(\d{3,5})")


def read_rtf(data: bytes, name: str) -> RawText:
    """The text of an RTF document: paragraphs one a line, table rows as tab-separated cells."""
    if not data.lstrip().startswith(b"{\\rtf"):
        raise UnreadableFileError(f"RTF 文件格式不对，无法读取：{name}", "no {\\rtf header")
    text = rtf_text(data)
    if not text.strip():
        raise UnreadableFileError(f"RTF 文件中没有正文：{name}", f"no body text in {name}")
    return RawText(text)


def _codec(data: bytes) -> str:
    m = _CODEPAGE.search(data[:4096])
    page = m.group(1).decode() if m else "1252"
    if page in ("936", "54936"):
        return "gb18030"  # the superset of GBK: never lose a rare character
    try:
        return codecs.lookup(f"cp{page}").name
    except LookupError:
        log.info("unknown RTF code page %s: read as cp1252", page)
        return "cp1252"


class _Rtf:
    """The state of an RTF read: the output, pending code-page bytes, the group stack."""

    def __init__(self, codec: str) -> None:
        self.codec = codec
        self.out: list[str] = []
        self.pending = bytearray()  # \'XX bytes waiting to be decoded together (DBCS pairs)
        self.skip = False  # inside a destination that is not body text
        self.uc = 1  # fallback characters after \uN
        self.fallback = 0  # fallback characters still to skip
        self.stack: list[tuple[bool, int]] = []
        self.group_start = False  # the last token opened a group (a destination word may follow)
        self.in_table = False  # since \intbl, until \row: a \par inside a cell does not end its row

    def flush(self) -> None:
        if self.pending:
            if not self.skip:
                self.out.append(bytes(self.pending).decode(self.codec, errors="replace"))
            self.pending.clear()

    def text(self, chars: str) -> None:
        self.flush()
        if self.fallback:
            cut = min(self.fallback, len(chars))
            self.fallback -= cut
            chars = chars[cut:]
        if chars and not self.skip:
            self.out.append(chars)

    def byte(self, value: int) -> None:
        if self.fallback:
            self.fallback -= 1
            return
        self.pending.append(value)

    def word(self, word: str, arg: int | None) -> None:
        if self.group_start and word in _SKIP:
            self.skip = True
        self.flush()
        if word == "uc" and arg is not None:
            self.uc = max(0, arg)
        elif word == "u" and arg is not None:
            if not self.skip:
                self.out.append(_char(arg + 65536 if arg < 0 else arg))
            self.fallback = self.uc
        elif word == "intbl":
            self.in_table = True
        elif word == "par" and self.in_table:
            if not self.skip:
                self.out.append(" ")
        elif word in _SYMBOLS and not self.skip:
            self.out.append(_SYMBOLS[word])
            if word == "row":
                self.in_table = False

    def open(self) -> None:
        self.flush()
        if len(self.stack) >= MAX_DEPTH:
            raise ValueError("RTF groups nested too deep")
        self.stack.append((self.skip, self.uc))

    def close(self) -> None:
        self.flush()
        if self.stack:
            self.skip, self.uc = self.stack.pop()
        self.fallback = 0


def _char(code: int) -> str:
    """A \\uN character; half a surrogate pair stays a surrogate until :func:`rtf_text` joins it."""
    return chr(code) if 0 <= code <= 0x10FFFF else "\ufffd"


def rtf_text(data: bytes) -> str:
    """RTF bytes -> text (see the module doc); a damaged file gives what could be read."""
    state = _Rtf(_codec(data))
    try:
        for m in _TOKEN.finditer(data):
            word, arg, hex_byte, symbol, brace, chars = m.groups()
            opened = brace == b"{"
            if word is not None:
                state.word(word.decode("ascii"), int(arg) if arg is not None else None)
            elif hex_byte is not None:
                state.byte(int(hex_byte, 16))
            elif symbol is not None:
                if symbol == b"*" and state.group_start:
                    state.skip = True  # {\* …}: an optional destination, never body text
                    opened = True  # a destination word may still follow
                elif symbol in (b"\\", b"{", b"}"):
                    state.text(symbol.decode("ascii"))
                elif symbol == b"~":
                    state.text(" ")
                elif symbol == b"_":
                    state.text("-")
                elif symbol in (b"\n", b"\r"):
                    state.word("par", None)
            elif brace is not None:
                state.open() if opened else state.close()
            elif chars is not None:
                state.text(chars.decode(state.codec, errors="replace"))
            state.group_start = opened
    except ValueError as exc:
        log.warning("RTF read stopped: %s", exc)
    state.flush()
    # join the surrogate pairs \\uN wrote one half at a time; a lone half is no character
    return "".join(state.out).encode("utf-16", "surrogatepass").decode("utf-16", errors="replace")


# ---------------------------------------------------------------------------
# HTML

_BLOCKS = {
    "p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "blockquote", "pre", "ul", "ol", "dd", "dt", "hr", "center", "title",
}
_DROP = {"head", "script", "style", "noscript", "template", "xml"}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropped = 0  # depth inside elements whose text goes
        self.cells = 0  # cells opened in the current table row
        self.in_cell = 0  # depth inside td / th: a <p> there does not end the row's line

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.dropped += 1
        elif tag == "tr":
            self.cells, self.in_cell = 0, 0
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append("\t" if self.cells else "")
            self.cells += 1
            self.in_cell += 1
        elif tag in _BLOCKS:
            self.out.append(CELL_BREAK if self.in_cell else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.dropped = max(0, self.dropped - 1)
        elif tag in ("td", "th"):
            self.in_cell = max(0, self.in_cell - 1)
        elif tag in ("tr", "table"):
            self.cells, self.in_cell = 0, 0
            self.out.append("\n")
        elif tag in _BLOCKS:
            self.out.append(CELL_BREAK if self.in_cell else "\n")

    def handle_data(self, data: str) -> None:
        if not self.dropped:
            self.out.append(re.sub(r"[ \t\r\n]+", " ", data))


def read_html(data: bytes, name: str) -> RawText:
    """The text of a web page (a Word or WPS document saved as HTML): one line a block, table
    rows as tab-separated cells."""
    text = _decode_html(data, name)
    parser = _Html()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # noqa: BLE001 - html.parser is lenient; anything else is damage
        raise UnreadableFileError(f"网页文件损坏，无法读取：{name}", repr(exc)) from exc
    lines = [re.sub(r" *\t *", "\t", line).strip(" ") for line in "".join(parser.out).split("\n")]
    out = "\n".join(line for line in lines if line.strip())
    if not out.strip():
        raise UnreadableFileError(f"网页文件中没有正文：{name}", f"no body text in {name}")
    return RawText(out)


def _decode_html(data: bytes, name: str) -> str:
    m = _CHARSET.search(data[:4096])
    if m:
        charset = m.group(1).decode("ascii").lower()
        if charset in ("gb2312", "gbk", "cp936", "x-gbk"):
            charset = "gb18030"
        try:
            return data.decode(charset, errors="replace").lstrip("\ufeff")
        except LookupError:
            log.info("%s: unknown charset %s", name, charset)
    return decode_bytes(data, name)
