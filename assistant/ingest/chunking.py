"""Structure-aware chunking.

Headings become a section path carried by every chunk of the section; chunks never cross a
section; text is packed up to ``chunk_size`` characters and cut only at sentence ends (Chinese
。！？； and Latin .!?); a table stays whole with its header row, and a table longer than
``max_table_chars`` is split by rows with the header repeated in every piece.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.schemas import Block, LoadedDocument
from assistant.text import split_sentences

SECTION_SEP = " > "


@dataclass
class RawChunk:
    section: str
    page: int | None
    text: str


@dataclass
class _Unit:
    text: str
    page: int | None
    atomic: bool = False  # tables: never split further
    new_block: bool = True  # starts a new paragraph/list/table (joined with a line break)


def _render_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("\n", " ") for c in cells) + " |"


def _table_units(block: Block, max_chars: int) -> list[_Unit]:
    rows = block.rows or []
    if not rows:
        return []
    header = _render_row(rows[0])
    rule = "|" + "---|" * len(rows[0])
    pieces: list[_Unit] = []
    current: list[str] = []
    size = len(header) + len(rule) + 2
    for row in rows[1:]:
        line = _render_row(row)
        if current and size + len(line) + 1 > max_chars:
            pieces.append(_Unit("\n".join([header, rule, *current]), block.page, atomic=True))
            current, size = [], len(header) + len(rule) + 2
        current.append(line)
        size += len(line) + 1
    if current or not pieces:
        pieces.append(_Unit("\n".join([header, rule, *current]), block.page, atomic=True))
    return pieces


def _hard_split(text: str, size: int) -> list[str]:
    """Split text with no usable sentence end: at line breaks, then at spaces, then anywhere."""
    out: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            cut = line.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            out.append((current + line[:cut]).strip("\n")) if current else out.append(line[:cut])
            current = ""
            line = line[cut:]
        if len(current) + len(line) > size and current:
            out.append(current.rstrip("\n"))
            current = ""
        current += line
    if current.strip():
        out.append(current.rstrip("\n"))
    return [o for o in out if o.strip()]


def _text_units(block: Block, chunk_size: int) -> list[_Unit]:
    text = block.text.strip()
    if not text:
        return []
    if len(text) <= chunk_size:
        return [_Unit(text, block.page)]
    if block.kind in ("list", "code"):
        # list items and code lines are the natural cut points
        return [_Unit(t, block.page) for t in _hard_split(text, chunk_size)]
    units: list[_Unit] = []
    for sentence in split_sentences(text):
        if len(sentence) > chunk_size:
            units.extend(_Unit(t, block.page, new_block=False) for t in _hard_split(sentence, chunk_size))
        elif sentence.strip():
            units.append(_Unit(sentence, block.page, new_block=False))
    if units:
        units[0].new_block = True
    return units


def _pack(units: list[_Unit], chunk_size: int, min_chunk: int) -> list[tuple[str, int | None]]:
    chunks: list[tuple[str, int | None]] = []
    buf = ""
    page: int | None = None
    for unit in units:
        sep = "" if not buf else ("\n" if unit.new_block else "")
        if buf and len(buf) + len(sep) + len(unit.text) > chunk_size:
            chunks.append((buf.strip(), page))
            buf, page, sep = "", None, ""
            unit = _Unit(unit.text.lstrip(), unit.page, unit.atomic, unit.new_block)
        if not buf:
            page = unit.page
        buf += sep + unit.text
    if buf.strip():
        tail = buf.strip()
        if chunks and len(tail) < min_chunk and len(chunks[-1][0]) + len(tail) + 1 <= chunk_size * 1.5:
            prev, prev_page = chunks.pop()
            chunks.append((prev + "\n" + tail, prev_page))
        else:
            chunks.append((tail, page))
    return chunks


#: the longest heading kept as a heading, and the longest section path, title and chunk metadata
MAX_HEADING_CHARS = 200
MAX_SECTION_CHARS = 500
MAX_TITLE_CHARS = 200


def cap_text(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at the end with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cap_section(path: str) -> str:
    """A section path of at most MAX_SECTION_CHARS: the innermost levels are kept."""
    if len(path) <= MAX_SECTION_CHARS:
        return path
    parts = path.split(SECTION_SEP)
    kept: list[str] = []
    while parts and len(SECTION_SEP.join([parts[-1], *kept])) <= MAX_SECTION_CHARS - 2:
        kept.insert(0, parts.pop())
    return ("… > " + SECTION_SEP.join(kept)) if kept else cap_text(path, MAX_SECTION_CHARS)


def chunk_document(
    doc: LoadedDocument, chunk_size: int = 1000, min_chunk: int = 200, max_table_chars: int = 2000
) -> list[RawChunk]:
    """Cut a loaded document into chunks, each with its section path and first page."""
    out: list[RawChunk] = []
    stack: list[tuple[int, str]] = []
    units: list[_Unit] = []

    def section_path() -> str:
        return cap_section(SECTION_SEP.join(t for _, t in stack))

    hard_cap = max(chunk_size, max_table_chars) * 2

    def flush() -> None:
        if units:
            path = section_path()
            for text, page in _pack(units, chunk_size, min_chunk):
                # no chunk over the hard cap, whatever a loader handed over
                for piece in _hard_split(text, hard_cap) if len(text) > hard_cap else [text]:
                    out.append(RawChunk(section=path, page=page, text=piece))
            units.clear()

    for block in doc.blocks:
        if block.kind == "heading":
            flush()
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            heading = block.text.strip()
            stack.append((block.level, cap_text(heading, MAX_HEADING_CHARS)))
            if len(heading) > MAX_HEADING_CHARS:  # a "heading" that is really text: index it as text
                units.extend(_text_units(Block(kind="para", text=heading, page=block.page), chunk_size))
            continue
        if block.kind == "table":
            units.extend(_table_units(block, max_table_chars))
        else:
            units.extend(_text_units(block, chunk_size))
    flush()
    if not out and stack:
        # a document of headings only still deserves to be findable
        out.append(RawChunk(section=section_path(), page=doc.blocks[0].page, text=section_path()))
    return out


def embed_text(title: str, section: str, text: str) -> str:
    """What ingestion embeds for a chunk: its heading path (the document title first) above its text."""
    heading = section if section.startswith(title) else SECTION_SEP.join(p for p in (title, section) if p)
    heading = cap_section(heading)
    return f"{heading}\n{text}" if heading else text
