"""Loaders turn one file into a title and a list of structural blocks (headings, paragraphs, lists,
tables, code), keeping page numbers where the format has pages.

Each loader is a callable ``(data: bytes, name: str) -> LoadedDocument`` registered by file
extension in :data:`LOADERS`. Loaders raise :class:`~assistant.errors.IngestError` subclasses for
bad input; the pipeline turns those into report lines.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from pathlib import PurePath

from assistant.errors import DocumentParse, UnsupportedFormat
from assistant.ingest.encoding import decode_bytes
from assistant.schemas import Block, LoadedDocument
from assistant.text import normalize

Loader = Callable[[bytes, str], LoadedDocument]

# ---------------------------------------------------------------------------------------------
# plain-text heuristics shared by .txt and PDF pages

_NUMBERED_HEADING = re.compile(
    r"^\s*(?:"
    r"(?P<chapter>第[一二三四五六七八九十百零〇\d]+[章篇部])"
    r"|(?P<section>第[一二三四五六七八九十百零〇\d]+[节条])"
    r"|(?P<cn>[一二三四五六七八九十]+、)"
    r"|(?P<paren>[（(][一二三四五六七八九十]+[)）])"
    r"|(?P<num>\d{1,2}(?:\.\d{1,2}){0,4})(?:[.、]|\s)"
    r"|(?P<chapter_en>(?:Chapter|Section|Part)\s+\d+)"
    r")\s*(?P<title>.*)$"
)
_SENT_END = "。！？；.!?;:：,，、"
_LIST_ITEM = re.compile(
    r"^\s*(?:[-*+•·●▪]|\d{1,3}[.)、]|[（(]\d{1,3}[)）]|[a-zA-Z][.)]|步骤\s*\d+[:：.、]?|Step\s+\d+[:.]?)\s*\S"
)


def _heading_level(line: str) -> int | None:
    """Return a heading level when *line* looks like a numbered heading, else None."""
    stripped = line.strip()
    if not stripped or len(stripped) > 60 or stripped[-1] in _SENT_END:
        return None
    m = _NUMBERED_HEADING.match(stripped)
    if not m or not m.group("title").strip():
        return None
    title = m.group("title").strip()
    if len(title) < 2:
        return None
    if m.group("chapter") or m.group("chapter_en"):
        return 1
    if m.group("section") or m.group("cn"):
        return 2
    if m.group("paren"):
        return 3
    num = m.group("num")
    if num:
        # "1 Overview" or "2.3 Approval"; a bare "1." followed by a long sentence is a list item
        if "." not in num and not re.match(r"^\d{1,2}\s", stripped):
            return None
        return num.count(".") + 1
    return None


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines: no space between Chinese characters, one space between Latin words."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out and not (
            re.search(r"[\u3000-\u9fff\uff00-\uffef]$", out)
            and re.match(r"[\u3000-\u9fff\uff00-\uffef]", line)
        ):
            out += " "
        out += line
    return out


def _lines_to_blocks(
    lines: list[str],
    page: int | None,
    heading_titles: dict[str, int] | None = None,
    guess_headings: bool = True,
) -> list[Block]:
    """Group text lines into heading, list and paragraph blocks.

    Headings come from ``heading_titles`` (normalised line -> level, e.g. from PDF bookmarks) and,
    with ``guess_headings``, from numbered-heading patterns. Text is kept as written: full-width
    punctuation is folded only for matching.
    """
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []

    def flush_para() -> None:
        if para:
            text = _join_lines(para)
            if text:
                blocks.append(Block(kind="para", text=text, page=page))
            para.clear()

    def flush_items() -> None:
        if items:
            blocks.append(Block(kind="list", text="\n".join(items), page=page))
            items.clear()

    for raw in lines:
        line = raw.rstrip()
        key = normalize(line).strip()
        if not key:
            flush_para()
            flush_items()
            continue
        text = line.strip()
        level = heading_titles.get(key) if heading_titles else None
        if level is None and guess_headings and not items:
            level = _heading_level(line)
        if level is not None:
            flush_para()
            flush_items()
            blocks.append(Block(kind="heading", text=text, level=level, page=page))
            continue
        if _LIST_ITEM.match(line):
            flush_para()
            items.append(text)
            continue
        if items:
            # a wrapped continuation of the current list item
            if key[0] in ",.、;" or not items[-1].endswith(tuple("。.!?！？")):
                items[-1] = _join_lines([items[-1], text])
                continue
            flush_items()
        para.append(line)
        if key[-1] in "。！？.!?" and len(key) < 40:
            flush_para()
    flush_para()
    flush_items()
    return blocks


def load_text(data: bytes, name: str) -> LoadedDocument:
    text, enc = decode_bytes(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentParse("the file holds no text")
    lines = text.split("\n")
    # underline headings: "Title\n=====" or "Title\n-----"
    titles: dict[str, int] = {}
    for i in range(len(lines) - 1):
        under = lines[i + 1].strip()
        if lines[i].strip() and len(under) >= 3 and set(under) <= set("="):
            titles[normalize(lines[i]).strip()] = 1
        elif lines[i].strip() and len(under) >= 3 and set(under) <= set("-"):
            titles[normalize(lines[i]).strip()] = 2
    lines = [ln for ln in lines if not (ln.strip() and set(ln.strip()) <= set("=-") and len(ln.strip()) >= 3)]
    blocks = _lines_to_blocks(lines, None, titles or None)
    return LoadedDocument(title=_title_from(blocks, name), blocks=blocks, encoding=enc)


def _title_from(blocks: list[Block], name: str) -> str:
    for b in blocks:
        if b.kind == "heading" and b.level == 1:
            return b.text
    return PurePath(name).stem


# ---------------------------------------------------------------------------------------------
# Markdown

_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(```+|~~~+)")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_IMG = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s")
_TAG = re.compile(r"<[^>]+>")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_EMPH = re.compile(r"(\*\*|__|`)")


def _md_inline(text: str) -> str:
    text = _IMG.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _EMPH.sub("", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _split_row(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [_md_inline(c.replace("\\|", "|")) for c in re.split(r"(?<!\\)\|", line)]


# embedded HTML that is not content, dropped as the HTML loader drops it (outside code fences)
_EMBEDDED = re.compile(
    r"<(script|style|noscript|template|svg)\b[^>]*>.*?</\1\s*>|<(script|style)\b[^>]*/>", re.I | re.S
)
_FENCED = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)


def _drop_embedded_html(text: str) -> str:
    out, last = [], 0
    for m in _FENCED.finditer(text):
        out.append(_EMBEDDED.sub("", text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_EMBEDDED.sub("", text[last:]))
    return "".join(out)


def load_markdown(data: bytes, name: str) -> LoadedDocument:
    text, enc = decode_bytes(data)
    text = _COMMENT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _drop_embedded_html(text)
    if not text.strip():
        raise DocumentParse("the file holds no text")
    lines = text.split("\n")
    front_title = None
    if lines and lines[0].strip() == "---":
        for j in range(1, min(len(lines), 60)):
            if lines[j].strip() in ("---", "..."):
                for fm in lines[1:j]:
                    if fm.lower().startswith("title:"):
                        front_title = fm.split(":", 1)[1].strip().strip("'\"")
                lines = lines[j + 1 :]
                break
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            t = _md_inline(_join_lines(para))
            if t:
                blocks.append(Block(kind="para", text=t))
            para.clear()
        if items:
            blocks.append(Block(kind="list", text="\n".join(items)))
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            marker = fence.group(1)
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker[:3]):
                body.append(lines[i])
                i += 1
            code = "\n".join(body).strip("\n")
            if code.strip():
                blocks.append(Block(kind="code", text=code))
            i += 1
            continue
        m = _ATX.match(line)
        if m:
            flush()
            title = _md_inline(m.group(2))
            if title:
                blocks.append(Block(kind="heading", text=title, level=len(m.group(1))))
            i += 1
            continue
        if (
            line.strip()
            and i + 1 < len(lines)
            and re.fullmatch(r"\s{0,3}(=+|-+)\s*", lines[i + 1])
            and not para
            and not items
            and "|" not in line
        ):
            flush()
            blocks.append(Block(kind="heading", text=_md_inline(line), level=1 if "=" in lines[i + 1] else 2))
            i += 2
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            flush()
            rows = [_split_row(line)]
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_split_row(lines[i]))
                i += 1
            blocks.append(Block(kind="table", rows=rows))
            continue
        if not line.strip():
            flush()
            i += 1
            continue
        if _LINK_DEF.match(line):
            i += 1
            continue
        if _MD_LIST.match(line):
            if para:
                flush()
            items.append(_md_inline(line.strip()))
            i += 1
            continue
        if items and line.startswith((" ", "\t")):
            items[-1] = _join_lines([items[-1], _md_inline(line)])
            i += 1
            continue
        if items:
            flush()
        para.append(line)
        i += 1
    flush()
    if not any(b.text.strip() or b.rows for b in blocks):
        raise DocumentParse("the file holds no text")
    title = front_title or _title_from(blocks, name)
    return LoadedDocument(title=title, blocks=blocks, encoding=enc)


# ---------------------------------------------------------------------------------------------
# HTML

_HTML_BLOCKS = {"p", "li", "pre", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "dt", "dd"}


def load_html(data: bytes, name: str) -> LoadedDocument:
    from bs4 import BeautifulSoup, NavigableString, Tag

    text, enc = decode_bytes(data)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "svg", "nav"]):
        tag.decompose()
    page_title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.head:
        soup.head.decompose()
    blocks: list[Block] = []
    loose: list[str] = []

    def flush_loose() -> None:
        t = re.sub(r"\s+", " ", " ".join(loose)).strip()
        if t:
            blocks.append(Block(kind="para", text=t))
        loose.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if child.strip():
                    loose.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name_ = child.name.lower()
            if name_ in {"br"}:
                continue
            if name_ not in _HTML_BLOCKS and name_ not in {"ul", "ol", "dl"}:
                if child.find(list(_HTML_BLOCKS)):
                    flush_loose()
                    walk(child)
                    flush_loose()
                else:
                    loose.append(child.get_text(" ", strip=True))
                    if name_ in {"div", "section", "article", "main", "header", "footer"}:
                        flush_loose()
                continue
            flush_loose()
            if name_ in {"h1", "h2", "h3", "h4", "h5", "h6"}:
                t = child.get_text(" ", strip=True)
                if t:
                    blocks.append(Block(kind="heading", text=t, level=int(name_[1])))
            elif name_ in {"ul", "ol"}:
                lines = []
                for n, li in enumerate(child.find_all("li", recursive=False), 1):
                    t = re.sub(r"\s+", " ", li.get_text(" ", strip=True))
                    if t:
                        lines.append(f"{n}. {t}" if name_ == "ol" else f"- {t}")
                if lines:
                    blocks.append(Block(kind="list", text="\n".join(lines)))
            elif name_ == "table":
                rows = []
                for tr in child.find_all("tr"):
                    cells = [
                        re.sub(r"\s+", " ", c.get_text(" ", strip=True)) for c in tr.find_all(["th", "td"])
                    ]
                    if any(cells):
                        rows.append(cells)
                if rows:
                    blocks.append(Block(kind="table", rows=rows))
            elif name_ == "pre":
                t = child.get_text()
                if t.strip():
                    blocks.append(Block(kind="code", text=t.strip("\n")))
            elif name_ == "dl":
                walk(child)
            else:
                t = re.sub(r"\s+", " ", child.get_text(" ", strip=True))
                if t:
                    blocks.append(Block(kind="list" if name_ == "li" else "para", text=t))

    walk(soup.body or soup)
    flush_loose()
    if not blocks:
        raise DocumentParse("the page holds no text")
    title = page_title or _title_from(blocks, name)
    return LoadedDocument(title=title, blocks=blocks, encoding=enc)


# ---------------------------------------------------------------------------------------------
# PDF


def _pdf_outline(reader) -> dict[tuple[int, str], int]:  # type: ignore[no-untyped-def]
    """Map (page, normalised title) to heading level from the PDF's bookmarks."""
    out: dict[tuple[int, str], int] = {}

    def walk(items, level: int) -> None:  # type: ignore[no-untyped-def]
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item) + 1
                title = normalize(str(item.title)).strip()
            except Exception:  # a broken bookmark should not stop the document
                continue
            if title:
                out[(page, title)] = level

    try:
        walk(reader.outline, 1)
    except Exception:
        return {}
    return out


def _strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop page headers and footers: lines that repeat at a page's edge on most pages."""
    if len(pages) < 3:
        return pages
    edge: Counter[str] = Counter()
    for lines in pages:
        keys = {re.sub(r"\d+", "#", ln.strip()) for ln in lines[:2] + lines[-2:] if ln.strip()}
        edge.update(keys)
    running = {k for k, n in edge.items() if n >= max(3, 0.5 * len(pages))}
    out = []
    for lines in pages:
        cleaned = list(lines)
        for idx in list(range(min(2, len(cleaned)))) + list(range(max(0, len(cleaned) - 2), len(cleaned))):
            if re.sub(r"\d+", "#", cleaned[idx].strip()) in running:
                cleaned[idx] = ""
        out.append(cleaned)
    return out


def load_pdf(data: bytes, name: str) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as e:
                raise DocumentParse(f"encrypted PDF that cannot be opened: {e}") from e
            if not ok:
                raise DocumentParse(
                    "encrypted PDF: it needs a password; save an unprotected copy and ingest that"
                )
        raw_pages = []
        for page in reader.pages:
            try:
                raw_pages.append((page.extract_text() or "").split("\n"))
            except Exception:  # one unreadable page does not spoil the rest
                raw_pages.append([])
        outline = _pdf_outline(reader)
        meta_title = None
        try:
            meta_title = reader.metadata.title if reader.metadata else None
        except Exception:
            meta_title = None
    except DocumentParse:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as e:
        raise DocumentParse(f"corrupt or unreadable PDF: {e}") from e
    except Exception as e:  # pypdf raises a wide variety on damaged files
        raise DocumentParse(f"corrupt or unreadable PDF: {type(e).__name__}: {e}") from e
    pages = _strip_running_lines(raw_pages)
    blocks: list[Block] = []
    for number, lines in enumerate(pages, 1):
        titles = {t: lvl for (p, t), lvl in outline.items() if p == number}
        # with bookmarks, they alone say what a heading is; without, numbered lines are guessed
        blocks.extend(_lines_to_blocks(lines, number, titles or None, guess_headings=not outline))
    if not any(b.text.strip() for b in blocks):
        raise DocumentParse("the PDF has no extractable text (scanned images need OCR first)")
    title = (meta_title or "").strip() or _title_from(blocks, name)
    return LoadedDocument(title=title, blocks=blocks)


# ---------------------------------------------------------------------------------------------
# DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_heading_level(paragraph) -> int | None:  # type: ignore[no-untyped-def]
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    m = re.match(r"^(?:Heading|标题|heading)\s*(\d)", style)
    if m:
        return int(m.group(1))
    if style in {"Title", "标题"}:
        return 1
    ppr = paragraph._p.pPr
    if ppr is not None:
        lvl = ppr.find(f"{_W}outlineLvl")
        if lvl is not None:
            try:
                return int(lvl.get(f"{_W}val")) + 1
            except (TypeError, ValueError):
                return None
    return None


def _docx_numbering_formats(document) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    """(numId, ilvl) -> numFmt ('decimal', 'bullet', ...) from the numbering part."""
    formats: dict[tuple[str, str], str] = {}
    try:
        numbering = document.part.numbering_part.element
    except Exception:
        return formats
    abstract: dict[str, dict[str, str]] = {}
    for an in numbering.findall(f"{_W}abstractNum"):
        levels = {}
        for lvl in an.findall(f"{_W}lvl"):
            fmt = lvl.find(f"{_W}numFmt")
            levels[lvl.get(f"{_W}ilvl")] = fmt.get(f"{_W}val") if fmt is not None else "bullet"
        abstract[an.get(f"{_W}abstractNumId")] = levels
    for num in numbering.findall(f"{_W}num"):
        ref = num.find(f"{_W}abstractNumId")
        if ref is None:
            continue
        for ilvl, fmt in abstract.get(ref.get(f"{_W}val"), {}).items():
            formats[(num.get(f"{_W}numId"), ilvl)] = fmt
    return formats


def load_docx(data: bytes, name: str) -> LoadedDocument:
    import zipfile

    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as e:  # pragma: no cover - a core dependency
        raise UnsupportedFormat("python-docx is not installed: pip install python-docx") from e
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise DocumentParse(f"corrupt or unreadable DOCX: {e}") from e
    except Exception as e:
        raise DocumentParse(f"corrupt or unreadable DOCX: {type(e).__name__}: {e}") from e
    formats = _docx_numbering_formats(document)
    counters: dict[tuple[str, str], int] = {}
    blocks: list[Block] = []
    items: list[str] = []
    doc_title = (document.core_properties.title or "").strip()

    def flush_items() -> None:
        if items:
            blocks.append(Block(kind="list", text="\n".join(items)))
            items.clear()

    for element in document.element.body.iterchildren():
        if element.tag == f"{_W}p":
            p = Paragraph(element, document)
            text = p.text.strip()
            if not text:
                continue
            level = _docx_heading_level(p)
            style = (p.style.name if p.style is not None else "") or ""
            if level is not None:
                flush_items()
                if style in {"Title"} and not doc_title:
                    doc_title = text
                blocks.append(Block(kind="heading", text=text, level=level))
                continue
            ppr = element.pPr
            numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
            if numpr is not None or style.startswith(("List", "列表")):
                num_id = ilvl = "0"
                if numpr is not None:
                    nid = numpr.find(f"{_W}numId")
                    lvl = numpr.find(f"{_W}ilvl")
                    num_id = nid.get(f"{_W}val") if nid is not None else "0"
                    ilvl = lvl.get(f"{_W}val") if lvl is not None else "0"
                fmt = formats.get((num_id, ilvl), "decimal" if "Number" in style else "bullet")
                indent = "  " * int(ilvl or 0)
                if fmt in {"bullet", "none"}:
                    items.append(f"{indent}- {text}")
                else:
                    key = (num_id, ilvl)
                    counters[key] = counters.get(key, 0) + 1
                    for k in list(counters):  # a deeper level restarts under a new parent item
                        if k[0] == num_id and int(k[1]) > int(ilvl):
                            del counters[k]
                    items.append(f"{indent}{counters[key]}. {text}")
                continue
            flush_items()
            blocks.append(Block(kind="para", text=text))
        elif element.tag == f"{_W}tbl":
            flush_items()
            table = Table(element, document)
            rows: list[list[str]] = []
            for row in table.rows:
                cells: list[str] = []
                prev = None
                for cell in row.cells:
                    # merged cells repeat the same object: keep one copy
                    if prev is not None and cell._tc is prev:
                        continue
                    prev = cell._tc
                    cells.append(re.sub(r"\s+", " ", cell.text).strip())
                if any(cells):
                    rows.append(cells)
            if rows:
                blocks.append(Block(kind="table", rows=rows))
    flush_items()
    if not blocks:
        raise DocumentParse("the document holds no text")
    return LoadedDocument(title=doc_title or _title_from(blocks, name), blocks=blocks)


LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".txt": load_text,
    ".text": load_text,
}


def loader_for(name: str) -> Loader:
    """The loader for a file name, by extension.

    Raises:
        UnsupportedFormat: no loader handles this extension.
    """
    ext = PurePath(name).suffix.lower()
    try:
        return LOADERS[ext]
    except KeyError:
        supported = ", ".join(sorted(LOADERS))
        raise UnsupportedFormat(
            f"unsupported file type {ext or '(none)'!r}; supported: {supported}"
        ) from None
