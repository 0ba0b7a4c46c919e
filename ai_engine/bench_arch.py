"""Time per photo of the transformers backend's real architectures, with random weights.

    python -m ai_engine.bench_arch [--threads 2] [--runs 3] [--only siglip2|florence2|...]

Cost depends on the architecture and sizes, not on the weight values, so each model is
built from its published configuration with from_config-style random initialisation (no
download) and timed on one real photograph: preprocessing plus inference, warm (the first
call is reported apart). Captioners generate a fixed number of tokens (random weights
never stop on their own), about what a one-sentence caption takes. Prints one line per
architecture: parameters, build time, first call, median and spread of the warm calls.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, cast

CAPTION_TOKENS = 20  # "a cat laying on a bed next to a laptop" is ~12 BPE tokens, plus margin


def siglip2_base_224() -> tuple[Any, Callable[[Any], Any]]:
    """google/siglip2-base-patch16-224: ViT-B/16 at 224 px, Gemma tokenizer (256k words)."""
    import torch
    from transformers import SiglipConfig, SiglipImageProcessorPil, SiglipModel

    layers = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12)
    config = SiglipConfig(
        text_config=dict(
            vocab_size=256000, max_position_embeddings=64, num_attention_heads=12, **layers
        ),
        vision_config=dict(image_size=224, patch_size=16, num_attention_heads=12, **layers),
    )
    model = SiglipModel(config).eval()
    processor = SiglipImageProcessorPil(size={"height": 224, "width": 224})

    def run(image: Any) -> Any:
        inputs = processor(images=image, return_tensors="pt")
        with torch.inference_mode():
            return model.get_image_features(**inputs)

    return model, run


def siglip2_vocabulary() -> tuple[Any, Callable[[Any], Any]]:
    """SigLIP 2's text tower over a 150-word vocabulary: paid once per process, at load."""
    import torch

    model, _ = siglip2_base_224()
    ids = torch.randint(1000, 200000, (150, 64))  # prompts padded to 64 tokens, as SigLIP is

    def run(image: Any) -> Any:
        with torch.inference_mode():
            return model.get_text_features(input_ids=ids)

    return model, run


def siglip2_tags() -> tuple[Any, Callable[[Any], Any]]:
    """One photo's tags over the whole default vocabulary (~940 concepts, ~1,250 texts):
    the image embedding, its scores against the kept text matrix, thresholds and evidence."""
    import torch

    from .vocabulary import Seen, default_vocabulary, vocabulary_tags

    model, image_features = siglip2_base_224()
    vocabulary = default_vocabulary()
    owners = [c.name for c in vocabulary.concepts for _ in c.texts()]
    matrix = torch.nn.functional.normalize(torch.randn(len(owners), 768), dim=-1)

    def run(image: Any) -> Any:
        features = image_features(image)
        features = getattr(features, "pooler_output", features)
        features = features / features.norm(dim=-1, keepdim=True)
        with torch.inference_mode():
            logits = model.logit_scale.exp() * features @ matrix.T + model.logit_bias
            scores = torch.sigmoid(logits)[0].tolist()
        best: dict[str, float] = {}
        for name, score in zip(owners, scores, strict=True):
            best[name] = max(best.get(name, 0.0), score)
        return vocabulary_tags(best, vocabulary, Seen())

    return model, run


def clip_vit_b32() -> tuple[Any, Callable[[Any], Any]]:
    """openai/clip-vit-base-patch32 (the previous default), for comparison."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    model = CLIPModel(CLIPConfig(projection_dim=512)).eval()
    processor = CLIPImageProcessorPil(
        size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}
    )

    def run(image: Any) -> Any:
        inputs = processor(images=image, return_tensors="pt")
        with torch.inference_mode():
            return model.get_image_features(**inputs)

    return model, run


def florence2_base() -> tuple[Any, Callable[[Any], Any]]:
    """florence-community/Florence-2-base: DaViT vision tower at 768 px, BART-base text."""
    import torch
    from transformers import (
        BartConfig,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2VisionConfig,
    )

    text = BartConfig(
        vocab_size=51289 + 40,  # BART's words, then <image>, <loc_*> and task tokens
        d_model=768,
        encoder_layers=6,
        decoder_layers=6,
        encoder_attention_heads=12,
        decoder_attention_heads=12,
        encoder_ffn_dim=3072,
        decoder_ffn_dim=3072,
        max_position_embeddings=1024,
    )
    config = Florence2Config(
        vision_config=Florence2VisionConfig(projection_dim=768), text_config=text
    )
    model = Florence2ForConditionalGeneration(config).eval()
    image_tokens = 577  # 24 x 24 patches at 768 px, plus one
    # BOS, the 6 words of "What does the image describe?" (what <CAPTION> becomes), EOS; the
    # cost depends on how many tokens there are, not which.
    prompt = [0] + [100] * 6 + [2]
    input_ids = torch.tensor([[config.image_token_id] * image_tokens + prompt])
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)

    def run(image: Any) -> Any:
        import numpy as np

        pixels = np.asarray(image.resize((768, 768), resample=3), dtype=np.float32) / 255
        pixel_values = ((torch.from_numpy(pixels).permute(2, 0, 1) - mean) / std)[None]
        with torch.inference_mode():
            return model.generate(
                input_ids=input_ids,
                pixel_values=pixel_values,
                max_new_tokens=CAPTION_TOKENS,
                min_new_tokens=CAPTION_TOKENS,
                num_beams=1,
                do_sample=False,
            )

    return model, run


def blip_base() -> tuple[Any, Callable[[Any], Any]]:
    """Salesforce/blip-image-captioning-base (the previous captioner), for comparison."""
    import torch
    from transformers import (
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessorPil,
        BlipTextConfig,
    )

    config = BlipConfig(vision_config=dict(image_size=384, patch_size=16))
    model = BlipForConditionalGeneration(config).eval()
    processor = BlipImageProcessorPil(size={"height": 384, "width": 384})
    # BOS and the prompt "a photography of" (3 words; only the count matters for cost).
    text_config = cast(BlipTextConfig, config.text_config)  # BlipConfig builds one from None
    input_ids = torch.tensor([[text_config.bos_token_id, 1037, 1038, 1039]])

    def run(image: Any) -> Any:
        inputs = processor(images=image, return_tensors="pt")
        with torch.inference_mode():
            return model.generate(
                pixel_values=inputs["pixel_values"],
                input_ids=input_ids,
                max_new_tokens=CAPTION_TOKENS,
                min_new_tokens=CAPTION_TOKENS,
                num_beams=1,
                do_sample=False,
            )

    return model, run


ARCHITECTURES: dict[str, Callable[[], tuple[Any, Callable[[Any], Any]]]] = {
    "siglip2": siglip2_base_224,
    "siglip2-vocab": siglip2_vocabulary,
    "siglip2-tags": siglip2_tags,
    "florence2": florence2_base,
    "clip": clip_vit_b32,
    "blip": blip_base,
}


def bench(name: str, runs: int, image: Any) -> str:
    started = time.perf_counter()
    model, run = ARCHITECTURES[name]()
    built = time.perf_counter() - started
    params = sum(p.numel() for p in model.parameters()) / 1e6
    started = time.perf_counter()
    run(image)
    first = time.perf_counter() - started
    times, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        run(image)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    del model
    # CPU seconds (all threads) hold up better than wall time on a shared machine: other
    # processes stretch the wall clock, not the work this process does.
    return (
        f"{name:<13} {params:6.1f}M params  build {built:5.1f}s  first {first:6.2f}s  "
        f"warm median {statistics.median(times):6.2f}s wall (min {min(times):.2f}), "
        f"{statistics.median(cpu):6.2f}s CPU, n={runs}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--runs", type=int, default=3, help="warm calls per architecture")
    parser.add_argument("--only", choices=sorted(ARCHITECTURES), action="append")
    options = parser.parse_args(argv)

    import os

    import torch
    from PIL import Image
    from skimage import data

    torch.set_num_threads(options.threads)
    torch.manual_seed(0)
    image = Image.fromarray(data.chelsea()).convert("RGB")
    print(
        f"torch {torch.__version__}, {options.threads} CPU thread(s), photo {image.size}, "
        f"captions of {CAPTION_TOKENS} tokens",
        flush=True,
    )
    for name in options.only or list(ARCHITECTURES):
        # Other work on the machine shows here; compare figures within one run.
        load = os.getloadavg()[0]
        print(f"{bench(name, options.runs, image)}  load {load:.1f}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
