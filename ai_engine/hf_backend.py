"""Local transformers models from settings.model_dir: image-text tags, and captions.

Layout of the model directory (what `manage.py fetch_ai_models` writes, see models.json):
    <model_dir>/image-text/  an image-text model: SigLIP 2 (the default), SigLIP or CLIP,
                             in save_pretrained format; zero-shot tags over the vocabulary
    <model_dir>/captioner/   a captioner: Florence-2 (the default) or BLIP (optional: without
                             it the description is composed from the facts)
Nothing is downloaded at run time: loading is local_files_only, without remote code.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .captions import Evidence, check_caption
from .component import Component
from .cuda import cuda_device_name, on_device, pick_dtype
from .describe import Facts, compose, visible_text, when_where
from .errors import ModelUnavailable
from .types import ScoredTag

if TYPE_CHECKING:
    from PIL import Image

    from .settings import EngineSettings
    from .types import Analysis

logger = logging.getLogger("ai_engine")

IMAGE_TEXT_DIR = "image-text"
CAPTIONER_DIR = "captioner"
FETCH_HINT = "run `python manage.py fetch_ai_models` on a machine with internet"
# Scenes an image-text model knows well that ImageNet-derived tags lack.
EXTRA_VOCABULARY = (
    "beach", "city", "forest", "snow", "sunset", "night", "sky", "garden", "street",
    "indoor", "outdoor", "party", "wedding", "baby", "child", "selfie", "food", "document",
    "screenshot", "mountain", "lake", "river", "waterfall", "desert", "concert", "sport",
    "person", "people",
)  # fmt: skip
# Tags that count as evidence of a person for the caption check, and how sure they must be.
PERSON_TAGS = frozenset({"person", "people", "baby", "child", "selfie", "wedding", "portrait"})
PERSON_EVIDENCE = 0.5
MIN_RELATIVE = 0.1  # a tag must reach this share of the best tag's score
# A caption word from the vocabulary that scores under this share of the best word is one
# the image-text model disagrees with: the caption check cuts it.
DOUBT_RELATIVE = 0.02
# How each captioner family is asked for a one-sentence caption.
BLIP_PROMPT = "a photography of"
FLORENCE_TASK = "<CAPTION>"


def pick_device(requested: str | None) -> str:
    """CUDA when present and working, else CPU with a logged warning."""
    if requested == "cpu":
        return "cpu"
    if cuda_device_name():
        return "cuda"
    logger.warning("No working CUDA device; running the transformers models on the CPU")
    return "cpu"


def _offline_hub() -> None:
    # Loading is local_files_only (no hub traffic). HF_HUB_OFFLINE is deliberately not set
    # here: the environment is inherited by every child process, and would turn a later
    # `fetch_ai_models` run from this process tree into a refusal.
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
        self.family = ""  # the config's model_type: "siglip", "clip", "florence2", "blip"
        self.dtype: Any = None  # torch's dtype of the weights: half on CUDA (cuda.pick_dtype)

    def weights_path(self) -> str:
        if not self.settings.model_dir:
            return ""
        return os.path.join(self.settings.model_dir, self.subdir)

    def is_present(self) -> bool:
        path = self.weights_path()
        return bool(path) and os.path.isfile(os.path.join(path, "config.json"))

    def pinned(self) -> str:
        """What fetch_ai_models put here ("repo@commit"), for check_ai_models; "" if unknown."""
        import json

        try:
            with open(os.path.join(self.weights_path(), ".pinned.json"), encoding="utf-8") as fh:
                pin = json.load(fh)
        except (OSError, ValueError):
            return ""
        return f"{pin.get('repo')}@{str(pin.get('revision'))[:12]}"

    def check_present(self) -> None:
        if not self.settings.model_dir:
            raise ModelUnavailable("The transformers backend needs a model directory.")
        if not self.is_present():
            raise ModelUnavailable(f"No {self.name} model in {self.weights_path()}; {FETCH_HINT}.")

    def _load_pretrained(self, model_classes: dict[str, Any]) -> None:
        import torch
        from transformers import AutoConfig, AutoProcessor

        _offline_hub()
        torch.set_num_threads(self.threads)
        self.device = pick_device(self.settings.device)
        path = self.weights_path()
        self.family = AutoConfig.from_pretrained(path, local_files_only=True).model_type
        model_cls = model_classes.get(self.family)
        if model_cls is None:
            raise ModelUnavailable(
                f"{self.name}: {path} holds a {self.family!r} model; "
                f"supported: {', '.join(sorted(model_classes))}"
            )
        self.dtype = pick_dtype(self.device)
        model = model_cls.from_pretrained(path, local_files_only=True)
        self.model = model.to(device=self.device, dtype=self.dtype)
        self.model.eval()
        self.processor = AutoProcessor.from_pretrained(path, local_files_only=True)


class ImageTextTagger(_HFComponent):
    """Zero-shot tags: the photo against "a photo of <word>" for every word of the vocabulary."""

    name = "image-text"
    subdir = IMAGE_TEXT_DIR

    def __init__(self, settings: EngineSettings, threads: int, vocabulary: list[str]) -> None:
        super().__init__(settings, threads)
        self.vocabulary = vocabulary
        self._text_features: Any = None

    def _load(self) -> None:
        import torch
        from transformers import AutoModel

        self._load_pretrained({"siglip": AutoModel, "siglip2": AutoModel, "clip": AutoModel})
        prompts = [f"a photo of {_article(v)}" for v in self.vocabulary]
        cache = self._cache_path(prompts)
        try:
            # float32 whatever precision wrote the cache: scores are computed in fp32.
            self._text_features = torch.load(cache, map_location=self.device).float()
            return
        except (OSError, RuntimeError, EOFError):
            pass  # not cached yet for these weights and words
        # SigLIP was trained on text padded to its full length; CLIP pads to the longest.
        padding = "max_length" if self.sigmoid else True
        inputs = self.processor(text=prompts, return_tensors="pt", padding=padding)
        with torch.inference_mode():
            features = self.model.get_text_features(**inputs.to(self.device))
        features = getattr(features, "pooler_output", features).float()
        # The vocabulary is fixed: embed it once, at load, not per photo.
        self._text_features = features / features.norm(dim=-1, keepdim=True)
        self._save_cache(cache)

    def _cache_path(self, prompts: list[str]) -> str:
        """Where the vocabulary's text embeddings are kept, keyed by weights and words.

        Embedding the words is the slow part of loading (measured: ~24 CPU-seconds for 150
        words with SigLIP 2 base, one thread); every worker process would pay it again.
        """
        import hashlib

        weights = os.path.join(self.weights_path(), "model.safetensors")
        try:
            stat = os.stat(weights)
            identity = f"{stat.st_size}:{stat.st_mtime_ns}"
        except OSError:
            identity = "unknown"
        key = hashlib.sha256("\n".join([identity, *prompts]).encode()).hexdigest()[:24]
        return os.path.join(self.weights_path(), ".text-cache", f"{key}.pt")

    def _save_cache(self, path: str) -> None:
        import torch

        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            torch.save(self._text_features.cpu(), tmp)
            os.replace(tmp, path)  # whole or absent, with several workers starting at once
        except OSError as exc:  # a read-only model folder: just slower next time
            logger.info("Cannot keep the vocabulary embeddings in %s: %s", path, exc)

    @property
    def sigmoid(self) -> bool:
        return self.family.startswith("siglip")

    def tags(self, image: Image.Image) -> list[tuple[str, float]]:
        return top_tags(self.scores(image))

    @functools.cached_property
    def model_id(self) -> str:
        """Stored with each image vector: another model's vectors never meet a query."""
        from .image_space import model_id

        return model_id(self.weights_path())

    def image_features(self, image: Image.Image) -> Any:
        """The photo's unit vector in image space (a 1 x dims float32 tensor): what its tags
        are scored from, and what image-space search stores (ai_engine.image_space)."""
        return self.features_batch([image])

    def features_batch(self, images: list[Image.Image]) -> Any:
        """image_features() of several images in one forward pass (N x dims)."""
        import torch

        self.load()
        with self.lock, torch.inference_mode():
            return image_features_batch(self.model, self.processor, images)

    def scores(self, image: Image.Image, features: Any = None) -> list[tuple[str, float]]:
        """Every word of the vocabulary with its score, best first (`features`: the image's,
        when the caller already has them)."""
        return self.scores_batch([image], features)[0]

    def scores_batch(
        self, images: list[Image.Image], features: Any = None
    ) -> list[list[tuple[str, float]]]:
        """scores() of several images in one forward pass (the frames of a video, a
        benchmark's batch): on a GPU, N images cost little more than one."""
        import torch

        if features is None:
            features = self.features_batch(images)
        with self.lock, torch.inference_mode():
            # fp32 from here, whatever the model's precision: the scores of a half-precision
            # model then differ from fp32's by the embeddings' rounding only.
            scale = self.model.logit_scale.float().exp()
            logits = scale * features @ self._text_features.T
            if self.sigmoid:
                # SigLIP scores each word on its own (a probability that the text matches).
                scores = torch.sigmoid(logits + self.model.logit_bias.float()).cpu().tolist()
            else:
                # Softmax over ~150 words spreads the mass; sqrt maps a clear 0.25 to 0.5 so
                # that scores sit on the scale of the other backends (a calibration).
                scores = (logits.softmax(dim=-1).cpu() ** 0.5).tolist()
        return [
            sorted(zip(self.vocabulary, row, strict=True), key=lambda kv: -kv[1]) for row in scores
        ]

    def sample(self, image: Image.Image) -> None:
        self.tags(image)


class Captioner(_HFComponent):
    """One sentence about the photo, from Florence-2 (<CAPTION>) or BLIP."""

    name = "captioner"
    subdir = CAPTIONER_DIR

    def _load(self) -> None:
        from transformers import BlipForConditionalGeneration, Florence2ForConditionalGeneration

        self._load_pretrained(
            {"florence2": Florence2ForConditionalGeneration, "blip": BlipForConditionalGeneration}
        )

    def caption(self, image: Image.Image) -> str:
        return self.captions_batch([image])[0]

    def captions_batch(self, images: list[Image.Image]) -> list[str]:
        """caption() of several images, generated together (one forward pass per token)."""
        import torch

        self.load()
        prompt = FLORENCE_TASK if self.family == "florence2" else BLIP_PROMPT
        inputs = self.processor(
            images=[image.convert("RGB") for image in images],
            text=[prompt] * len(images),  # one prompt, so every row has the same length
            return_tensors="pt",
        )
        with self.lock, torch.inference_mode():
            output = self.model.generate(
                **on_device(inputs, self.device, self.dtype), max_new_tokens=40, num_beams=1
            )
        texts = self.processor.batch_decode(output, skip_special_tokens=True)
        return [_without_prompt(str(text).strip()) for text in texts]

    def sample(self, image: Image.Image) -> None:
        self.caption(image)


def image_features_batch(model: Any, processor: Any, images: list[Image.Image]) -> Any:
    """Unit-length image embeddings (N x D, float32) of `images`, in one forward pass on
    the model's device and in its precision. Works on any device, so that the batching
    a GPU relies on is tested on the CPU (tests/engine/test_gpu.py)."""
    import torch

    inputs = processor(images=[image.convert("RGB") for image in images], return_tensors="pt")
    with torch.inference_mode():
        features = model.get_image_features(**on_device(inputs, model.device, model.dtype))
    features = getattr(features, "pooler_output", features).float()
    return features / features.norm(dim=-1, keepdim=True)


def _without_prompt(text: str) -> str:
    # BLIP repeats its prompt at the start of the caption.
    return text[len(BLIP_PROMPT) :].strip() if text.lower().startswith(BLIP_PROMPT) else text


def top_tags(ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    top = ranked[0][1] if ranked else 0.0
    return [(word, s) for word, s in ranked[:20] if s >= MIN_RELATIVE * top]


def doubted_words(
    ranked: list[tuple[str, float]], parents: dict[str, frozenset[str]]
) -> frozenset[str]:
    """Vocabulary words the image-text model scored far below its best, counting a word as
    seen when a narrower word under it was ("tabby" backs "cat")."""
    support = dict(ranked)
    for word, score in ranked:
        for parent in parents.get(word, ()):
            support[parent] = max(support.get(parent, 0.0), score)
    top = ranked[0][1] if ranked else 0.0
    return frozenset(w for w, s in support.items() if s < DOUBT_RELATIVE * top)


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
        self.image_text = ImageTextTagger(settings, threads, words)
        self.captioner = Captioner(settings, threads)
        # id(image) -> (image features, scores, caption) computed ahead in one batch
        # (frames_batched).
        self._batched: dict[int, tuple[Any, list[tuple[str, float]], str]] = {}

    def components(self) -> list[Component]:
        return [self.image_text, self.captioner]

    def load(self) -> None:
        self.image_text.load()
        if self.captioner.is_present():
            self.captioner.load()
        else:
            logger.warning(
                "No captioner in %s: descriptions are composed from the facts",
                self.captioner.weights_path(),
            )

    def analyze_image(
        self,
        image: Image.Image,
        settings: EngineSettings,
        analysis: Analysis,
        facts: Facts,
        timings: dict[str, float],
    ) -> None:
        batched = self._batched.get(id(image))  # a video's frame, computed ahead
        started = time.perf_counter()
        if batched:
            features, ranked, _ = batched
        else:
            features = self.image_text.image_features(image)
            ranked = self.image_text.scores(image, features)
        found = top_tags(ranked)
        timings["image-text"] = time.perf_counter() - started
        # The same pass places the photo in image space, for search (ai_engine.image_space).
        analysis.image_embedding = features[0].float().cpu().tolist()
        analysis.image_model = self.image_text.model_id
        for word, score in found:
            analysis.tags.append(ScoredTag(word, round(score, 4), "image-text"))
            for parent in self.parents.get(word, ()):
                analysis.tags.append(ScoredTag(parent, round(score, 4), "image-text"))
        confident = [w for w, s in found if s >= PERSON_EVIDENCE]
        facts.subjects = [_article(w) for w in confident[:2]]
        caption = ""
        if self.captioner.loaded:
            started = time.perf_counter()
            caption = batched[2] if batched else self.captioner.caption(image)
            timings["captioner"] = time.perf_counter() - started
        people = facts.faces > 0 or any(w in PERSON_TAGS for w in confident)
        analysis.description = caption_sentence(
            caption, facts, people=people, doubted=doubted_words(ranked, self.parents)
        )

    @contextmanager
    def frames_batched(
        self, images: list[Image.Image], timings: dict[str, float]
    ) -> Iterator[None]:
        """A video's frames: their scores and captions each computed in one batch (on a GPU,
        three frames cost about one); analyze_image takes them from here within the block.
        `timings` gets the batches' seconds."""
        started = time.perf_counter()
        features = self.image_text.features_batch(images)
        ranked = self.image_text.scores_batch(images, features)
        timings["image-text"] = timings.get("image-text", 0.0) + time.perf_counter() - started
        captions = [""] * len(images)
        if self.captioner.loaded:
            started = time.perf_counter()
            captions = self.captioner.captions_batch(images)
            timings["captioner"] = timings.get("captioner", 0.0) + time.perf_counter() - started
        self._batched = {
            id(image): (features[n : n + 1], ranked[n], captions[n])
            for n, image in enumerate(images)
        }
        try:
            yield
        finally:
            self._batched = {}  # ids are reused once the images are gone

    def describe_video(self, facts: Facts, frame_descriptions: list[str]) -> str:
        if not self.captioner.loaded:
            return compose(facts)
        seconds = max(1, round(facts.duration_s or 0))
        middle = frame_descriptions[len(frame_descriptions) // 2] if frame_descriptions else ""
        return f"A {seconds}-second video. {middle}".strip()


def caption_sentence(
    caption: str, facts: Facts, *, people: bool, doubted: frozenset[str] = frozenset()
) -> str:
    """The captioner's first sentence, checked, completed with the date, place and text
    that only EXIF, GPS and OCR know; the facts alone when the check leaves nothing."""
    place = [facts.place.city, facts.place.admin, facts.place.country_code] if facts.place else []
    evidence = Evidence.of(
        people=people,
        black_and_white=facts.black_and_white,
        place=place,
        text=facts.text,
        doubted=doubted,
    )
    checked = check_caption(caption, evidence)
    if not checked:
        return compose(facts)
    sentence = checked[:1].upper() + checked[1:]
    place_and_date = when_where(facts)
    sentence = f"{sentence}, {place_and_date}." if place_and_date else f"{sentence}."
    visible = visible_text(facts.text)
    return f"{sentence} {visible}" if visible else sentence
