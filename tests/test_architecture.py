"""The import rule, read from the source (ast): layers import downwards only, and the transports
(HTTP API, CLI, web UI, evaluations) go through Services.

Layers, lowest first (a module may import its own layer and the ones below)::

    0  assistant, settings, errors, schemas, text, messages   configuration, errors, value types, texts
    1  providers                                          plugin points (vendor SDKs only here)
    2  knowledge, ingest, retrieval, learning             the knowledge-base store and what reads it
    3  chains                                             answer pipeline and prompts
    4  access, helpdesk, support, interviews, changes, insights   one package per domain
    5  tools                                              LangChain tools over the domain services
    6  services                                           composition root, the only door
    7  api, cli, ui, evals                                transports

A transport imports from ``assistant`` only ``services``, ``schemas``, ``errors``, ``settings``,
``messages`` (the bilingual catalogue),
the domains' ``models`` modules (pure value types) and the package version; the CLI may also start
the API and the web UI (``assistant serve``, ``assistant ui``) and run the evaluation harness (``assistant eval``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: dict[str, int] = {
    "assistant": 0,
    "assistant.settings": 0,
    "assistant.errors": 0,
    "assistant.schemas": 0,
    "assistant.text": 0,
    "assistant.messages": 0,
    "assistant.providers": 1,
    "assistant.knowledge": 2,
    "assistant.ingest": 2,
    "assistant.retrieval": 2,
    "assistant.learning": 2,
    "assistant.chains": 3,
    "assistant.access": 4,
    "assistant.helpdesk": 4,
    "assistant.support": 4,
    "assistant.interviews": 4,
    "assistant.changes": 4,
    "assistant.insights": 4,
    "assistant.migration": 4,
    "assistant.tools": 5,
    "assistant.services": 6,
    "assistant.caller": 6,
    "assistant.api": 7,
    "assistant.cli": 7,
    "ui": 7,
    "evals": 7,
}
TRANSPORT_MAY_IMPORT = (
    "assistant.services",
    "assistant.schemas",
    "assistant.errors",
    "assistant.settings",
    "assistant.messages",
)
CROSS_TRANSPORT = {"assistant.cli": ("assistant.api", "ui", "evals")}
VENDOR_SDKS = (
    "chromadb",
    "openai",
    "sentence_transformers",
    "onnxruntime",
    "langchain_openai",
    "langchain_ollama",
    "alembic",
    "sqlalchemy",
    "pysqlite3",
)


def layer_of(module: str) -> str:
    """The longest entry of LAYERS that is ``module`` or a package above it."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return name
    raise KeyError(module)


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str, str]]:
    """(line, imported module, the name imported from it or '') for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, "") for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module, a.name) for a in node.names]
    return found


def source_files() -> list[Path]:
    files = [
        *(ROOT / "assistant").rglob("*.py"),
        *(ROOT / "ui").rglob("*.py"),
        *(ROOT / "evals").rglob("*.py"),
    ]
    return sorted(f for f in files if "__pycache__" not in f.parts)


def target_of(module: str, name: str) -> str:
    """``from assistant import errors`` names the module assistant.errors."""
    full = f"{module}.{name}" if name else module
    try:
        if layer_of(full) != layer_of(module) or full in LAYERS:
            return full
    except KeyError:
        pass
    return module


def violations(files: list[tuple[Path, str]] | None = None) -> list[str]:
    """Every import that breaks the rule, in ``files`` (path, module name) or in the whole tree."""
    if files is None:
        files = [(path, module_name(path)) for path in source_files()]
    out: list[str] = []
    for path, me in files:
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
        mine = layer_of(me)
        for line, module, name in imports_of(path):
            if module.split(".")[0] in VENDOR_SDKS and mine != "assistant.providers":
                out.append(f"{where}:{line}: vendor SDK {module} outside providers/")
            if module.split(".")[0] not in ("assistant", "ui", "evals"):
                continue
            target = target_of(module, name)
            theirs = layer_of(target)
            if LAYERS[theirs] > LAYERS[mine]:
                out.append(
                    f"{where}:{line}: {me} (layer {LAYERS[mine]}) imports {target} (layer {LAYERS[theirs]})"
                )
            elif LAYERS[mine] == 7 and theirs != mine:
                allowed = (
                    target == "assistant"
                    or target.startswith(TRANSPORT_MAY_IMPORT)
                    or target.endswith(".models")
                    or theirs in CROSS_TRANSPORT.get(mine, ())
                )
                if not allowed:
                    out.append(f"{where}:{line}: transport {me} reaches below Services: {target}")
    return out


def test_every_module_has_a_layer() -> None:
    unknown = []
    for path in source_files():
        try:
            layer_of(module_name(path))
        except KeyError:
            unknown.append(str(path.relative_to(ROOT)))
    assert unknown == []


def test_imports_follow_the_layers() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from assistant.services import Services\n", None),
        ("from assistant.support.models import FIELDS\n", None),
        ("from assistant.access.store import KeyStore\n", "reaches below Services"),
        ("from assistant.retrieval.hybrid import HybridSearcher\n", "reaches below Services"),
    ],
)
def test_the_rule_catches_a_transport_reaching_below_services(
    source: str, expected: str | None, tmp_path: Path
) -> None:
    page = tmp_path / "probe.py"
    page.write_text(source, encoding="utf-8")
    found = violations([(page, "ui.pages.probe")])
    assert (found == []) if expected is None else (len(found) == 1 and expected in found[0])


def test_the_rule_catches_an_upward_import_and_a_vendor_sdk(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from assistant.chains.answer import AnswerEngine\nimport chromadb\n", encoding="utf-8")
    found = violations([(probe, "assistant.providers.probe")])
    assert len(found) == 1 and "imports assistant.chains.answer" in found[0]
    found = violations([(probe, "assistant.knowledge.probe")])
    assert any("vendor SDK chromadb outside providers/" in f for f in found)
