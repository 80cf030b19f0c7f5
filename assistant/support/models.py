"""Value types of the support desk: ticket fields and states, the column mapping of an export,
and the import report. Pure values: the API, the CLI and the web UI may import them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.errors import InvalidInput

#: the source of an indexed incident ticket is this prefix and its id
INCIDENT_PREFIX = "incidents/"


def incident_source(ticket_id: str) -> str:
    """The source name under which a ticket is indexed."""
    return f"{INCIDENT_PREFIX}{ticket_id}"


def incident_id(source: str) -> str:
    """The ticket id of an indexed incident's source name."""
    return source[len(INCIDENT_PREFIX) :] if source.startswith(INCIDENT_PREFIX) else source


#: the file types a ticket takes (checked by content in assistant.support.attachments)
ATTACHMENT_TYPES = [
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "bmp",
    "pdf",
    "docx",
    "xlsx",
    "pptx",
    "zip",
    "xls",
    "doc",
    "txt",
    "log",
    "csv",
    "json",
    "xml",
]

FIELDS = ("id", "text", "title", "category", "priority", "status", "resolution", "created")
REQUIRED = ("id", "text")

PRESETS: dict[str, str] = {
    "jira": "id=Issue key|Issue id,title=Summary,text=Summary+Description,category=Component/s|Component|Issue Type,"
    "priority=Priority,status=Status,resolution=Resolution,created=Created",
    "zendesk": "id=Id|Ticket ID|id,title=Subject|subject,text=Subject+Description|subject+description,"
    "category=Group|Type|type,priority=Priority|priority,status=Status|status,created=Created at|Requested|created_at",
    "servicenow": "id=number|Number,title=short_description|Short description,"
    "text=short_description+description|Short description+Description,category=category|Category,"
    "priority=priority|Priority,status=state|State,resolution=close_notes|Resolution notes,created=opened_at|Opened",
}

#: lifecycle of a ticket in the assistant (closed loop), and the legal moves
STATES = ("new", "analysing", "resolved", "reviewed")
TRANSITIONS = {
    "new": {"analysing", "resolved"},
    "analysing": {"resolved", "new"},
    "resolved": {"reviewed", "analysing"},
    "reviewed": set(),
}
STATE_OF = {
    "open": "new",
    "new": "new",
    "reopened": "new",
    "to do": "new",
    "todo": "new",
    "新建": "new",
    "待处理": "new",
    "in progress": "analysing",
    "patch available": "analysing",
    "pending": "analysing",
    "on hold": "analysing",
    "analysing": "analysing",
    "处理中": "analysing",
    "分析中": "analysing",
    "resolved": "resolved",
    "closed": "resolved",
    "done": "resolved",
    "solved": "resolved",
    "fixed": "resolved",
    "已解决": "resolved",
    "已关闭": "resolved",
    "reviewed": "reviewed",
    "已复核": "reviewed",
}
KNOWN_PRIORITIES = {
    "blocker",
    "critical",
    "major",
    "minor",
    "trivial",
    "highest",
    "high",
    "medium",
    "normal",
    "low",
    "lowest",
    "urgent",
    "p1",
    "p2",
    "p3",
    "p4",
    "p5",
    "1",
    "2",
    "3",
    "4",
    "5",
    "1 - critical",
    "2 - high",
    "3 - moderate",
    "4 - low",
    "5 - planning",
    "紧急",
    "高",
    "中",
    "低",
    "一般",
    "严重",
    "致命",
}


#: priority words by rank, 0 = most urgent (P1, blocker, 紧急) ... 4 = least (trivial, lowest)
_RANKS = (
    (
        "p1",
        "p0",
        "blocker",
        "critical",
        "highest",
        "urgent",
        "1",
        "1 - critical",
        "紧急",
        "最高",
        "致命",
        "严重",
        "特急",
    ),
    ("p2", "high", "major", "2", "2 - high", "高", "重要"),
    ("p3", "medium", "normal", "moderate", "3", "3 - moderate", "中", "一般", "普通"),
    ("p4", "low", "minor", "4", "4 - low", "低", "次要"),
    ("p5", "lowest", "trivial", "5", "5 - planning", "最低", "轻微"),
)


def priority_rank_sql(column: str) -> str:
    """A SQL expression of a priority column's rank (0 most urgent; 9 for labels no tracker uses)."""
    cases = " ".join(
        f"WHEN lower(trim({column})) IN ({', '.join(repr(w) for w in words)}) THEN {rank}"
        for rank, words in enumerate(_RANKS)
    )
    return f"CASE {cases} ELSE 9 END"


def priority_rank(priority: str | None) -> int | None:
    """How urgent a priority label is, 0 (most) to 4 (least); None for a label no tracker uses."""
    p = (priority or "").strip().lower()
    for rank, words in enumerate(_RANKS):
        if p in words:
            return rank
    return None


#: chart colours from most to least urgent: red means urgent, never low
_PALETTES = {
    1: ("#c62828",),
    2: ("#c62828", "#1e88e5"),
    3: ("#c62828", "#f9a825", "#1e88e5"),
    4: ("#c62828", "#ef6c00", "#f9a825", "#1e88e5"),
    5: ("#c62828", "#ef6c00", "#f9a825", "#1e88e5", "#90a4ae"),
}
UNRANKED_COLOUR = "#bdbdbd"


def priority_colours(labels: list[str]) -> dict[str, str]:
    """A colour per priority label of a chart, by urgency among the labels present: the most urgent
    red, the least blue or grey (高/中/低 and P1..P5 alike); labels no tracker uses grey."""

    def order(label: str) -> tuple[int, int]:  # blocker before critical within the top rank
        rank = priority_rank(label) or 0
        return rank, _RANKS[rank].index(label.strip().lower())

    ranked = sorted({lab for lab in labels if priority_rank(lab) is not None}, key=order)
    palette = _PALETTES[min(max(len(ranked), 1), 5)]
    out = {lab: palette[min(i, len(palette) - 1)] for i, lab in enumerate(ranked)}
    out.update({lab: UNRANKED_COLOUR for lab in labels if lab not in out})
    return out


@dataclass
class Mapping:
    fields: dict[str, list[list[str]]]  # field -> alternatives, each a list of columns to join

    @classmethod
    def parse(cls, spec: str | None, preset: str | None = None) -> Mapping:
        """Parse ``field=Col+Col2|Alt,field2=...``; a preset fills what the spec leaves out."""
        if not spec and not preset:
            raise InvalidInput(
                "give a column mapping (--map 'id=Issue id,text=Summary+Description') or --preset jira|zendesk|servicenow"
            )
        merged: dict[str, str] = {}
        if preset:
            if preset.lower() not in PRESETS:
                raise InvalidInput(f"unknown preset {preset!r}; use one of: {', '.join(PRESETS)}")
            merged.update(_split_spec(PRESETS[preset.lower()]))
        if spec:
            merged.update(_split_spec(spec))
        missing = [f for f in REQUIRED if f not in merged]
        if missing:
            raise InvalidInput(
                f"the mapping needs {' and '.join(missing)} (e.g. id=Issue id,text=Summary+Description)"
            )
        return cls(
            {k: [[c.strip() for c in alt.split("+")] for alt in v.split("|")] for k, v in merged.items()}
        )

    @classmethod
    def of(cls, columns: dict[str, list[str]], preset: str | None = None) -> Mapping:
        """A mapping from chosen column lists (a form: column names may hold ',', '+' or '|');
        a preset fills the fields left out."""
        unknown = [f for f in columns if f not in FIELDS]
        if unknown:
            raise InvalidInput(f"unknown field {unknown[0]!r} in the mapping; fields: {', '.join(FIELDS)}")
        chosen = {k: [[c for c in cols]] for k, cols in columns.items() if cols}
        base = cls.parse(None, preset).fields if preset else {}
        merged = {**base, **chosen}
        missing = [f for f in REQUIRED if f not in merged]
        if missing:
            raise InvalidInput(f"the mapping needs {' and '.join(missing)}: choose the column(s) for them")
        return cls(merged)

    def resolve(self, columns: list[str]) -> dict[str, list[str]]:
        """Pick, per field, the first alternative whose columns all exist."""
        have = {c.strip(): c for c in columns}
        out: dict[str, list[str]] = {}
        for name, alternatives in self.fields.items():
            for alt in alternatives:
                if all(c in have for c in alt):
                    out[name] = [have[c] for c in alt]
                    break
            else:
                if name in REQUIRED:
                    wanted = " or ".join("+".join(a) for a in alternatives)
                    raise InvalidInput(
                        f"column(s) {wanted} for '{name}' not found; the file has: {', '.join(columns)}"
                    )
        return out


def _split_spec(spec: str) -> dict[str, str]:
    out = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise InvalidInput(f"mapping entry {part.strip()!r} needs the form field=Column")
        key, value = part.split("=", 1)
        key = key.strip().lower()
        if key not in FIELDS:
            raise InvalidInput(f"unknown field {key!r} in the mapping; fields: {', '.join(FIELDS)}")
        if not value.strip():
            raise InvalidInput(f"mapping entry {key!r} names no column")
        out[key] = value.strip()
    return out


@dataclass
class Finding:
    row: int  # 1-based data row (the header is row 0)
    kind: str  # duplicate_id, duplicate_text, missing_field, bad_date, unknown_label, encoding_damage
    severity: str  # error (row skipped) or warning (row imported)
    message: str


@dataclass
class ImportReport:
    kb: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    findings: list[Finding] = field(default_factory=list)
    indexed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kb": self.kb,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "indexed": self.indexed,
            "findings": [f.__dict__ for f in self.findings],
            "summary": {
                k: sum(1 for f in self.findings if f.kind == k)
                for k in sorted({f.kind for f in self.findings})
            },
        }


def state_of(raw_status: str | None, resolution: str | None = None) -> str:
    state = STATE_OF.get((raw_status or "").strip().lower())
    if state:
        return state
    return "resolved" if resolution else "new"
