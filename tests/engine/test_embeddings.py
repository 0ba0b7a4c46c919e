"""Sentence embeddings for meaning search: the bundled all-MiniLM-L6-v2, offline."""

from __future__ import annotations

import numpy as np

from ai_engine.embeddings import DIMENSIONS, MAX_TOKENS, embed_texts, model_path

CAT = "a photo of a tabby cat. cat, animal, pet"
COFFEE = "a cup of espresso"
MOTORCYCLE = "motorcycle, scooter, vehicle"


def test_it_returns_unit_float32_vectors():
    vectors = embed_texts(["kitty", CAT])
    assert vectors.shape == (2, DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embed_texts([]).shape == (0, DIMENSIONS)


def test_it_puts_words_near_their_meaning():
    kitty, motorbike, cat, coffee, motorcycle = embed_texts(
        ["kitty", "motorbike", CAT, COFFEE, MOTORCYCLE]
    )
    assert kitty @ cat > kitty @ coffee + 0.2
    assert motorbike @ motorcycle > motorbike @ cat + 0.2


def test_bfloat16_gives_the_float32_vectors_to_within_1e_4_cosine():
    # Where the CPU has AMX the worker embeds in bfloat16, and search compares those vectors
    # with float32 ones (written before, or on another machine): they must agree.
    texts = [
        CAT,
        COFFEE,
        MOTORCYCLE,
        "A plate of broccoli and rice on a wooden table. dinner, food, meal, plate. Lyon",
        "Two people smiling on a beach at sunset. beach, people, sea, sky, smile, sunset",
        "kitty",
    ]
    exact = embed_texts(texts, bfloat16=False)
    fast = embed_texts(texts, bfloat16=True)
    assert fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-4)
    assert (exact * fast).sum(axis=1).min() > 1 - 1e-4


def test_its_vectors_are_the_ones_transformers_bert_gives(monkeypatch):
    # embeddings.Encoder stands in for transformers' BertModel (whose import costs each
    # process seconds): the same tokens, cut at the same length, give the same vectors,
    # so vectors stored before the change and after it share one index.
    import torch
    from transformers import AutoModel, AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    texts = [
        CAT,
        "Crème brûlée in Zürich: a naïve café. ÉTÉ, dessert 東京",
        "tag " * 400,  # longer than the model's 256 tokens: both cut it there
        "a",
        MOTORCYCLE,
    ]
    path = model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
    )
    with torch.inference_mode():
        tokens = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1)
    expected = torch.nn.functional.normalize(pooled, dim=1).numpy()

    assert np.abs(embed_texts(texts, bfloat16=False) - expected).max() < 1e-5
