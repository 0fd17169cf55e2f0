"""Make the scan fixtures of tests/docs/test_ocr.py from real corpus text (run from the repo root):

    python tests/data/scans/make_scans.py

Pages are drawn with Pillow and Noto Sans CJK (fonts-noto-cjk) at 150 dpi, then turned by
a fraction of a degree, blurred and given noise, as a desk scanner does; PDFs are written by
hand (one JPEG per page), so nothing but Pillow and numpy is needed. What they hold:

- scan.pdf: page 1 the 第五章 / 第一节 headings and a paragraph of the provincial plan
  (护理型床位占比不低于60%), page 2 its indicator table (序号 / 指标 / 单位 / 2025年目标值 / 属性);
  both pages image only.
- scan.png: one paragraph of the provincial plan with a figure (不低于55%).
- mixed.pdf: page 1 a text page (a text layer in the standard STSong-Light font, not
  embedded), page 2 a scanned page.
- garbage.pdf: a scanned page under an invisible text layer whose font has no Unicode map
  (GBK bytes read as WinAnsi: "Éç»á…"), as some scanners' and converters' PDFs are.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).parent
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
W, H = 1240, 1754  # A4 at 150 dpi
SIZE = 26

HEADINGS = ["第五章 大力促进养老服务业发展", "第一节 进一步提升养老机构服务水平"]
# corpus/jilin_province_14th_fyp_2021.txt, 第五章 第一节
PARA_BEDS = (
    "供养和失能照护能力。对有集中供养意愿的分散供养特困人员实现应收尽收。每个县（市、区）于"
    "2022年底至少建有一所以收住城乡困难失能、残疾老年人为主的县级层面养老机构。不断增加公办养老"
    "机构护理型床位数量，到2022年底护理型床位占比不低于50%，到2025年底护理型床位占比不低于60%。"
)
# the same plan, 第五章 第二节
PARA_LOTTERY = (
    "逐步加大政府购买养老服务力度，编制政府购买养老服务指导性目录，重点面向经济困难的孤寡、失能、"
    "高龄老年人提供生活照料、康复护理等养老服务。从2022年起，全省各级福彩公益金投入养老服务比例不低于55%。"
)
# the same plan, 第三章 第二节 (the text page of mixed.pdf) and 第六章 (its scanned page)
PARA_TEXT_PAGE = (
    "加强福利彩票发行销售管理。坚持“可持续、高质量发展”的方针，加强队伍建设，培育市场主体、"
    "激发市场活力，严抓市场规范，强化营销宣传。"
)
PARA_SCANNED_PAGE = (
    "全面落实积极应对人口老龄化国家战略，适应新时代社会主要矛盾转变，坚持补短板、强弱项，"
    "深入推进幸福养老工程建设，加强城乡统筹、区域统筹。"
)
CAPTION = "“十四五”期间民政事业主要发展指标"
TABLE = [
    ["序号", "指标", "单位", "2025年目标值", "属性"],
    ["2", "农村低保标准占城市低保标准比例", "%", "75", "预期性"],
    ["3", "困难残疾人生活补贴覆盖率", "%", "100", "约束性"],
    ["5", "福利彩票销售网点数", "万个", "0.35", "预期性"],
    ["7", "法人治理健全的社会组织比例", "%", "90", "预期性"],
    ["14", "公办养老机构护理型床位占比", "%", "≥55", "约束性"],
]
COLUMNS = [70, 230, 680, 840, 1100]  # cell x positions: 100 px or more between columns


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, indent: int) -> list[str]:
    lines, line = [], "\u3000\u3000" if indent else ""
    for ch in text:
        if font.getlength(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


def _page(height: int = H) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("L", (W, height), 255)
    return img, ImageDraw.Draw(img)


def _paragraphs(draw: ImageDraw.ImageDraw, y: int, paras: list[str], headings: list[str] = ()) -> int:
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(FONT.replace("Regular", "Bold"), SIZE + 4)
    for h in headings:
        draw.text((W // 2 - bold.getlength(h) / 2, y), h, font=bold, fill=0)
        y += 80
    for p in paras:
        for line in _wrap(p, font, W - 200, indent=1):
            draw.text((100, y), line, font=font, fill=0)
            y += 46
        y += 20
    return y


def _scan(img: Image.Image, seed: int, angle: float) -> Image.Image:
    """A scanner's page: turned a little, blurred, with noise."""
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    noise = np.random.default_rng(seed).normal(0, 10, (img.height, img.width))
    return Image.fromarray(np.clip(np.asarray(img, dtype=np.float64) + noise, 0, 255).astype(np.uint8))


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=55)
    return buf.getvalue()


def write_pdf(path: Path, pages: list[tuple[Image.Image | None, bytes]]) -> None:
    """A PDF of A4 pages, each an optional full-page JPEG and a content stream drawn over it."""
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    font_cjk = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> >>] >>"
    )
    font_latin = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = len(objs) + 2 * len(pages) * 2 + 1  # reserved below
    kids = []
    for img, content in pages:
        xobj = b""
        draw = b""
        if img is not None:
            data = _jpeg(img)
            im = add(
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % (img.width, img.height, len(data))
                + data
                + b"\nendstream"
            )
            xobj = b"/XObject << /Im0 %d 0 R >>" % im
            draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q\n"
        stream = zlib.compress(draw + content)
        c = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append((c, xobj))
    page_ids = []
    first_page = len(objs) + 1
    pages_id = first_page + len(kids)
    for c, xobj in kids:
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> %s >> >>" % (pages_id, c, font_cjk, font_latin, xobj)
            )
        )
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % p for p in page_ids), len(page_ids)))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, xref)
    path.write_bytes(bytes(out))


def _text_lines(lines: list[str], invisible: bool = False, font: bytes = b"/F1") -> bytes:
    """A content stream showing ``lines`` top down (UCS-2 for the CJK font F1, bytes for F2)."""
    out = b"BT %s 12 Tf %s 72 760 Td 16 TL\n" % (font, b"3 Tr" if invisible else b"0 Tr")
    for line in lines:
        if font == b"/F1":
            out += b"<%s> Tj T*\n" % line.encode("utf-16-be").hex().encode()
        else:
            out += b"<%s> Tj T*\n" % line.encode("gbk").hex().encode()
    return out + b"ET\n"


def main() -> None:
    # scan.pdf: headings + paragraph, then the indicator table
    p1, d1 = _page()
    _paragraphs(d1, 160, [PARA_BEDS], HEADINGS)
    p2, d2 = _page()
    font = ImageFont.truetype(FONT, SIZE)
    d2.text((W // 2 - font.getlength(CAPTION) / 2, 160), CAPTION, font=font, fill=0)
    for r, row in enumerate(TABLE):
        for x, cell in zip(COLUMNS, row, strict=True):
            d2.text((x, 240 + r * 60), cell, font=font, fill=0)
    write_pdf(HERE / "scan.pdf", [(_scan(p1, 1, 0.6), b""), (_scan(p2, 2, -0.5), b"")])

    # scan.png: one paragraph, a strip of a page
    p, d = _page(360)
    _paragraphs(d, 60, [PARA_LOTTERY])
    _scan(p, 3, 0.4).save(HERE / "scan.png", optimize=True)

    # mixed.pdf: a text page, then a scanned page
    p, d = _page(700)
    _paragraphs(d, 60, [PARA_SCANNED_PAGE], ["第六章 健全养老服务体系"])
    full, _ = _page()
    full.paste(p, (0, 0))
    half = len(PARA_TEXT_PAGE) // 2
    text_page = _text_lines(["第三章 加强福利彩票管理", PARA_TEXT_PAGE[:half], PARA_TEXT_PAGE[half:]])
    write_pdf(HERE / "mixed.pdf", [(None, text_page), (_scan(full, 4, 0.3), b"")])

    # garbage.pdf: a scan under a text layer without a Unicode map
    p, d = _page(700)
    _paragraphs(d, 60, [PARA_LOTTERY])
    full, _ = _page()
    full.paste(p, (0, 0))
    layer = _text_lines([PARA_LOTTERY[:30], PARA_LOTTERY[30:60]], invisible=True, font=b"/F2")
    write_pdf(HERE / "garbage.pdf", [(_scan(full, 5, -0.4), layer)])


if __name__ == "__main__":
    main()
