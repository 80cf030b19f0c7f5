"""The data-migration workbench: profile and check legacy exports (数据迁移与清理)."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.migration.check import Report, check, load_rules
from assistant.migration.dedupe import dedupe, merge
from assistant.migration.dictionary import FieldSpec, data_dictionary, split_values, table_values
from assistant.migration.draft import draft_rules
from assistant.migration.profile import profile
from assistant.migration.reconcile import reconcile, rounds
from assistant.migration.report import xlsx_report
from assistant.migration.table import Table, load
from assistant.migration.transform import TransformResult, load_mapping, transform
from assistant.providers.database import AppDB


class Migration:
    def __init__(self, home: Path, db: AppDB, kbs: Any = None) -> None:
        self.work = home / "migration" / "work"
        self.db = db
        self.kbs = kbs  # the knowledge bases, for data dictionaries and code tables of specifications

    def _kb(self, name: str) -> Any:
        if self.kbs is None:
            raise InvalidInput("no knowledge bases are available here")
        return self.kbs.get(name)

    def dictionary(self, kb: str) -> list[FieldSpec]:
        """The data-dictionary rows of the knowledge base's specifications."""
        return data_dictionary(self._kb(kb).table_chunks())

    def spec_values(self, kb: str) -> Callable[[str], set[str]]:
        """Resolves ``values_from_spec``: a requirement id (its table, or the codes its line lists)
        or the title of a table in the knowledge base."""
        base = self._kb(kb)

        def resolve(ref: str) -> set[str]:
            hit = base.find_requirement(ref)
            if hit is not None:
                chunk, line = hit
                values = table_values([chunk], chunk.section) or split_values(
                    re.split(r"[:：]", line, maxsplit=1)[-1]
                )
                if values:
                    return set(values)
            titled = table_values(base.table_chunks(), ref)
            if not titled:
                raise InvalidInput(
                    f"values_from_spec {ref!r}: no requirement or table of that title in knowledge base {kb!r}"
                )
            return set(titled)

        return resolve

    def draft_rules(
        self, path: Path, kb: str | None = None, sheet: str | None = None, progress: Any = None
    ) -> tuple[str, dict[str, Any]]:
        """A rules file proposed from the export's profile and the KB's data dictionary."""
        fields = self.dictionary(kb) if kb else []
        with self.table(path, sheet, progress) as t:
            return draft_rules(profile(t), fields)

    @contextmanager
    def table(self, path: Path, sheet: str | None = None, progress: Any = None) -> Iterator[Table]:
        """The normalised copy of an export, removed afterwards."""
        self.work.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="run-", dir=self.work))
        try:
            yield load(path, folder, sheet, progress)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def profile(self, path: Path, sheet: str | None = None, progress: Any = None) -> dict[str, Any]:
        with self.table(path, sheet, progress) as t:
            return profile(t)

    def check(
        self,
        path: Path,
        rules: Path | None = None,
        infer: bool = False,
        sheet: str | None = None,
        progress: Any = None,
        kb: str | None = None,
        xlsx: Path | None = None,
        language: str = "zh",
    ) -> Report:
        """Findings of the export; with *xlsx*, also the Excel report with the cells highlighted."""
        resolver = self.spec_values(kb) if kb else None
        with self.table(path, sheet, progress) as t:
            parsed = load_rules(rules, t.columns)
            base = rules.parent if rules else path.parent
            report = check(t, parsed, infer, base=base, spec_values=resolver)
            if xlsx is not None:
                xlsx_report(xlsx, t, report.findings, report.summary(), language)
            return report

    def dedupe(
        self,
        path: Path,
        fields: list[str],
        id_col: str | None = None,
        threshold: float = 0.9,
        sheet: str | None = None,
        progress: Any = None,
        merge_dir: Path | None = None,
        survivor: str = "most_complete",
        recent_col: str | None = None,
    ) -> dict[str, Any]:
        """Duplicate clusters; with *merge_dir*, also golden records and the old id -> survivor map."""
        with self.table(path, sheet, progress) as t:
            result = dedupe(t, fields, id_col, threshold)
            if merge_dir is not None:
                result["merge"] = merge(t, result["clusters"], merge_dir, id_col, survivor, recent_col)
            return result

    def reconcile(
        self,
        source: Path,
        target: Path,
        keys: list[str],
        sums: list[str] | None = None,
        round_name: str | None = None,
        progress: Any = None,
    ) -> dict[str, Any]:
        """Compare a test load with its source by key; the run is recorded as a round."""
        with self.table(source, None, progress) as s, self.table(target, None, progress) as t:
            return reconcile(self.db, s, t, keys, sums or [], round_name)

    def transform(
        self,
        path: Path,
        mapping: Path,
        out_dir: Path,
        sheet: str | None = None,
        encoding: str = "utf-8",
        progress: Any = None,
    ) -> TransformResult:
        """The load file and the rejects file for a template; rows in = rows out + rejects."""
        with self.table(path, sheet, progress) as t:
            plan = load_mapping(mapping, t.columns, self.work)
            return transform(t, plan, out_dir, encoding, progress)

    def rounds(self, pair: str | None = None) -> list[dict[str, Any]]:
        """The recorded test-load rounds (of one source file and key, or all)."""
        return rounds(self.db, pair)

    def merge_files(
        self,
        path: Path,
        clusters: list[dict[str, Any]],
        id_col: str | None = None,
        survivor: str = "most_complete",
        recent_col: str | None = None,
        sheet: str | None = None,
    ) -> dict[str, Any]:
        """Golden records for the clusters a person accepted: the summary and both files' bytes."""
        with self.table(path, sheet) as t:
            known = set(range(1, t.rows + 1))
            for c in clusters:
                if len(c.get("rows", [])) < 2 or not set(c["rows"]) <= known:
                    raise InvalidInput("a cluster needs two or more rows of this file")
            out = t.csv_path.parent / "merged"
            summary = merge(t, clusters, out, id_col, survivor, recent_col)
            return {
                **summary,
                "golden": (out / "golden.csv").read_bytes(),
                "mapping": (out / "id_mapping.csv").read_bytes(),
            }
