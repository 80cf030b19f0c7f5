"""What every page shares: the services (the same composition root as the CLI and the API), the
signed-in key, the language and the chosen knowledge base. Pages hold no business logic."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from assistant.access.models import Principal, Role
from assistant.errors import AssistantError
from assistant.services import Caller, Services, shared_services
from assistant.settings import get_settings
from ui.i18n import text

T = TypeVar("T")


#: the page-address parameter that carries the browser's session token
SESSION_PARAM = "s"


def services() -> Services:
    """One Services per data directory, shared by every session of this server process (and by the
    HTTP API when `assistant ui` hosts both)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return shared_services(get_settings())


def lang() -> str:
    value = st.session_state.get("lang", "中文")
    return "en" if value == "English" else "zh"


def t(key: str, **kwargs: object) -> str:
    return text(key, lang(), **kwargs)


def save_upload(name: str, data: bytes) -> Path:
    """A scratch copy of an uploaded export under the data directory (see save_scratch_copy)."""
    return services().save_scratch_upload(name, data)


def saved_upload(
    label: str, key: str, types: list[str], on_replace: Callable[[], None] | None = None
) -> Path | None:
    """An uploaded file saved once per upload under the data directory (readers go by its suffix);
    the copy is removed when the upload is replaced or cleared, or at sign-out, and saved again
    when the daily sweep removed it while the session stayed open. ``on_replace`` runs when the
    previous upload goes (to forget results computed from it)."""
    upload = st.file_uploader(label, type=types, key=key)
    saved: dict[str, tuple[str, Path]] = st.session_state.setdefault("_uploads", {})
    previous = saved.get(key)
    if previous and (upload is None or previous[0] != upload.file_id):
        shutil.rmtree(previous[1].parent, ignore_errors=True)
        del saved[key]
        if on_replace is not None:
            on_replace()
    if upload is None:
        return None
    if key not in saved or not services().touch_scratch_upload(saved[key][1]):
        copy = run(save_upload, upload.name, upload.getvalue())  # a name with nothing usable: refused
        if copy is None:
            saved.pop(key, None)
            return None
        saved[key] = (upload.file_id, copy)
    return saved[key][1]


def sign_out() -> None:
    """Forget everything of this browser session but the language (the next person starts clean)."""
    keep = st.session_state.get("lang", "中文")
    services().keys.close_session(st.session_state.get("_session"))
    for _, path in st.session_state.get("_uploads", {}).values():  # saved copies of uploaded exports
        shutil.rmtree(path.parent, ignore_errors=True)
    for k in list(st.session_state.keys()):
        del st.session_state[k]
    st.session_state["lang"] = keep
    st.query_params.clear()


def sign_in_with(secret: str) -> Principal | None:
    """Sign this browser in with an API key; the session token goes into the page address, so a
    page refresh keeps the sign-in (the key itself never leaves the form)."""
    opened = services().keys.open_session(secret)
    if opened is None:
        return None
    token, who = opened
    st.session_state["principal"] = who
    st.session_state["_session"] = token
    st.query_params[SESSION_PARAM] = token
    return who


def resume_session() -> None:
    """After a page refresh: the sign-in of the session token in the page address, if it is live."""
    if st.session_state.get("principal") is not None:
        token = st.session_state.get("_session")
        if token and st.query_params.get(SESSION_PARAM) != token:
            st.query_params[SESSION_PARAM] = token  # cleared by a page change: put back
        return
    token = st.query_params.get(SESSION_PARAM)
    who = services().keys.resume(token)
    if who is None:
        st.query_params.pop(SESSION_PARAM, None)
        return
    st.session_state["principal"] = who
    st.session_state["_session"] = token


def principal(fresh: bool = True) -> Principal | None:
    """The signed-in key, checked again on every run: a key revoked since sign-in stops working at
    the next click. The entry script checks it (``fresh``); the page it then runs in the same script
    run takes that result instead of looking the key up a second time."""
    if st.session_state.get("principal") is None:
        return None
    if not fresh and st.session_state.pop("_key_checked", False):
        return st.session_state["principal"]  # type: ignore[no-any-return]
    who = services().keys.resume(st.session_state.get("_session"))
    if who is None:
        sign_out()
        st.warning(t("bad_key"))
        return None
    st.session_state["principal"] = who
    st.session_state["_key_checked"] = fresh  # only the entry script's check is passed on
    return who


def require(capability: str | None = None) -> Principal:
    """The signed-in key, or stop the page; ``capability`` as in assistant.access.models.CAPABILITIES."""
    p = principal(fresh=False)
    if p is None:
        st.info(t("welcome"))
        st.stop()
    assert p is not None
    if capability and not p.can(capability):
        st.error(t("read_only"))
        st.stop()
    return p


def caller(capability: str | None = None) -> Caller:
    """The signed-in person's view of the services (every permission check happens there)."""
    return services().as_caller(require(capability))


def current_kb() -> str | None:
    return st.session_state.get("kb")


def require_kb() -> str:
    """The chosen knowledge base, opened (a broken one shows its error instead of the page)."""
    kb = current_kb()
    if not kb:
        st.warning(t("no_kb"))
        st.stop()
    assert kb is not None
    if run(services().kbs.get, kb) is None:
        st.stop()
    return kb


def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call a service; a user-facing error becomes a red message instead of a traceback."""
    try:
        return fn(*args, **kwargs)
    except AssistantError as e:
        st.error(str(e))
        return None


def role_label(role: Role) -> str:
    return t(f"role_{role.value}")


def flash(message: str, kind: str = "success") -> None:
    """A message that survives the rerun that follows an action (kind: success, warning, error)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        getattr(st, kind)(message)


class ProgressBar:
    """An ingestion progress callback (``start`` -> ``file`` ... -> ``done``) drawn as a bar."""

    def __init__(self, label: str = "") -> None:
        self.bar = st.progress(0.0, text=label)
        self.label = label
        self.total = 0
        self.done = 0

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "start":
            self.total = int(data.get("files") or 0)
        elif event == "file":
            self.done += 1
        elif event == "done":
            self.done = self.total
        fraction = self.done / self.total if self.total else (1.0 if event == "done" else 0.0)
        self.bar.progress(min(1.0, fraction), text=f"{self.label} {self.done}/{self.total}".strip())
