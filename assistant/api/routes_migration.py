"""Data-migration routes: profile, check and deduplicate an uploaded export (consultant and admin
keys). The key is checked before the body is read; reading stops at the upload limit; the saved
copy of the upload is removed when the answer is ready."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from assistant.api.deps import CallerDep, InvalidForm
from assistant.api.routes_kb import FORM_OVERHEAD, _bounded_body, _form
from assistant.settings import MB

router = APIRouter(prefix="/v1/migration", tags=["data migration"])


def _form_schema(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "CSV (any common encoding) or XLSX",
                            },
                            "sheet": {"type": "string", "maxLength": 100},
                            **extra,
                        },
                    }
                }
            },
        }
    }


async def _upload(request: Request, caller: Any, max_files: int = 1) -> tuple[Any, dict[str, Path]]:
    caller.require("migration")  # before a byte of the body is read
    max_mb = caller.services.settings.ingest.max_file_mb
    form = await _form(
        request, await _bounded_body(request, int(max_mb * MB * max_files) + FORM_OVERHEAD), max_files
    )
    saved: dict[str, Path] = {}
    try:
        for part in ("file", "rules"):
            upload = form.get(part)
            if upload is None:
                continue
            if not isinstance(upload, UploadFile):
                raise InvalidForm(f"{part}: attach it as a file part of the multipart form")
            data = await upload.read()
            name = caller.services.check_upload(upload.filename, len(data), max_mb, table=True)
            saved[part] = caller.services.save_scratch_upload(name, data)
        if "file" not in saved:
            raise InvalidForm("file: attach the export as the 'file' part of a multipart form")
    except Exception:
        _remove(saved)  # a refused second part leaves no copy of the first behind
        raise
    return form, saved


def _text(form: Any, name: str, limit: int = 100) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidForm(f"{name}: at most {limit} characters")
    return value


def _remove(saved: dict[str, Path]) -> None:
    for path in saved.values():
        shutil.rmtree(path.parent, ignore_errors=True)


async def _run(saved: dict[str, Path], fn: Any, *args: Any) -> Any:
    try:
        return await run_in_threadpool(fn, *args)
    finally:
        _remove(saved)


@router.post("/profile", openapi_extra=_form_schema({}))
async def profile(request: Request, caller: CallerDep) -> dict[str, Any]:
    """Per-column profile of an export: types, missing tokens, shapes, problems, keys, dependencies."""
    form, saved = await _upload(request, caller)
    result: dict[str, Any] = await _run(saved, caller.migration_profile, saved["file"], _text(form, "sheet"))
    return result


@router.post(
    "/check",
    openapi_extra=_form_schema(
        {
            "rules": {"type": "string", "format": "binary", "description": "rules file (YAML or JSON)"},
            "infer": {"type": "boolean", "description": "also the rules the profile suggests"},
        }
    ),
)
async def check(request: Request, caller: CallerDep) -> dict[str, Any]:
    """Cell-level findings (row, column, value, rule, severity, suggestion) and their summary."""
    form, saved = await _upload(request, caller, max_files=2)
    infer_text = (_text(form, "infer", 5) or "false").lower()
    if infer_text not in ("true", "false", "1", "0", "yes", "no"):
        raise InvalidForm("infer: true or false")
    report = await _run(
        saved,
        caller.migration_check,
        saved["file"],
        saved.get("rules"),
        infer_text in ("true", "1", "yes"),
        _text(form, "sheet"),
    )
    return {"findings": report.findings, "summary": report.summary()}


@router.post(
    "/dedupe",
    openapi_extra=_form_schema(
        {
            "fields": {"type": "string", "description": "columns to compare, comma-separated"},
            "id_col": {"type": "string"},
            "threshold": {"type": "number", "minimum": 0, "maximum": 1},
        }
    ),
)
async def dedupe(request: Request, caller: CallerDep) -> dict[str, Any]:
    """Duplicate clusters without a shared id: rows, ids, match probability, agreeing fields."""
    form, saved = await _upload(request, caller)
    fields = [f.strip() for f in (_text(form, "fields", 1000) or "").split(",") if f.strip()]
    try:
        threshold = float(_text(form, "threshold", 10) or 0.9)
    except ValueError:
        raise InvalidForm("threshold: a number between 0 and 1") from None
    result: dict[str, Any] = await _run(
        saved,
        caller.migration_dedupe,
        saved["file"],
        fields,
        _text(form, "id_col"),
        threshold,
        _text(form, "sheet"),
    )
    return result
