"""Interface text of the web UI: the ``ui`` group of the one bilingual catalogue
(:mod:`assistant.messages`), and its ``workflow`` group for the stored codes the pages show
(states, actions, risks). Keys are stable; pages call ``t("key")``."""

from __future__ import annotations

from assistant.messages import CATALOGUE, message

TEXT = {**CATALOGUE["workflow"], **CATALOGUE["ui"]}


def text(key: str, lang: str, **kwargs: object) -> str:
    return message("ui" if key in CATALOGUE["ui"] else "workflow", key, lang, **kwargs)
