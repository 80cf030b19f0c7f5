"""Interview transcripts: plain text with speaker labels (顾问：, 客户：, Q:, A:, Name:), WebVTT, SRT,
DOCX and JSON message lists, parsed into ordered speaker turns with stable references T1, T2, ..."""

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


def parse_labeled_text(text: str) -> list[Turn]:
    pieces: list[tuple[str, str]] = []
    current = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
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
    if ext == ".json" or stripped.startswith("["):
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
