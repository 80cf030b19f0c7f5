"""Interface text of the web UI: the ``ui`` group of the one bilingual catalogue
(:mod:`assistant.messages`). Keys are stable; pages call ``t("key")``."""

from __future__ import annotations

from assistant.messages import CATALOGUE, message

TEXT = CATALOGUE["ui"]


def text(key: str, lang: str, **kwargs: object) -> str:
    return message("ui", key, lang, **kwargs)
