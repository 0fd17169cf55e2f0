"""A document's metadata read from its own text, for files that come without a manifest.

:func:`infer_meta` reads a cleaned text and the fields its wrapper declared
(:func:`rag.docs.heads.unwrap`):

- **title**: the declared title, else the 印发通知's plan name (关于印发《X》的通知 → X), else
  a title line before the first heading, joined to the line(s) above it that a cover broke it
  from ("北京市国民经济和社会发展" / "第十五个五年规划纲要"); a 政府工作报告 with none (it opens
  with 各位代表：) is "{jurisdiction}{year}年政府工作报告"; else the file name's stem. A title
  that names no place, of a document whose place only its body shows, is completed with that
  place (:func:`complete_title`: the body's own full name for it, else the place before it);
- **issuer** and **date**: the notice's signature (its own 落款 wins over a web page's
  发布单位 / 发布日期, as the manifest takes 成文日期 over 发布日期), else a report's
  "——2026年1月27日在…会议上" line, else the declared fields, else a cover page's issuer and
  date lines; a report is issued by "{jurisdiction}人民政府", and dated by its year if nothing
  else dates it;
- **doc_number**: the declared 文号, else a 文号 line of the notice, spaces dropped;
- **jurisdiction**, **parent_jurisdiction**, **level**: the places the title (else the issuer)
  starts with ("上海市长宁区…" → 长宁区 under 上海市), or the place a report speaks for (我代表
  市政府 … the most named 市), else the place the whole body speaks for (the 人民代表大会 that
  approved it, an issuing body's signature, the place it names most: :mod:`rag.docs.jurisdiction`),
  else the wrapper's province; the level from the gazetteer (:mod:`rag.docs.places`);
- **kind** and **period**: five_year_plan (十N五, 第十N个五年 or 2026-2030年 in the title, else a
  规划 whose preamble is about one 十N五: period "2026-2030"), annual_work_points and
  work_report (period the year), else other;
- **provenance**: for title, jurisdiction, level, parent_jurisdiction and period, whether the
  head declared it (a wrapper, the title line, the notice, the issuer) or the body showed it,
  with the place's share of the body's place mentions, so that later stages can rank by it;
- **implements_title**: the higher plan the preamble says it follows (根据《…》, 落实《…》): a
  quoted plan of a higher jurisdiction, the one closest in title. :func:`link_implements`
  resolves it to a corpus file (``implements``) by title similarity.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from rag.docs.heads import DATE_LINE, Notice, find_notice, iso_date, plan_name
from rag.docs.jurisdiction import body_place
from rag.docs.outline import heading_kind
from rag.docs.periods import ANY_PERIOD_RE, PERIOD_RE, period_ordinal, period_years
from rag.docs.places import LEVEL_RANK, gazetteer, place_level, places_at_start, province_name, stem
from rag.models import DocMeta, FieldEvidence, FieldSource, Level

HEAD_CHARS = 3000
_DECLARED_LEVEL: dict[str, Level] = {"省级": "province", "市级": "city", "区级": "county", "县级": "county"}

_TITLE_WORDS = ("规划", "要点", "方案", "意见", "办法", "通知", "计划", "纲要", "报告")
_DATE = re.compile(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*(?:[月\-/.]\s*(\d{1,2})\s*日?)?")
_DOC_NO = re.compile(r"([\u4e00-\u9fff]{1,10})\s*[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*(\d{1,4})\s*号")
_ORG = re.compile(r"(?:厅|局|委员会|委|办公室|办公厅|人民政府|政府|部|院|管委会|中心)$")
_ORGAN_WORDS = re.compile(r"厅|局|委员会|办公室|政府|管委会|文件|公告|通知")
_FRAGMENT_BREAKS = re.compile(r"[\t。！？；：:，,、（）()《》“”]")


_REPORT_OPENING = re.compile(r"代表([省市县区州旗]?)(?:人民)?政府[，,]?\s*向(?:大会|本次大会|会议)报告")
_REPORT_DATE = re.compile(r"^——.*?(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日.*(?:会议|大会)")
_REPORT_YEAR = re.compile(r"(\d{4})年(?:工作安排|工作总体|主要目标|政府工作|重点工作|工作任务)")
_REVIEW_YEAR = re.compile(r"(\d{4})年(?:工作回顾|工作总结)")
# the kinds of place a report's 我代表X政府 speaks for
_REPORT_KINDS = {
    "省": ("省",),
    "市": ("地级市", "县级市", "直辖市"),
    "县": ("县", "自治县"),
    "区": ("区",),
    "州": ("自治州",),
    "旗": ("旗",),
}

_SPAN = re.compile(r"(\d{4})\s*[-—–~至到]\s*(\d{4})\s*年")
_IMPLEMENTS_VERBS = re.compile(r"根据|依据|按照|落实|贯彻|衔接|对接|遵循")
_QUOTED = re.compile(r"《([^《》]{4,80})》")
_PLAN_WORDS = re.compile(r"规划|纲要|计划|方案|要点")
_NATIONAL = re.compile(r"^(?:全国|国家)")


# ---------------------------------------------------------------------------
# Pieces


def doc_number(text: str) -> str | None:
    """A 文号, spaces dropped and brackets made 〔〕: "长绿容发 〔2026〕34号" → "长绿容发〔2026〕34号"."""
    m = _DOC_NO.search(text)
    return f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号" if m else None


def title_similarity(a: str, b: str) -> float:
    """Dice coefficient of the titles' character bigrams (quotes, 《》 and spaces ignored)."""
    a, b = (re.sub(r"[\s《》“”\"'‘’「」]", "", unicodedata.normalize("NFKC", t)) for t in (a, b))
    if a == b:
        return 1.0
    ga = {a[i : i + 2] for i in range(len(a) - 1)}
    gb = {b[i : i + 2] for i in range(len(b) - 1)}
    return 2 * len(ga & gb) / (len(ga) + len(gb)) if ga and gb else 0.0


def _title_line(paragraphs: Sequence[str], start: int) -> tuple[str, int] | None:
    """A title line among the paragraphs from ``start`` up to the first heading, joined to the
    lines above it that a cover broke it from (:func:`_wrapped_title`), and the index of its last line."""
    for i in range(start, min(start + 15, len(paragraphs))):
        p = paragraphs[i]
        if heading_kind(p):
            break
        if "\t" not in p and len(p) <= 40 and p[-1:] not in "。！？；：:" and any(w in p for w in _TITLE_WORDS):
            return _wrapped_title(paragraphs, start, i), i
    return None


def _wrapped_title(paragraphs: Sequence[str], start: int, at: int) -> str:
    """The title line ``at``, joined to the one or two lines above it when it names no place and
    they are a broken-off start naming one ("北京市国民经济和社会发展" / "第十五个五年规划纲要"):
    short lines without punctuation, no organ's name (吉林省民政厅, …人民政府文件), no date."""
    title = paragraphs[at]
    if places_at_start(title):
        return title
    for first in (at - 1, at - 2):
        if first < start or not _title_fragment(paragraphs[first]):
            break
        if places_at_start(paragraphs[first]):
            return "".join(paragraphs[first:at]) + title
    return title


def _title_fragment(p: str) -> bool:
    return (
        len(p) <= 30
        and not _FRAGMENT_BREAKS.search(p)
        and not _ORGAN_WORDS.search(p)
        and not DATE_LINE.match(p)
        and not heading_kind(p)
    )


def _cover(paragraphs: Sequence[str], at: int | None) -> tuple[str | None, str | None]:
    """(issuer, date) of a cover page: the lines right after the title's line ``at``
    ("吉林省民政厅", "2021年10月")."""
    if at is None:
        return None, None
    lines = paragraphs[at + 1 : at + 4]
    issuer = next((p for p in lines if _ORG.search(p) and len(p) <= 30 and "，" not in p), None)
    date = next((iso_date(m) for p in lines if (m := DATE_LINE.match(p))), None)
    return issuer, date


def _report_jurisdiction(text: str, suffix: str) -> str | None:
    """The place a report speaks for: the most named place of its kind ("我代表市政府" → …市)."""
    counts: Counter[str] = Counter()
    for name, place in gazetteer().items():
        if place.kind in _REPORT_KINDS.get(suffix, ()):
            full = name if name.endswith(suffix) else name + suffix
            if n := text.count(full):
                counts[full] = n
    best = counts.most_common(2)
    if best and best[0][1] >= 2 and (len(best) == 1 or best[0][1] > best[1][1]):
        return best[0][0]
    return None


def _report_year(title: str | None, declared: Mapping[str, str], text: str) -> int | None:
    """The year a 政府工作报告 is for: in its title, declared, else the year its plans are for
    ("2024年工作安排"), else the year after the one it reviews ("2023年工作回顾")."""
    lead = re.match(r"^\D{0,12}?(\d{4})\s*年", title or "")
    if lead:
        return int(lead.group(1))
    if declared.get("year", "").isdigit():
        return int(declared["year"])
    years = [int(m.group(1)) for m in _REPORT_YEAR.finditer(text)]
    years = years or [int(m.group(1)) + 1 for m in _REVIEW_YEAR.finditer(text)]
    return Counter(years).most_common(1)[0][0] if years else None


def plan_period(title: str, preamble: str = "") -> str | None:
    """A plan's years: 十五五, 第十五个五年 or 2026-2030年 in its title, else the one 十N五 its
    preamble speaks of (a 纲要 whose title writes 第十五个五年 out is no 十四五 plan because its
    preamble reviews the 十四五 more often than it names the 十五五)."""
    m = ANY_PERIOD_RE.search(title)
    span = _SPAN.search(title)
    if m is None and span is None and re.search(r"规划|纲要", title):
        counts = Counter(period_ordinal(m) for m in ANY_PERIOD_RE.finditer(preamble))
        top = counts.most_common(2)
        if top and (len(top) == 1 or top[0][1] > top[1][1]):
            start, end = period_years(top[0][0])
            return f"{start}-{end}"
    if m:
        start, end = period_years(period_ordinal(m))
        return f"{start}-{end}"
    if span and int(span.group(2)) > int(span.group(1)):
        return f"{span.group(1)}-{span.group(2)}"
    return None


def _implements(text: str, title: str, jurisdiction: str | None, level: Level | None) -> str | None:
    """The higher plan the preamble names: 根据《上海市…“十五五”规划》 in a 长宁区 plan.

    Candidates are plans quoted after 根据 / 依据 / 落实 … in one sentence; a plan of the same
    place (its own 国民经济和社会发展…纲要) or of a level not above the document's is no higher
    plan; a national one (国家… / a province's unnamed 十N五 plan) ranks below a named one.
    """
    best: tuple[int, float, str] | None = None
    for sentence in re.split(r"[。！？]", text[:HEAD_CHARS]):
        verb = _IMPLEMENTS_VERBS.search(sentence)
        for m in _QUOTED.finditer(sentence, verb.start()) if verb else ():
            quoted = m.group(1)
            if not _PLAN_WORDS.search(quoted) or title_similarity(quoted, title) >= 0.95:
                continue
            chain = places_at_start(quoted)
            if chain:
                q_level = place_level(chain[-1])
                if chain[-1] == jurisdiction or (level and q_level and LEVEL_RANK[q_level] >= LEVEL_RANK[level]):
                    continue
                rank = 1
            elif _NATIONAL.match(quoted) or (level == "province" and PERIOD_RE.search(quoted)):
                rank = 0
            else:
                continue
            key = (rank, title_similarity(quoted, title), quoted)
            if best is None or key[:2] > best[:2]:
                best = key
    return best[2] if best else None


def _head_title(
    declared: Mapping[str, str], notice: Notice | None, paragraphs: Sequence[str], body: int
) -> tuple[str | None, FieldEvidence | None, int | None]:
    """The title the head declares, where from, and the paragraph its line ends on (for a cover):
    the wrapper's, else the 印发通知's plan name, else a title line before the first heading."""
    if declared.get("title"):
        title = plan_name(declared["title"])
        return title, "wrapper", paragraphs.index(title) if title in paragraphs else None
    if notice and notice.plan:
        return notice.plan, "notice", None
    if line := _title_line(paragraphs, body):
        return line[0], "title", line[1]
    return None, None, None


def _declared(evidence: FieldEvidence) -> FieldSource:
    return FieldSource(source="declared", evidence=evidence)


def _inferred(evidence: FieldEvidence, share: float | None = None) -> FieldSource:
    return FieldSource(source="inferred", evidence=evidence, share=share)


def _where(
    title: str | None, issuer: str | None, text: str, report: re.Match[str] | None, declared: Mapping[str, str]
) -> tuple[list[str], FieldSource | None]:
    """The document's places, outermost first, and how they were found: the title's, else the
    issuer's (declared); a report's most named place, else the place the body speaks for
    (:func:`rag.docs.jurisdiction.body_place`; inferred); else the wrapper's province. The body's
    place is taken over the wrapper's province when it lies in it (a CSV export's province column
    of a city's plan)."""
    if chain := places_at_start(title or ""):
        return chain, _declared("title")
    if chain := places_at_start(issuer or ""):
        return chain, _declared("issuer")
    if report and (place := _report_jurisdiction(text, report.group(1) or "市")):
        return [place], _inferred("report")
    province = declared.get("province")
    found = body_place(text)
    if found and (not province or stem(province) in (stem(found.place), stem(province_name(found.place) or ""))):
        return list(found.chain), _inferred(found.evidence, round(found.share, 3))
    if province:
        return [province], _declared("wrapper")
    return [], None


def complete_title(title: str, place: str, text: str) -> tuple[str, FieldEvidence]:
    """A title that names no place, with its place ``place``, and how: the body's own name for it
    when the body writes one ("body_title": 《北京市国民经济和社会发展第十五个五年规划纲要》 in its
    preamble, or in the approval sentence), else the place before the title ("prefixed").

    The body's name is a 《quoted》 name, or an unquoted run of words from the place to the
    title's last two characters, that starts with the place, holds the title's characters in order
    (第十五个五年规划纲要 in …第十五个五年规划和二〇三五年远景目标纲要) and is of the title's
    period (the 纲要 of the 十四五, which the preamble also quotes, is not this one). The one the
    body writes most often wins, the closer to the title on a tie.
    """
    tail = re.escape(title[-2:])
    names = Counter(m.group(1) for m in _QUOTED.finditer(text))
    names.update(m.group(0) for m in re.finditer(rf"{re.escape(place)}[^\s，。；：、《》“”（）()]{{0,40}}?{tail}", text))
    period = plan_period(title)
    fits = [
        (n, title_similarity(name, title), name)
        for name, n in names.items()
        if (chain := places_at_start(name))
        and chain[-1] == place
        and _in_order(title, rest := name[len("".join(chain)) :])
        and plan_period(rest) == period
    ]
    if fits:
        return max(fits)[2], "body_title"
    return place + title, "prefixed"


def _in_order(chars: str, text: str) -> bool:
    """Whether ``chars`` appear in ``text`` in that order (not necessarily together)."""
    rest = iter(text)
    return all(c in rest for c in chars)


# ---------------------------------------------------------------------------
# The whole


def infer_meta(file: str, text: str, declared: Mapping[str, str] | None = None) -> DocMeta:
    """Metadata from a cleaned text and its wrapper's declared fields (see the module doc)."""
    declared = declared or {}
    paragraphs = [p.strip() for p in text[: HEAD_CHARS * 2].split("\n") if p.strip()]
    notice: Notice | None = find_notice(paragraphs)
    body = notice.end if notice else 0
    preamble = "\n".join(paragraphs[body:])
    report = _REPORT_OPENING.search(" ".join(paragraphs[body : body + 12]))

    title, title_from, title_at = _head_title(declared, notice, paragraphs, body)

    # issuer and date: the notice's signature, a report's date line, the wrapper, a cover page
    issuer = notice.issuer if notice else None
    date = notice.date if notice else None
    report_date = next((m for p in paragraphs[:12] if (m := _REPORT_DATE.match(p))), None)
    date = date or (iso_date(report_date) if report_date else None)
    issuer = issuer or declared.get("issuer")
    if declared.get("date") and not date and (m := _DATE.search(declared["date"])):
        date = iso_date(m)
    if notice and not issuer:
        issuer = re.sub(r"关于印发.*$", "", paragraphs[notice.start]) or None  # 吉林省民政厅关于印发…
    if title and not notice:
        cover_issuer, cover_date = _cover(paragraphs, title_at)
        issuer, date = issuer or cover_issuer, date or cover_date

    # where: the head's places (title, issuer), else what the body shows, else the wrapper's
    chain, where = _where(title, issuer, text, report, declared)
    jurisdiction = chain[-1] if chain else None
    parent = None
    if jurisdiction:
        issuer_chain = places_at_start(issuer or "")
        above = chain[:-1] or (issuer_chain[:-1] if issuer_chain[-1:] == [jurisdiction] else [])
        parent = above[-1] if above else province_name(jurisdiction)
    level = place_level(jurisdiction) if jurisdiction else _DECLARED_LEVEL.get(declared.get("level", ""))
    provenance: dict[str, FieldSource] = {}
    if where is not None:
        provenance |= {"jurisdiction": where, "level": where} | ({"parent_jurisdiction": where} if parent else {})
    elif level:
        provenance["level"] = _declared("wrapper")
    if title and title_from:
        provenance["title"] = _declared(title_from)
        if jurisdiction and where is not None and where.source == "inferred" and not places_at_start(title):
            title, completed = complete_title(title, jurisdiction, text)
            provenance["title"] = _inferred(completed, where.share)

    # what and when
    period = plan_period(title or "", preamble[:HEAD_CHARS])
    if period:
        written = ANY_PERIOD_RE.search(title or "") or _SPAN.search(title or "")
        provenance["period"] = _declared("title") if written else _inferred("preamble")
    is_report = bool(report) or "政府工作报告" in (title or "")
    if is_report:
        kind = "work_report"
        year = _report_year(title, declared, text[: HEAD_CHARS * 4])
        period = str(year) if year else None
        if period:
            in_title, in_wrapper = bool(title and period in title), declared.get("year") == period
            provenance["period"] = _declared("title") if in_title else _declared("wrapper") if in_wrapper else _inferred("report")
        if title is None and jurisdiction and year:
            title = f"{jurisdiction}{year}年政府工作报告"
            provenance["title"] = _inferred("report")
        if issuer is None and jurisdiction:
            issuer = f"{jurisdiction}人民政府"
        if date is None and year:
            date = str(year)  # a report for year Y is given at the start of Y
    elif "要点" in (title or ""):
        kind = "annual_work_points"
        lead = re.match(r"^(\d{4})\s*年", title or "")
        if lead:
            period = lead.group(1)
            provenance["period"] = _declared("title")
    elif period and re.search(r"规划|纲要", title or ""):
        kind = "five_year_plan"
    else:
        kind = "other"

    if title is None:
        title = Path(file).stem
        provenance["title"] = _inferred("file_name")
    return DocMeta(
        file=file,
        title=title,
        issuer=issuer,
        doc_number=doc_number(declared.get("doc_number", "")) or _notice_doc_number(paragraphs, notice),
        date=date,
        jurisdiction=jurisdiction,
        level=level,
        parent_jurisdiction=parent,
        kind=kind,
        period=period,
        implements_title=_implements(preamble, title, jurisdiction, level),
        inferred=True,
        provenance=provenance,
    )


def _notice_doc_number(paragraphs: Sequence[str], notice: Notice | None) -> str | None:
    """A 文号 on a line of its own in the notice (or in the first lines, when there is none)."""
    lines = paragraphs[notice.start : notice.end] if notice else paragraphs[:10]
    for p in lines:
        number = doc_number(p)
        if number and len(p) <= len(number) + 4:
            return number
    return None


# ---------------------------------------------------------------------------
# Implements: a quoted title -> a corpus file


def resolve_implements(title: str, metas: Iterable[DocMeta], threshold: float = 0.8) -> str | None:
    """The file among ``metas`` whose title is ``title``, or nearly (bigram Dice ≥ ``threshold``)."""
    scored = sorted(((title_similarity(title, m.title), m.file) for m in metas), reverse=True)
    return scored[0][1] if scored and scored[0][0] >= threshold else None


def link_implements(metas: Sequence[DocMeta]) -> list[DocMeta]:
    """The metadata with ``implements`` set to the file of the plan each names, where the corpus
    holds it; manifest entries, and documents naming no plan, come back unchanged."""
    out = []
    for meta in metas:
        if meta.inferred and meta.implements_title and not meta.implements:
            found = resolve_implements(meta.implements_title, [m for m in metas if m.file != meta.file])
            if found:
                meta = meta.model_copy(update={"implements": found})
        out.append(meta)
    return out
