"""Tiny, randomly initialised CLIP and BLIP models saved like real ones (no downloads)."""

from __future__ import annotations

import json
from pathlib import Path

LAYERS = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4)
VISION = dict(image_size=32, patch_size=8, **LAYERS)


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-to-character table, which CLIP's byte-level BPE vocabulary uses."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, [chr(c) for c in codes], strict=True))


def save_tiny_clip(target: Path) -> Path:
    from transformers import (
        CLIPConfig,
        CLIPImageProcessorPil,
        CLIPModel,
        CLIPProcessor,
        CLIPTokenizer,
    )

    target.mkdir(parents=True, exist_ok=True)
    # A character-level vocabulary (no merges): every byte, alone and word-final.
    chars = list(_bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = len(vocab), len(vocab) + 1
    (target / "vocab.json").write_text(json.dumps(vocab))
    (target / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(target / "vocab.json"), str(target / "merges.txt"))
    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(vocab),
            max_position_embeddings=77,
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            **LAYERS,
        ),
        vision_config=VISION,
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(target)
    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(target)
    return target


def save_tiny_blip(target: Path) -> Path:
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessorPil,
        BlipProcessor,
    )

    target.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photography", "of", "cat"]
    (target / "vocab.txt").write_text("\n".join(words) + "\n")
    tokenizer = BertTokenizer(str(target / "vocab.txt"))
    config = BlipConfig(
        text_config=dict(
            vocab_size=len(words),
            max_position_embeddings=64,
            encoder_hidden_size=32,
            pad_token_id=0,
            bos_token_id=2,
            sep_token_id=3,
            eos_token_id=3,
            **LAYERS,
        ),
        vision_config=VISION,
        projection_dim=16,
    )
    BlipForConditionalGeneration(config).save_pretrained(target)
    image_processor = BlipImageProcessorPil(size={"height": 32, "width": 32})
    BlipProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(target)
    return target


def save_tiny_siglip(target: Path, seed: int = 0, width: int = 32) -> Path:
    """A tiny SigLIP (the architecture of SigLIP 2's fixed-resolution checkpoints).

    Word-level tokenizer over the words the prompts use; `seed` gives different weights,
    so that two "commits" of the same repo differ; `width` 384 makes weights of ~35 MB,
    more than one of huggingface_hub's 10 MB download chunks.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        PreTrainedTokenizerFast,
        SiglipConfig,
        SiglipImageProcessorPil,
        SiglipModel,
        SiglipProcessor,
    )

    target.mkdir(parents=True, exist_ok=True)
    layers = {**LAYERS, "hidden_size": width, "intermediate_size": width * 4 + 5}
    words = ["<pad>", "</s>", "<unk>", "a", "an", "photo", "of", "cat", "dog", "beach", "city"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=16,
    )
    config = SiglipConfig(
        text_config=dict(
            vocab_size=len(words),
            max_position_embeddings=16,
            pad_token_id=0,
            bos_token_id=None,
            eos_token_id=1,
            **layers,
        ),
        vision_config={**VISION, **layers},
    )
    torch.manual_seed(seed)
    SiglipModel(config).save_pretrained(target)
    image_processor = SiglipImageProcessorPil(size={"height": 32, "width": 32})
    SiglipProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(target)
    return target


def save_tiny_florence2(target: Path, caption: str | None = None) -> Path:
    """A tiny Florence-2 (DaViT vision tower, BART text), loadable like the real checkpoint.

    At 64 px the vision tower's four stages (strides 4, 2, 2, 2) leave 2 x 2 patches plus one
    pooled token: 5 image tokens, where the real model's 768 px give 577.

    `caption`: the sentence it writes for every image, for tests of what is done with a
    caption. Random weights, steered by the checkpoint's own generation settings
    (`sequence_bias` on each prefix of the sentence), as a real model's would be loaded.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        BartConfig,
        CLIPImageProcessorPil,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
        Florence2VisionConfig,
        PreTrainedTokenizerFast,
    )

    target.mkdir(parents=True, exist_ok=True)
    words = ["<s>", "<pad>", "</s>", "<unk>", "<image>"]
    words += "what does the image describe ? a cat dog man on bed street".split()
    words += [w for w in dict.fromkeys((caption or "").split()) if w not in words]
    vocab = {w: i for i, w in enumerate(words)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        extra_special_tokens={"image_token": "<image>"},
    )
    vision = Florence2VisionConfig(
        depths=(1, 1, 1, 1),
        embed_dim=(8, 16, 32, 64),
        num_heads=(1, 2, 4, 8),
        num_groups=(1, 2, 4, 8),
        window_size=2,
        projection_dim=32,
        max_position_embeddings=8,
        max_temporal_embeddings=4,
    )
    text = BartConfig(
        vocab_size=len(words),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        max_position_embeddings=64,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=2,
    )
    config = Florence2Config(
        vision_config=vision, text_config=text, image_token_id=vocab["<image>"]
    )
    torch.manual_seed(0)
    model = Florence2ForConditionalGeneration(config)
    if caption:
        # Token ids from the decoder's start: each prefix's next word is made certain.
        ids = [vocab[w] for w in caption.split()] + [text.eos_token_id]
        start = [text.decoder_start_token_id]
        model.generation_config.sequence_bias = [
            [start + ids[: i + 1], 100.0] for i in range(len(ids))
        ]
    model.save_pretrained(target)
    image_processor = CLIPImageProcessorPil(
        size={"height": 64, "width": 64},
        crop_size={"height": 64, "width": 64},
        do_center_crop=False,
    )
    image_processor.image_seq_length = 5
    Florence2Processor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(target)
    return target
