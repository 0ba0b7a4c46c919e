"""Time per photo of the transformers backend's real architectures, with random weights.

    python -m ai_engine.bench_arch [--threads 2] [--runs 3] [--only siglip2|florence2|...]
                                   [--device cpu|cuda] [--batch 8]

Cost depends on the architecture and sizes, not on the weight values, so each model is
built from its published configuration with from_config-style random initialisation (no
download) and timed on one real photograph: preprocessing plus inference, warm (the first
call is reported apart). Captioners generate a fixed number of tokens (random weights
never stop on their own), about what a one-sentence caption takes. Prints one line per
architecture: parameters, build time, first call, median and spread of the warm calls.

`--device cuda` runs the models on the GPU in the precision the backend uses there (bf16,
or fp16 on GPUs without it; ai_engine.cuda.pick_dtype) and adds, per architecture, the
throughput of a batch of `--batch` photos in one call and the peak GPU memory. On the CPU
the batch line is printed only when --batch is given.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, cast

from .cuda import on_device, pick_dtype

CAPTION_TOKENS = 20  # "a cat laying on a bed next to a laptop" is ~12 BPE tokens, plus margin
# Each builder returns the model (on the CPU, fp32) and a function of a list of photos
# that runs them in one call on the model's device and precision.
Runner = Callable[[list[Any]], Any]


def placed(model: Any, device: str) -> Any:
    """The model on `device`, in the precision the backend gives it there."""
    return model.to(device=device, dtype=pick_dtype(device)).eval()


def siglip2_base_224() -> tuple[Any, Runner]:
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

    def run(images: list[Any]) -> Any:
        inputs = processor(images=images, return_tensors="pt")
        with torch.inference_mode():
            return model.get_image_features(**on_device(inputs, model.device, model.dtype))

    return model, run


def siglip2_vocabulary() -> tuple[Any, Runner]:
    """SigLIP 2's text tower over a 150-word vocabulary: paid once per process, at load."""
    import torch

    model, _ = siglip2_base_224()
    ids = torch.randint(1000, 200000, (150, 64))  # prompts padded to 64 tokens, as SigLIP is

    def run(images: list[Any]) -> Any:
        with torch.inference_mode():
            return model.get_text_features(input_ids=ids.to(model.device))

    return model, run


def siglip2_tags() -> tuple[Any, Runner]:
    """One photo's tags over the whole default vocabulary (~940 concepts, ~1,250 texts):
    the image embedding, its scores against the kept text matrix, thresholds and evidence."""
    import torch

    from .vocabulary import Seen, default_vocabulary, vocabulary_tags

    model, image_features = siglip2_base_224()
    vocabulary = default_vocabulary()
    owners = [c.name for c in vocabulary.concepts for _ in c.texts()]
    matrix = torch.nn.functional.normalize(torch.randn(len(owners), 768), dim=-1)

    def run(images: list[Any]) -> Any:
        output = image_features(images)
        features = cast(Any, getattr(output, "pooler_output", output)).float()
        features = features / features.norm(dim=-1, keepdim=True)
        with torch.inference_mode():
            scale, bias = model.logit_scale.float().exp(), model.logit_bias.float()
            rows = torch.sigmoid(scale * features @ matrix.to(features.device).T + bias).tolist()
        found = []
        for scores in rows:
            best: dict[str, float] = {}
            for name, score in zip(owners, scores, strict=True):
                best[name] = max(best.get(name, 0.0), score)
            found.append(vocabulary_tags(best, vocabulary, Seen()))
        return found

    return model, run


def clip_vit_b32() -> tuple[Any, Runner]:
    """openai/clip-vit-base-patch32 (the previous default), for comparison."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    model = CLIPModel(CLIPConfig(projection_dim=512)).eval()
    processor = CLIPImageProcessorPil(
        size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}
    )

    def run(images: list[Any]) -> Any:
        inputs = processor(images=images, return_tensors="pt")
        with torch.inference_mode():
            return model.get_image_features(**on_device(inputs, model.device, model.dtype))

    return model, run


def florence2_base() -> tuple[Any, Runner]:
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

    def pixels_of(image: Any) -> Any:
        import numpy as np

        pixels = np.asarray(image.resize((768, 768), resample=3), dtype=np.float32) / 255
        return (torch.from_numpy(pixels).permute(2, 0, 1) - mean) / std

    def run(images: list[Any]) -> Any:
        inputs = {
            "input_ids": input_ids.repeat(len(images), 1),
            "pixel_values": torch.stack([pixels_of(image) for image in images]),
        }
        with torch.inference_mode():
            return model.generate(
                **on_device(inputs, model.device, model.dtype),
                max_new_tokens=CAPTION_TOKENS,
                min_new_tokens=CAPTION_TOKENS,
                num_beams=1,
                do_sample=False,
            )

    return model, run


def blip_base() -> tuple[Any, Runner]:
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

    def run(images: list[Any]) -> Any:
        inputs = {
            "pixel_values": processor(images=images, return_tensors="pt")["pixel_values"],
            "input_ids": input_ids.repeat(len(images), 1),
        }
        with torch.inference_mode():
            return model.generate(
                **on_device(inputs, model.device, model.dtype),
                max_new_tokens=CAPTION_TOKENS,
                min_new_tokens=CAPTION_TOKENS,
                num_beams=1,
                do_sample=False,
            )

    return model, run


ARCHITECTURES: dict[str, Callable[[], tuple[Any, Runner]]] = {
    "siglip2": siglip2_base_224,
    "siglip2-vocab": siglip2_vocabulary,
    "siglip2-tags": siglip2_tags,
    "florence2": florence2_base,
    "clip": clip_vit_b32,
    "blip": blip_base,
}


NOT_PER_PHOTO = {"siglip2-vocab"}  # the vocabulary's cost: no photos, so no batch


def timed(run: Runner, images: list[Any], device: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one call; on a GPU, until its work is done, not just queued."""
    import torch

    started, cpu_started = time.perf_counter(), time.process_time()
    run(images)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started, time.process_time() - cpu_started


def bench(name: str, runs: int, image: Any, device: str = "cpu", batch: int = 0) -> str:
    import torch

    started = time.perf_counter()
    model, run = ARCHITECTURES[name]()
    model = placed(model, device)
    built = time.perf_counter() - started
    params = sum(p.numel() for p in model.parameters()) / 1e6
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    first, _ = timed(run, [image], device)
    times, cpu = zip(*(timed(run, [image], device) for _ in range(runs)), strict=True)
    # CPU seconds (all threads) hold up better than wall time on a shared machine: other
    # processes stretch the wall clock, not the work this process does.
    line = (
        f"{name:<13} {params:6.1f}M params  build {built:5.1f}s  first {first:6.2f}s  "
        f"warm median {statistics.median(times):6.3f}s wall (min {min(times):.3f}), "
        f"{statistics.median(cpu):6.2f}s CPU, n={runs}"
    )
    if batch > 1 and name not in NOT_PER_PHOTO:
        timed(run, [image] * batch, device)  # the first call at this size pays its set-up
        seconds = statistics.median(timed(run, [image] * batch, device)[0] for _ in range(runs))
        line += (
            f"  batch of {batch}: {seconds:6.3f}s, {seconds / batch * 1000:7.1f} ms/photo, "
            f"{batch / seconds:6.1f} photos/s"
        )
    if device == "cuda":
        line += f"  GPU peak {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB"
    del model
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--runs", type=int, default=3, help="warm calls per architecture")
    parser.add_argument("--only", choices=sorted(ARCHITECTURES), action="append")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--batch", type=int, help="photos per call for the throughput line (cuda: 8)"
    )
    options = parser.parse_args(argv)

    import os

    import torch
    from PIL import Image
    from skimage import data

    from .cuda import cuda_device_name

    device_line = f"{options.threads} CPU thread(s)"
    if options.device == "cuda":
        gpu = cuda_device_name()
        if gpu is None:
            print("--device cuda: no working CUDA device here", file=sys.stderr)
            return 2
        device_line = f"GPU {gpu} in {str(pick_dtype('cuda')).removeprefix('torch.')}"
    batch = options.batch if options.batch is not None else 8 if options.device == "cuda" else 0
    torch.set_num_threads(options.threads)
    torch.manual_seed(0)
    image = Image.fromarray(data.chelsea()).convert("RGB")
    print(
        f"torch {torch.__version__}, {device_line}, photo {image.size}, "
        f"captions of {CAPTION_TOKENS} tokens",
        flush=True,
    )
    for name in options.only or list(ARCHITECTURES):
        # Other work on the machine shows here; compare figures within one run.
        load = os.getloadavg()[0]
        line = bench(name, options.runs, image, options.device, batch)
        print(f"{line}  load {load:.1f}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
