"""Data-migration routes: profile, check, deduplicate, transform and reconcile uploaded exports
(consultant and admin keys). The key is checked before the body is read; reading stops at the upload limit; the saved
copy of the upload is removed when the answer is ready."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from assistant.api.deps import CallerDep, InvalidForm
from assistant.api.routes_kb import FORM_OVERHEAD, _bounded_body, _form, multipart_form
from assistant.settings import MB

router = APIRouter(prefix="/v1/migration", tags=["data migration"])


def _form_schema(extra: dict[str, Any]) -> dict[str, Any]:
    return multipart_form(
        "CSV (any common encoding) or XLSX", ("file",), sheet={"type": "string", "maxLength": 100}, **extra
    )


async def _upload(
    request: Request, caller: Any, max_files: int = 1, parts: tuple[str, ...] = ("file", "rules")
) -> tuple[Any, dict[str, Path]]:
    caller.require("migration")  # before a byte of the body is read
    max_mb = caller.services.settings.ingest.max_file_mb
    form = await _form(
        request, await _bounded_body(request, int(max_mb * MB * max_files) + FORM_OVERHEAD), max_files
    )
    saved: dict[str, Path] = {}
    try:
        for part in parts:
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


@router.post(
    "/reconcile",
    openapi_extra=_form_schema(
        {
            "target": {"type": "string", "format": "binary", "description": "the new system's export"},
            "key": {"type": "string", "description": "key column(s), comma-separated"},
            "sum": {"type": "string", "description": "columns to total, comma-separated"},
            "round": {"type": "string", "maxLength": 60},
        }
    ),
)
async def reconcile(request: Request, caller: CallerDep) -> dict[str, Any]:
    """Counts, keys missing or extra, field differences and sums of a test load; recorded as a round.
    ``reconciled`` says whether the load agrees with its source."""
    form, saved = await _upload(request, caller, max_files=2, parts=("file", "target"))
    if "target" not in saved:
        _remove(saved)
        raise InvalidForm("target: attach the new system's export as the 'target' part")
    keys = [k.strip() for k in (_text(form, "key", 500) or "").split(",") if k.strip()]
    sums = [k.strip() for k in (_text(form, "sum", 1000) or "").split(",") if k.strip()]
    result: dict[str, Any] = await _run(
        saved,
        caller.migration_reconcile,
        saved["file"],
        saved["target"],
        keys,
        sums,
        _text(form, "round", 60),
    )
    return result


@router.post(
    "/transform",
    openapi_extra=_form_schema(
        {
            "mapping": {"type": "string", "format": "binary", "description": "mapping file (YAML or JSON)"},
            "template": {
                "type": "string",
                "format": "binary",
                "description": "the template the mapping names",
            },
            "map_file": {
                "type": "string",
                "format": "binary",
                "description": "a value map the mapping names",
            },
            "encoding": {"type": "string", "enum": ["utf-8", "utf-8-sig", "gbk", "gb18030"]},
        }
    ),
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "load.csv, rejects.csv, summary.json"}
    },
)
async def transform(request: Request, caller: CallerDep) -> Response:
    """The export mapped onto the load template: a ZIP with load.csv, rejects.csv (a reason per row)
    and summary.json (rows in = rows out + rejects). The template and a value map, when the mapping
    names them, come as parts of the same form under the names the mapping uses."""
    form, saved = await _upload(
        request, caller, max_files=4, parts=("file", "mapping", "template", "map_file")
    )
    if "mapping" not in saved:
        _remove(saved)
        raise InvalidForm("mapping: attach the mapping file as the 'mapping' part")
    encoding = _text(form, "encoding", 10) or "utf-8"
    try:
        folder = saved["mapping"].parent  # the files the mapping names sit beside it, as on disk
        for part in ("template", "map_file"):
            if part in saved:
                shutil.copy(saved[part], folder / saved[part].name)
        return await run_in_threadpool(_transform_zip, caller, saved, encoding)
    finally:
        _remove(saved)


def _transform_zip(caller: Any, saved: dict[str, Path], encoding: str) -> Response:
    out = saved["mapping"].parent / "out"
    result = caller.migration_transform(saved["file"], saved["mapping"], out, None, encoding)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(result.load_file, "load.csv")
        z.write(result.rejects_file, "rejects.csv")
        summary = {k: v for k, v in result.summary().items() if k not in ("load_file", "rejects_file")}
        z.writestr("summary.json", json.dumps(summary, ensure_ascii=False, indent=2))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="transform.zip"'},
    )
