"""Cleaning the real debris of the corpus: wraps, page breaks, indentation, markup, TOC, tables."""

from __future__ import annotations

from rag.ingest import clean_text, ends_sentence, infer_meta, load_manifest, normalize_inline
from tests.conftest import CORPUS

PROVINCE = "jilin_province_14th_fyp_2021.txt"


def paragraphs(doc) -> list[str]:  # type: ignore[no-untyped-def]
    return [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "para"]


def test_hard_wrapped_2023_sentences_are_rejoined(corpus_docs):
    paras = paragraphs(corpus_docs["jilin_work_points_2023.txt"])
    item = next(p for p in paras if p.startswith("（十一）"))
    assert "特困人员供养机构护理型床位占比不低于50%，生活不能自理特困老年人集中供养率达到60%以上" in item
    assert item.endswith("利用自身资源和优势开展社区居家养老服务。")
    assert paras[0] == "吉林省民政厅关于印发2023年全省民政工作要点的通知"
    assert "吉民发〔2023〕5号" in paras and "2023年2月1日" in paras


def test_full_width_indentation_of_2025_is_gone(corpus_docs):
    text = corpus_docs["jilin_work_points_2025.txt"].text
    assert "\u3000" not in text
    assert "\n一、坚持党的领导、加强党的建设\n（一）加强政治机关建设。" in text


def test_page_break_split_inside_a_sentence_is_joined(corpus_docs):
    text = corpus_docs[PROVINCE].text
    assert "提高保障能力和服务水平，负责收留抚养本行政区域内" in text  # across "<p>" and a blank line
    assert "推动吉林民政事业在“十四五”时期实现高质量发展，更好地履行" in text
    assert "认真执行《吉林省养老机构管理办法》。" in text


def test_markup_and_toc_are_removed(corpus_docs):
    text = corpus_docs[PROVINCE].text
    assert "**" not in text and "<p>" not in text and "</p>" not in text
    assert "……" not in text.split("第一章 规划背景")[0]
    assert text.count("第一节 “十三五”时期吉林民政事业取得的成就") == 1
    assert "——坚持服务中心工作。聚焦" in text


def test_layout_spaces_inside_chinese_are_dropped(corpus_docs):
    shulan = corpus_docs["shulan_city_14th_fyp_2021.txt"].text
    assert "开通社会救助服务热线" in shulan  # "开通社 会救助" in the raw file
    assert "到2025年，全市民政系统" in shulan  # "到 2025 年， 全市"


def test_normalize_inline_keeps_item_numbers_and_latin_spaces():
    assert normalize_inline("01 提升基层社会救助经办服务能力") == "01 提升基层社会救助经办服务能力"
    assert normalize_inline("第一章   规划背景") == "第一章 规划背景"
    assert normalize_inline("启用民政部 2.0 版婚姻登记") == "启用民政部2.0版婚姻登记"
    assert normalize_inline("**坚持共建共治共享**。充分") == "坚持共建共治共享。充分"
    assert normalize_inline("Milvus Lite 与 FAISS") == "Milvus Lite与FAISS"


def test_one_cell_per_line_table_is_rebuilt():
    raw = "主要发展指标\n\n序号\n\n指标\n\n单位\n\n目标值\n\n1\n\n覆盖率\n\n%\n\n100\n\n2\n\n网点数\n\n个\n\n10\n\n（二）预期目标"
    text, blocks = clean_text(raw)
    table = next(b for b in blocks if b.kind == "table")
    assert table.rows == [["序号", "指标", "单位", "目标值"], ["1", "覆盖率", "%", "100"], ["2", "网点数", "个", "10"]]
    assert text.split("\n") == ["主要发展指标", "序号\t指标\t单位\t目标值", "1\t覆盖率\t%\t100", "2\t网点数\t个\t10", "（二）预期目标"]


def test_titles_and_signatures_are_not_glued_together():
    text, _ = clean_text("吉林省民政事业发展“十四五”规划\n\n吉林省民政厅\n\n2021年10月\n\n第一章 规划背景\n正文。")
    assert text.split("\n") == ["吉林省民政事业发展“十四五”规划", "吉林省民政厅", "2021年10月", "第一章 规划背景", "正文。"]


def test_ends_sentence():
    assert ends_sentence("全面覆盖。")
    assert ends_sentence("做到“两个维护”。”")
    assert not ends_sentence("提高保障能")
    assert not ends_sentence("")


def test_manifest_metadata_and_inference(corpus_docs):
    manifest = load_manifest(CORPUS)
    assert manifest["shulan_city_14th_fyp_2021.txt"].level == "county"
    assert corpus_docs["jilin_work_points_2023.txt"].meta.doc_number == "吉民发〔2023〕5号"
    assert corpus_docs["jilin_work_points_2023.txt"].meta.inferred is False
    meta = infer_meta("x.txt", corpus_docs["jilin_work_points_2023.txt"].text)
    assert (meta.title, meta.doc_number, meta.date, meta.level) == (
        "2023年全省民政工作要点",
        "吉民发〔2023〕5号",
        "2023-02-01",
        "province",
    )
