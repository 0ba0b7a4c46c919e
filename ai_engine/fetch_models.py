"""Download the transformers backend's models into a model directory.

    python -m ai_engine.fetch_models --model-dir /srv/photo-album/models

For machines with internet access; the engine itself never downloads anything. The
result is the layout hf_backend expects: <model-dir>/clip and <model-dir>/blip.
"""

from __future__ import annotations

import argparse
import os
import sys

from .hf_backend import BLIP_DIR, CLIP_DIR

DEFAULT_CLIP = "openai/clip-vit-base-patch32"
DEFAULT_BLIP = "Salesforce/blip-image-captioning-base"


def fetch(model_id: str, target: str, model_cls: type, processor_cls: type) -> None:
    print(f"Fetching {model_id} into {target} ...", flush=True)
    model = model_cls.from_pretrained(model_id)  # type: ignore[attr-defined]
    processor = processor_cls.from_pretrained(model_id)  # type: ignore[attr-defined]
    os.makedirs(target, exist_ok=True)
    model.save_pretrained(target)
    processor.save_pretrained(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download CLIP and BLIP for the AI engine.")
    parser.add_argument("--model-dir", required=True, help="where to save the models")
    parser.add_argument("--clip", default=DEFAULT_CLIP, help="CLIP model id (zero-shot tags)")
    parser.add_argument("--blip", default=DEFAULT_BLIP, help="BLIP model id (captions)")
    parser.add_argument("--skip-blip", action="store_true", help="tags only, no captions")
    options = parser.parse_args(argv)

    from transformers import (
        BlipForConditionalGeneration,
        BlipProcessor,
        CLIPModel,
        CLIPProcessor,
    )

    fetch(options.clip, os.path.join(options.model_dir, CLIP_DIR), CLIPModel, CLIPProcessor)
    if not options.skip_blip:
        target = os.path.join(options.model_dir, BLIP_DIR)
        fetch(options.blip, target, BlipForConditionalGeneration, BlipProcessor)
    print("Done. Set the AI backend to 'transformers' with this model directory.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
