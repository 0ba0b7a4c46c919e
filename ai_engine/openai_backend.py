"""An OpenAI-compatible vision endpoint (Ollama, vLLM, LM Studio, OpenAI): one POST per image.

Standard library only (urllib). The API key goes into the Authorization header and
nowhere else: not into logs, reports or exception messages.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from .component import Component
from .errors import BackendUnavailable, EngineError, ModelUnavailable
from .types import ScoredTag

if TYPE_CHECKING:
    from PIL import Image

    from .describe import Facts
    from .settings import EngineSettings
    from .types import Analysis

logger = logging.getLogger("ai_engine")

BACKOFF_S = 1.0  # first retry delay; doubles each time
MAX_BACKOFF_S = 20.0
IMAGE_SIDE = 1024  # vision models downscale anyway; smaller uploads are faster
MAX_TAG_CHARS = 40

PROMPT = (
    "You describe photos for a family photo album. Reply with JSON only, no prose, "
    'exactly this shape: {{"description": "<one or two plain sentences>", '
    '"tags": ["<tag>", ...]}}. Give {max_tags} or fewer short lowercase tags '
    "(objects, animals, people, scene, activity). Describe only what is visible; "
    "do not guess names. Write in the language with code '{language}'."
)


class Endpoint(Component):
    """The endpoint stands in for weights in check_ai_models' report."""

    name = "vlm"
    device = "remote"

    def __init__(self, settings: EngineSettings) -> None:
        super().__init__(threads=1)
        self.settings = settings

    def weights_path(self) -> str:
        url = (self.settings.endpoint_url or "").rstrip("/")
        return f"{url}/chat/completions (model {self.settings.model_name})" if url else ""

    def is_present(self) -> bool:
        return bool(self.settings.endpoint_url and self.settings.model_name)

    def check_present(self) -> None:
        if not self.settings.endpoint_url:
            raise ModelUnavailable("The openai backend needs an endpoint URL in the AI settings.")
        if not self.settings.model_name:
            raise ModelUnavailable("The openai backend needs a model name in the AI settings.")

    def _load(self) -> None:
        pass  # nothing to load; the first request shows whether the endpoint works

    def sample(self, image: Image.Image) -> None:
        describe_image(image, self.settings)


class OpenAIBackend:
    name = "openai"

    def __init__(self, settings: EngineSettings) -> None:
        self.endpoint = Endpoint(settings)

    def components(self) -> list[Component]:
        return [self.endpoint]

    def load(self) -> None:
        self.endpoint.load()

    def analyze_image(
        self,
        image: Image.Image,
        settings: EngineSettings,
        analysis: Analysis,
        facts: Facts,
        timings: dict[str, float],
    ) -> None:
        started = time.perf_counter()
        description, tags = describe_image(image, settings)
        timings["vlm"] = time.perf_counter() - started
        analysis.description = description
        # The model gives no scores: rank order stands in, all above the usual cut-off.
        analysis.tags.extend(
            ScoredTag(name, round(max(0.5, 0.95 - 0.03 * i), 4), "vlm")
            for i, name in enumerate(tags)
        )

    def describe_video(self, facts: Facts, frame_descriptions: list[str]) -> str:
        seconds = max(1, round(facts.duration_s or 0))
        middle = frame_descriptions[len(frame_descriptions) // 2] if frame_descriptions else ""
        return f"A {seconds}-second video. {middle}".strip()


def describe_image(image: Image.Image, settings: EngineSettings) -> tuple[str, list[str]]:
    Endpoint(settings).check_present()
    reply = post_chat(build_request(image, settings), settings)
    return parse_reply(reply, settings.max_tags)


def build_request(image: Image.Image, settings: EngineSettings) -> dict[str, Any]:
    small = image.convert("RGB")
    small.thumbnail((IMAGE_SIDE, IMAGE_SIDE))
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    data_url = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    prompt = PROMPT.format(max_tags=settings.max_tags, language=settings.language)
    return {
        "model": settings.model_name,
        "temperature": 0.2,
        "max_tokens": 500,
        "messages": [
            {"role": "system", "content": prompt},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe this photo as JSON."},
                    {"type": "image_url", "image_url": {"url": data_url}},
                ],
            },
        ],
    }


def post_chat(body: dict[str, Any], settings: EngineSettings) -> dict[str, Any]:
    """POST with bounded retries on 429, 5xx, refused connections and timeouts."""
    url = (settings.endpoint_url or "").rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    payload = json.dumps(body).encode("utf-8")
    attempts = 1 + max(0, settings.max_retries)
    problem, retry_after = "", None
    for attempt in range(attempts):
        if attempt:
            time.sleep(_delay(attempt, retry_after))
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.timeout_s) as response:
                return _json_body(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code != 429 and exc.code < 500:
                raise _client_error(exc.code, _short(exc.read())) from exc
            problem = f"HTTP {exc.code}"
            retry_after = _retry_after(exc)
        except TimeoutError:
            problem, retry_after = f"no answer within {settings.timeout_s:g} s", None
        except urllib.error.URLError as exc:
            timed_out = isinstance(exc.reason, TimeoutError)
            problem = (
                f"no answer within {settings.timeout_s:g} s"
                if timed_out
                else f"cannot connect ({exc.reason})"
            )
            retry_after = None
        logger.warning("AI endpoint: %s (attempt %d of %d)", problem, attempt + 1, attempts)
    raise BackendUnavailable(
        f"The AI endpoint is unavailable: {problem} after {attempts} attempts."
    )


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After", "") if exc.headers else ""
    return float(value) if value.isdigit() else None


def _delay(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(retry_after, MAX_BACKOFF_S)
    return min(BACKOFF_S * 2.0 ** (attempt - 1), MAX_BACKOFF_S)


def _short(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text[:200]


def _client_error(status: int, detail: str) -> EngineError:
    if status in (401, 403):
        return ModelUnavailable(
            f"The AI endpoint refused the credentials (HTTP {status}); "
            "check the API key in the AI settings."
        )
    if status == 404:
        return ModelUnavailable(
            "The AI endpoint or model was not found (HTTP 404); "
            "check the endpoint URL and model name in the AI settings."
        )
    return EngineError(f"The AI endpoint rejected the request (HTTP {status}): {detail}")


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EngineError("The AI endpoint's reply is not JSON.") from exc
    if not isinstance(data, dict):
        raise EngineError("The AI endpoint's reply is not a chat completion.")
    return data


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


def parse_reply(reply: dict[str, Any], max_tags: int) -> tuple[str, list[str]]:
    """The model's JSON answer, checked against {"description": str, "tags": [str]}."""
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise EngineError("The AI endpoint's reply has no message content.") from exc
    if not isinstance(content, str):
        raise EngineError("The AI endpoint's reply has no text content.")
    text = _FENCE.sub("", content.strip())
    if not text.startswith("{"):  # some models add a sentence before the JSON
        start, end = text.find("{"), text.rfind("}")
        text = text[start : end + 1] if 0 <= start < end else text
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EngineError(
            f"The AI model did not answer with the JSON asked for: {_short(content.encode())!r}"
        ) from exc
    if not isinstance(answer, dict):
        raise EngineError("The AI model's JSON is not an object with description and tags.")
    description, tags = answer.get("description"), answer.get("tags")
    if not isinstance(description, str) or not description.strip():
        raise EngineError('The AI model\'s JSON has no "description" string.')
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise EngineError('The AI model\'s JSON has no "tags" list of strings.')
    clean = []
    for tag in tags:
        name = " ".join(tag.strip().lower().split())[:MAX_TAG_CHARS]
        if name and name not in clean:
            clean.append(name)
    return description.strip(), clean[:max_tags]
