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
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .captions import Evidence, check_caption
from .component import Component
from .cuda import cuda_device_name, on_device, pick_dtype
from .describe import Facts, compose, visible_text, when_where
from .errors import ModelUnavailable
from .types import ScoredTag
from .vocabulary import Seen, Vocabulary, default_vocabulary, doubted_words, vocabulary_tags

if TYPE_CHECKING:
    from PIL import Image

    from .settings import EngineSettings
    from .types import Analysis

logger = logging.getLogger("ai_engine")

IMAGE_TEXT_DIR = "image-text"
CAPTIONER_DIR = "captioner"
FETCH_HINT = "run `python manage.py fetch_ai_models` on a machine with internet"
# A CLIP model (softmax scores): a tag must reach this share of the best concept's score.
MIN_RELATIVE = 0.1
TEXT_BATCH = 64  # texts embedded at once: bounds the text tower's memory
KEPT_VERSIONS = 4  # vocabulary versions whose text matrix stays in memory
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
    """Zero-shot scores: the photo against "a photo of <text>" for every concept's texts."""

    name = "image-text"
    subdir = IMAGE_TEXT_DIR

    def __init__(self, settings: EngineSettings, threads: int) -> None:
        super().__init__(settings, threads)
        # Each text's unit embedding (fp32), kept for the process and on disk (_bank_path).
        self._bank: dict[str, Any] = {}
        # Per vocabulary version: its texts' embeddings as one matrix, and which concept
        # each column belongs to. A few versions, so that a preview of an edit does not
        # evict the vocabulary items are tagged with.
        self._matrices: OrderedDict[str, tuple[Any, list[str]]] = OrderedDict()

    def _load(self) -> None:
        from transformers import AutoModel

        self._load_pretrained({"siglip": AutoModel, "siglip2": AutoModel, "clip": AutoModel})
        self._bank = self._read_bank()

    @property
    def sigmoid(self) -> bool:
        return self.family.startswith("siglip")

    @functools.cached_property
    def model_id(self) -> str:
        """Stored with each image vector: another model's vectors never meet a query."""
        from .image_space import model_id

        return model_id(self.weights_path())

    # --- the image side --------------------------------------------------------------

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

    # --- the text side (the vocabulary, once per version) ------------------------------

    def text_features(self, texts: list[str]) -> Any:
        """Unit fp32 embeddings of `texts` as "a photo of a <text>", in batches."""
        import torch

        self.load()
        prompts = [f"a photo of {_article(t)}" for t in texts]
        # SigLIP was trained on text padded to its full length; CLIP pads to the longest.
        padding = "max_length" if self.sigmoid else True
        rows = []
        with self.lock, torch.inference_mode():
            for start in range(0, len(prompts), TEXT_BATCH):
                batch = prompts[start : start + TEXT_BATCH]
                inputs = self.processor(text=batch, return_tensors="pt", padding=padding)
                features = self.model.get_text_features(**inputs.to(self.device))
                features = getattr(features, "pooler_output", features).float()
                rows.append(features / features.norm(dim=-1, keepdim=True))
        return torch.cat(rows)

    def _text_matrix(self, vocabulary: Vocabulary) -> tuple[Any, list[str]]:
        """The vocabulary's text embeddings (texts x d) and each column's concept; texts
        already embedded by an earlier version are not embedded again."""
        import torch

        found = self._matrices.get(vocabulary.version)
        if found is not None:
            self._matrices.move_to_end(vocabulary.version)
            return found
        texts = vocabulary.texts()
        missing = [t for t in texts if t not in self._bank]
        if missing:
            started = time.perf_counter()
            for text, row in zip(missing, self.text_features(missing), strict=True):
                self._bank[text] = row
            logger.info(
                "Embedded %d vocabulary texts in %.1fs", len(missing), time.perf_counter() - started
            )
            self._save_bank()
        columns = [(t, c.name) for c in vocabulary.concepts for t in c.texts()]
        matrix = torch.stack([self._bank[t].to(self.device) for t, _ in columns])
        found = (matrix, [name for _, name in columns])
        self._matrices[vocabulary.version] = found
        while len(self._matrices) > KEPT_VERSIONS:
            self._matrices.popitem(last=False)
        return found

    def concept_scores(self, features: Any, vocabulary: Vocabulary) -> list[dict[str, float]]:
        """Per row of `features` (N x d): each concept's score, the best of its texts'."""
        import torch

        if not len(vocabulary):
            return [{} for _ in range(len(features))]
        matrix, owners = self._text_matrix(vocabulary)
        with self.lock, torch.inference_mode():
            # fp32 from here, whatever the model's precision: the scores of a half-precision
            # model then differ from fp32's by the embeddings' rounding only.
            logits = self.model.logit_scale.float().exp() * features.float() @ matrix.T
            if self.sigmoid:
                # SigLIP scores each text on its own (a probability that the text matches).
                rows = torch.sigmoid(logits + self.model.logit_bias.float()).cpu().tolist()
            else:
                # A softmax over the texts; sqrt maps a clear 0.25 to 0.5 so that scores sit
                # on the scale of the other backends (a calibration).
                rows = (logits.softmax(dim=-1).cpu() ** 0.5).tolist()
        found = []
        for row in rows:
            best: dict[str, float] = {}
            for name, score in zip(owners, row, strict=True):
                best[name] = max(best.get(name, 0.0), score)
            found.append(best)
        return found

    def scores(
        self, image: Image.Image, features: Any = None, vocabulary: Vocabulary | None = None
    ) -> list[tuple[str, float]]:
        """Every concept with its score, best first (`features`: the image's, when the
        caller already has them; `vocabulary`: the settings' when not given)."""
        return self.scores_batch([image], features, vocabulary)[0]

    def scores_batch(
        self,
        images: list[Image.Image],
        features: Any = None,
        vocabulary: Vocabulary | None = None,
    ) -> list[list[tuple[str, float]]]:
        """scores() of several images in one forward pass (the frames of a video, a
        benchmark's batch): on a GPU, N images cost little more than one."""
        if features is None:
            features = self.features_batch(images)
        if vocabulary is None:
            vocabulary = vocabulary_of(self.settings)
        rows = self.concept_scores(features, vocabulary)
        return [sorted(row.items(), key=lambda kv: -kv[1]) for row in rows]

    def _bank_path(self) -> str:
        """Where the texts' embeddings are kept, keyed by the weights.

        Embedding texts is the slow part (measured: 12.5 CPU-seconds for 150 texts with
        SigLIP 2 base, one thread); every worker process would pay it again.
        """
        import hashlib

        weights = os.path.join(self.weights_path(), "model.safetensors")
        try:
            stat = os.stat(weights)
            identity = f"{stat.st_size}:{stat.st_mtime_ns}"
        except OSError:
            identity = "unknown"
        key = hashlib.sha256(identity.encode()).hexdigest()[:24]
        return os.path.join(self.weights_path(), ".text-cache", f"{key}.pt")

    def _read_bank(self) -> dict[str, Any]:
        import torch

        try:
            bank = torch.load(self._bank_path(), map_location=self.device)
        except (OSError, RuntimeError, EOFError, ValueError):
            return {}  # none kept yet for these weights
        # float32 whatever precision wrote it: scores are computed in fp32.
        return {t: v.float() for t, v in bank.items()} if isinstance(bank, dict) else {}

    def _save_bank(self) -> None:
        import torch

        path = self._bank_path()
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            # Another worker may have added texts since this one read the file: keep them.
            merged = {**self._read_bank(), **self._bank}
            tmp = f"{path}.{os.getpid()}.tmp"
            torch.save({t: v.cpu() for t, v in merged.items()}, tmp)
            os.replace(tmp, path)  # whole or absent, with several workers at once
        except OSError as exc:  # a read-only model folder: just slower next time
            logger.info("Cannot keep the vocabulary embeddings in %s: %s", path, exc)

    def sample(self, image: Image.Image) -> None:
        self.scores(image)


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


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


class TransformersBackend:
    """The offline engine's facts (faces, text, scenes), tags over the vocabulary from the
    image-text model, and the captioner's sentence checked against both."""

    name = "transformers"

    def __init__(self, settings: EngineSettings, threads: int) -> None:
        from .offline.backend import OfflineBackend

        self.offline = OfflineBackend(threads)
        self.image_text = ImageTextTagger(settings, threads)
        self.captioner = Captioner(settings, threads)
        # id(image) -> (image features, scores, caption) computed ahead in one batch
        # (frames_batched).
        self._batched: dict[int, tuple[Any, list[tuple[str, float]], str]] = {}

    def components(self) -> list[Component]:
        return [*self.offline.components(), self.image_text, self.captioner]

    def load(self) -> None:
        self.offline.load()
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
        # Faces, text, scene cues and a description from the facts alone, as offline.
        self.offline.analyze_image(image, settings, analysis, facts, timings)
        if facts.tiny:
            return
        vocabulary = vocabulary_of(settings)
        batched = self._batched.get(id(image))  # a video's frame, computed ahead
        started = time.perf_counter()
        if batched:
            features, ranked, _ = batched
        else:
            features = self.image_text.image_features(image)
            ranked = self.image_text.scores(image, features, vocabulary)
        scores = dict(ranked)
        timings["image-text"] = time.perf_counter() - started
        # The same pass places the photo in image space, for search (ai_engine.image_space).
        analysis.image_embedding = features[0].float().cpu().tolist()
        analysis.image_model = self.image_text.model_id
        merge_vocabulary_tags(analysis, scores, vocabulary, sigmoid=self.image_text.sigmoid)
        if not self.captioner.loaded or analysis.flags.get("nsfw"):
            return  # the offline description stands: nothing is said about a nude photo
        started = time.perf_counter()
        caption = batched[2] if batched else self.captioner.caption(image)
        timings["captioner"] = time.perf_counter() - started
        analysis.description = caption_sentence(
            caption,
            facts,
            people=facts.faces > 0,
            doubted=doubted_words(scores, vocabulary),
            person_words=vocabulary.words_needing("face"),
        )

    @contextmanager
    def frames_batched(
        self,
        images: list[Image.Image],
        timings: dict[str, float],
        settings: EngineSettings | None = None,
    ) -> Iterator[None]:
        """A video's frames: their scores and captions each computed in one batch (on a GPU,
        three frames cost about one); analyze_image takes them from here within the block.
        `timings` gets the batches' seconds; `settings` give the vocabulary."""
        started = time.perf_counter()
        features = self.image_text.features_batch(images)
        vocabulary = vocabulary_of(settings or self.image_text.settings)
        ranked = self.image_text.scores_batch(images, features, vocabulary)
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


def vocabulary_of(settings: EngineSettings) -> Vocabulary:
    """The caller's vocabulary, even an empty one (staff removed every concept); the
    default list only when none is given (the engine used without the app)."""
    return default_vocabulary() if settings.vocabulary is None else settings.vocabulary


def merge_vocabulary_tags(
    analysis: Analysis, scores: dict[str, float], vocabulary: Vocabulary, *, sigmoid: bool
) -> None:
    """The vocabulary's tags in place of the ImageNet classifier's; the facts' tags (faces,
    text, place, colours, scene cues) stay. A concept that needs a face or read text is
    tagged only when the offline engine found one."""
    seen = Seen(faces=analysis.faces, text=bool(analysis.text))
    # A CLIP model's softmax scores depend on the whole list: one relative floor for all.
    floor = None if sigmoid else MIN_RELATIVE * max(scores.values(), default=0.0)
    found = vocabulary_tags(scores, vocabulary, seen, floor=floor)
    analysis.tags = [t for t in analysis.tags if t.source != "classifier"]
    analysis.tags.extend(ScoredTag(name, score, "image-text") for name, score in found)


def caption_sentence(
    caption: str,
    facts: Facts,
    *,
    people: bool,
    doubted: frozenset[str] = frozenset(),
    person_words: frozenset[str] = frozenset(),
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
        person_words=person_words,
    )
    checked = check_caption(caption, evidence)
    if not checked:
        return compose(facts)
    sentence = checked[:1].upper() + checked[1:]
    place_and_date = when_where(facts)
    sentence = f"{sentence}, {place_and_date}." if place_and_date else f"{sentence}."
    visible = visible_text(facts.text)
    return f"{sentence} {visible}" if visible else sentence
