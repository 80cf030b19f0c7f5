"""Value types of interviews: ERP modules, requirement types (PROMISE codes) and MoSCoW priorities."""

from __future__ import annotations

from dataclasses import dataclass

MODULES = ("procurement", "inventory", "production", "sales", "finance", "hr")
PRIORITIES = {"Must", "Should", "Could", "Won't"}

#: requirement type codes of the PROMISE taxonomy and their names
TYPE_NAMES = {
    "F": "functional",
    "A": "availability",
    "FT": "fault tolerance",
    "L": "legal",
    "LF": "look and feel",
    "MN": "maintainability",
    "O": "operational",
    "PE": "performance",
    "PO": "portability",
    "SC": "scalability",
    "SE": "security",
    "US": "usability",
}
TYPES = frozenset(TYPE_NAMES)


@dataclass
class Turn:
    """One turn of an interview: its reference (T1, T2, ...), who spoke and what they said."""

    ref: str
    speaker: str
    text: str
