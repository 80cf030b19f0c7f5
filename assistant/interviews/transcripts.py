"""Interview transcripts: plain text with speaker labels (顾问：, 客户：, Q:, A:, Name:, **Name:**,
Name (00:01:02):), the exports of transcription tools that put the speaker and a time on a line of
their own and the words below it (Otter, Teams, Rev, 飞书妙记, 腾讯会议), WebVTT, SRT, DOCX and JSON
message lists, parsed into ordered speaker turns with stable references T1, T2, ..."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from assistant.errors import InvalidInput, NotFound
from assistant.ingest.encoding import decode_bytes
from assistant.interviews.models import Turn

_LABEL = re.compile(
    r"^\s*(?:\[?[\d:.]+\]?\s*)?([^\s:：\[\]]{1,24}(?:\s[^\s:：\[\]]{1,24}){0,2})\s*[:：]\s*(.*)$"
)
_TIMING = re.compile(r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}\s*-->\s*(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}")
_VOICE = re.compile(r"<v(?:\.[^ >]+)?\s+([^>]+)>(.*?)(?:</v>|$)", re.S)
_TAGS = re.compile(r"</?[^>]+>")
_CLOCK = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# a speaker and a time alone on a line, the words on the lines below: "Maria Lopez  0:06" (Otter,
# Teams), "Speaker 1 (00:03):" (Rev), "[Jane Doe] 10:02:33" (Zoom), "说话人 1 00:00:05" (飞书妙记)
_HEADER = re.compile(
    rf"^\s*\[?([^\s:：\[\]()（）\d][^:：\[\]()（）]{{0,38}}?)(\]?\s*[(（\[]?)\s*{_CLOCK}\s*[)）\]]?\s*[:：]?\s*$"
)
#: a name as a label: up to three capitalised words ("Maria Lopez", "Speaker 1") or a short Chinese one
_NAME = re.compile(
    r"^(?:[A-Z][\w.'-]*|\d+)(?:\s+(?:[A-Z][\w.'-]*|\d+)){0,2}$|^[\u4e00-\u9fff]{1,5}(?:\s*\d+)?$"
)


def _header(line: str) -> re.Match[str] | None:
    """A speaker-and-time line, not a line of speech that ends in a time ("We open at 9:30")."""
    m = _HEADER.match(line)
    if m is None:
        return None
    bracketed = bool(re.search(r"[(（\[\]]", m.group(2))) or line.lstrip().startswith("[")
    return m if bracketed or "  " in m.group(2) or _NAME.match(m.group(1).strip()) else None


# a time between the speaker and the colon: "Interviewer (00:00:03): text", "张三（00:01）：文本"
_TIME_BEFORE_COLON = re.compile(
    rf"^(\s*[^:：()（）\[\]]{{1,40}}?)\s*[(（\[]\s*{_CLOCK}\s*[)）\]]\s*(?=[:：])"
)
# Markdown emphasis around a label: "**Interviewer:** text", "**Maria**: text", "- *Q*: text"
_EMPHASIS = re.compile(r"^\s*(?:[-*>]\s+)?(\*{1,2}|_{1,2})([^*_:：]{1,40}?)\s*([:：])?\s*\1\s*([:：])?")
_NOT_SPEAKERS = {"http", "https", "注意", "备注", "note", "时间", "日期", "date", "time"}


def _merge(turns: list[tuple[str, str]]) -> list[Turn]:
    """Join consecutive pieces of the same speaker into one turn, number the turns."""
    merged: list[tuple[str, str]] = []
    for speaker, text in turns:
        text = text.strip()
        if not text:
            continue
        if merged and merged[-1][0] == speaker:
            merged[-1] = (
                speaker,
                merged[-1][1]
                + ("" if re.search(r"[\u3000-\u9fff\uff00-\uffef]$", merged[-1][1]) else " ")
                + text,
            )
        else:
            merged.append((speaker, text))
    return [Turn(f"T{i}", s, t) for i, (s, t) in enumerate(merged, 1)]


def _unadorned(line: str) -> str:
    """A line with Markdown emphasis and a time taken off its speaker label."""
    m = _EMPHASIS.match(line)
    if m and (m.group(3) or m.group(4)):
        line = f"{m.group(2)}{m.group(3) or m.group(4)}{line[m.end() :]}"
    return _TIME_BEFORE_COLON.sub(r"\1", line)


def _speaker_headers(lines: list[str]) -> bool:
    """Whether the speakers are on lines of their own with a time (more such lines than 'Name: text')."""
    headers = sum(1 for ln in lines if _header(ln))
    labelled = sum(1 for ln in lines if not _header(ln) and _LABEL.match(_unadorned(ln)))
    return headers >= 2 and headers > labelled


def parse_labeled_text(text: str) -> list[Turn]:
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    pieces: list[tuple[str, str]] = []
    current = None
    if _speaker_headers(lines):
        for line in lines:
            h = _header(line)
            if h:
                current = h.group(1).strip()
            else:
                pieces.append((current or "", line))
        return _merge(pieces)
    for line in lines:
        line = _unadorned(line)
        m = _LABEL.match(line)
        if m and m.group(1).lower() not in _NOT_SPEAKERS and not m.group(1).isdigit():
            current = m.group(1).strip()
            pieces.append((current, m.group(2)))
        elif current is not None:
            pieces.append((current, line))
        else:
            pieces.append(("", line))
    return _merge(pieces)


def parse_subtitles(text: str) -> list[Turn]:
    """WebVTT or SRT cues; the speaker comes from <v Name> or a 'Name:' prefix."""
    pieces: list[tuple[str, str]] = []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    last = ""
    for block in blocks:
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines or lines[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        while lines and not _TIMING.match(lines[0]):
            lines = lines[1:]  # cue number or identifier
        if not lines:
            continue
        body = " ".join(lines[1:])
        voice = _VOICE.search(body)
        if voice:
            speaker, content = voice.group(1).strip(), _TAGS.sub("", voice.group(2))
        else:
            m = _LABEL.match(_TAGS.sub("", body))
            speaker, content = (m.group(1).strip(), m.group(2)) if m else (last, _TAGS.sub("", body))
        last = speaker
        pieces.append((speaker, content))
    return _merge(pieces)


def parse_json(text: str) -> list[Turn]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"the transcript is not valid JSON: {e}") from e
    if not isinstance(items, list) or not all(isinstance(i, dict) and "text" in i for i in items):
        raise InvalidInput('a JSON transcript must be a list of {"speaker", "text"} objects')
    return _merge([(str(i.get("speaker") or ""), str(i["text"])) for i in items])


def parse_transcript(data: bytes, name: str) -> list[Turn]:
    """Turns of a transcript file, whatever its format."""
    ext = Path(name).suffix.lower()
    if ext == ".docx":
        import docx

        try:
            d = docx.Document(io.BytesIO(data))
        except Exception as e:
            raise InvalidInput(f"{name} is not a readable DOCX file: {e}") from e
        text = "\n".join(p.text for p in d.paragraphs)
    else:
        if not data.strip():
            raise InvalidInput(f"{name} is empty")
        text, _ = decode_bytes(data)
    stripped = text.lstrip("\ufeff").lstrip()
    if ext == ".json" or re.match(r"\[\s*\{", stripped):
        turns = parse_json(stripped)
    elif ext in (".vtt", ".srt") or stripped.startswith("WEBVTT") or _TIMING.search(stripped[:500]):
        turns = parse_subtitles(stripped)
    else:
        turns = parse_labeled_text(text)
    if not turns:
        raise InvalidInput(f"no speaker turns found in {name}")
    return turns


def read_transcript(path: Path) -> list[Turn]:
    if not path.is_file():
        raise NotFound(f"no such file: {path}")
    return parse_transcript(path.read_bytes(), path.name)
