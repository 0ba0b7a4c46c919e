"""Local transformers models from settings.model_dir: CLIP for zero-shot tags, BLIP captions.

Layout of the model directory (what `python -m ai_engine.fetch_models` writes):
    <model_dir>/clip/   a CLIPModel and its processor (save_pretrained format)
    <model_dir>/blip/   a BlipForConditionalGeneration and its processor (optional:
                        without it the description is composed from the tags)
Nothing is downloaded at run time: loading is local_files_only.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from .component import Component
from .describe import Facts, compose, visible_text, when_where
from .errors import ModelUnavailable
from .types import ScoredTag

if TYPE_CHECKING:
    from PIL import Image

    from .settings import EngineSettings
    from .types import Analysis

logger = logging.getLogger("ai_engine")

CLIP_DIR = "clip"
BLIP_DIR = "blip"
CAPTION_PROMPT = "a photography of"
# Scenes CLIP knows well that ImageNet-derived tags lack.
EXTRA_VOCABULARY = (
    "beach", "city", "forest", "snow", "sunset", "night", "sky", "garden", "street",
    "indoor", "outdoor", "party", "wedding", "baby", "child", "selfie", "food", "document",
    "screenshot", "mountain", "lake", "river", "waterfall", "desert", "concert", "sport",
)  # fmt: skip
MIN_RELATIVE = 0.1  # a tag must reach this share of the best tag's probability


def pick_device(requested: str | None) -> str:
    """CUDA when present and working, else CPU with a logged warning."""
    import torch

    if requested == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        try:
            torch.zeros(1, device="cuda").add_(1)  # "available" can still fail at first use
            return "cuda"
        except RuntimeError as exc:
            logger.warning("CUDA is present but not working (%s); using the CPU", exc)
    else:
        logger.warning("No working CUDA device; running the transformers models on the CPU")
    return "cpu"


def _offline_hub() -> None:
    # Belt and braces: local_files_only below, and no hub traffic at all.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


class _HFComponent(Component):
    subdir = ""

    def __init__(self, settings: EngineSettings, threads: int) -> None:
        super().__init__(threads)
        self.settings = settings
        self.model: Any = None
        self.processor: Any = None

    def weights_path(self) -> str:
        if not self.settings.model_dir:
            return ""
        return os.path.join(self.settings.model_dir, self.subdir)

    def is_present(self) -> bool:
        path = self.weights_path()
        return bool(path) and os.path.isfile(os.path.join(path, "config.json"))

    def check_present(self) -> None:
        if not self.settings.model_dir:
            raise ModelUnavailable("The transformers backend needs a model directory.")
        if not self.is_present():
            raise ModelUnavailable(
                f"No {self.name} model in {self.weights_path()}; "
                "run `python -m ai_engine.fetch_models --model-dir DIR` on a machine with internet."
            )

    def _load_pretrained(self, model_cls: Any, processor_cls: Any) -> None:
        import torch

        _offline_hub()
        torch.set_num_threads(self.threads)
        self.device = pick_device(self.settings.device)
        path = self.weights_path()
        self.model = model_cls.from_pretrained(path, local_files_only=True).to(self.device)
        self.model.eval()
        self.processor = processor_cls.from_pretrained(path, local_files_only=True)


class ClipTagger(_HFComponent):
    name = "clip"
    subdir = CLIP_DIR

    def __init__(self, settings: EngineSettings, threads: int, vocabulary: list[str]) -> None:
        super().__init__(settings, threads)
        self.vocabulary = vocabulary
        self._text_features: Any = None

    def _load(self) -> None:
        import torch
        from transformers import CLIPModel, CLIPProcessor

        self._load_pretrained(CLIPModel, CLIPProcessor)
        prompts = [f"a photo of {_article(v)}" for v in self.vocabulary]
        inputs = self.processor(text=prompts, return_tensors="pt", padding=True)
        with torch.inference_mode():
            features = self.model.get_text_features(**inputs.to(self.device))
        features = getattr(features, "pooler_output", features)
        # The vocabulary is fixed: embed it once, at load, not per photo.
        self._text_features = features / features.norm(dim=-1, keepdim=True)

    def tags(self, image: Image.Image) -> list[tuple[str, float]]:
        import torch

        self.load()
        inputs = self.processor(images=image.convert("RGB"), return_tensors="pt")
        with self.lock, torch.inference_mode():
            features = self.model.get_image_features(**inputs.to(self.device))
            features = getattr(features, "pooler_output", features)
            features = features / features.norm(dim=-1, keepdim=True)
            scale = self.model.logit_scale.exp()
            probs = (scale * features @ self._text_features.T).softmax(dim=-1)[0].cpu()
        top = float(probs.max())
        ranked = sorted(zip(self.vocabulary, probs.tolist(), strict=True), key=lambda kv: -kv[1])
        # Softmax over ~150 words spreads the mass; sqrt maps a clear 0.25 to 0.5 so that
        # scores sit on the same scale as the other backends' (a calibration, not a law).
        return [(word, p**0.5) for word, p in ranked[:20] if p >= MIN_RELATIVE * top]

    def sample(self, image: Image.Image) -> None:
        self.tags(image)


class BlipCaptioner(_HFComponent):
    name = "blip"
    subdir = BLIP_DIR

    def _load(self) -> None:
        from transformers import BlipForConditionalGeneration, BlipProcessor

        self._load_pretrained(BlipForConditionalGeneration, BlipProcessor)

    def caption(self, image: Image.Image) -> str:
        import torch

        self.load()
        inputs = self.processor(
            images=image.convert("RGB"), text=CAPTION_PROMPT, return_tensors="pt"
        )
        with self.lock, torch.inference_mode():
            output = self.model.generate(**inputs.to(self.device), max_new_tokens=40)
        text = str(self.processor.decode(output[0], skip_special_tokens=True)).strip()
        if text.lower().startswith(CAPTION_PROMPT):
            text = text[len(CAPTION_PROMPT) :].strip()
        return text

    def sample(self, image: Image.Image) -> None:
        self.caption(image)


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def vocabulary() -> tuple[list[str], dict[str, frozenset[str]]]:
    """Visible tags of the offline rules table plus scenes; and each tag's parents."""
    import yaml

    from .offline.rules import RULES_PATH

    with open(RULES_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    tags = {str(k): (v or {}) for k, v in data["tags"].items()}
    parents = {k: frozenset(v.get("parents") or ()) - _hidden(tags) for k, v in tags.items()}
    words = [k for k, v in tags.items() if not v.get("hidden")]
    words += [w for w in EXTRA_VOCABULARY if w not in tags]
    return words, parents


def _hidden(tags: dict[str, dict[str, Any]]) -> frozenset[str]:
    return frozenset(k for k, v in tags.items() if v.get("hidden"))


class TransformersBackend:
    name = "transformers"

    def __init__(self, settings: EngineSettings, threads: int) -> None:
        words, self.parents = vocabulary()
        self.clip = ClipTagger(settings, threads, words)
        self.blip = BlipCaptioner(settings, threads)

    def components(self) -> list[Component]:
        return [self.clip, self.blip]

    def load(self) -> None:
        self.clip.load()
        if self.blip.is_present():
            self.blip.load()
        else:
            logger.warning(
                "No BLIP model in %s: descriptions are composed from tags", self.blip.weights_path()
            )

    def analyze_image(
        self,
        image: Image.Image,
        settings: EngineSettings,
        analysis: Analysis,
        facts: Facts,
        timings: dict[str, float],
    ) -> None:
        started = time.perf_counter()
        found = self.clip.tags(image)
        timings["clip"] = time.perf_counter() - started
        for word, score in found:
            analysis.tags.append(ScoredTag(word, round(score, 4), "clip"))
            for parent in self.parents.get(word, ()):
                analysis.tags.append(ScoredTag(parent, round(score, 4), "clip"))
        confident = [w for w, s in found if s >= 0.5]
        facts.subjects = [_article(w) for w in confident[:2]]
        if self.blip.loaded:
            started = time.perf_counter()
            caption = self.blip.caption(image)
            timings["blip"] = time.perf_counter() - started
            analysis.description = _sentence(caption, facts) if caption else compose(facts)
        else:
            analysis.description = compose(facts)

    def describe_video(self, facts: Facts, frame_descriptions: list[str]) -> str:
        if not self.blip.loaded:
            return compose(facts)
        seconds = max(1, round(facts.duration_s or 0))
        middle = frame_descriptions[len(frame_descriptions) // 2] if frame_descriptions else ""
        return f"A {seconds}-second video. {middle}".strip()


def _sentence(caption: str, facts: Facts) -> str:
    """BLIP's caption, plus the date and place that only EXIF knows."""
    text = caption[:1].upper() + caption[1:]
    place_and_date = when_where(facts)
    sentence = f"{text}, {place_and_date}." if place_and_date else f"{text}."
    visible = visible_text(facts.text)
    return f"{sentence} {visible}" if visible else sentence
