"""Interview guides per ERP module (packaged JSON; a project may override it in its data directory)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput


def load_guides(home: Path) -> dict[str, Any]:
    """The shipped question guides, overridden by ``<home>/guides.json`` where the consultant edited them."""
    guides = json.loads(resources.files("assistant").joinpath("data/guides.json").read_text(encoding="utf-8"))
    custom = home / "guides.json"
    if custom.exists():
        try:
            for module, langs in json.loads(custom.read_text(encoding="utf-8")).items():
                guides.setdefault(module, {}).update(langs)
        except (json.JSONDecodeError, AttributeError) as e:
            raise InvalidInput(f"{custom} is not a valid guide file: {e}") from e
    return guides  # type: ignore[no-any-return]
