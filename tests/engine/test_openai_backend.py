"""The OpenAI-compatible backend against a local server that speaks the chat API."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from ai_engine import Context, EngineSettings, Registry, analyze
from ai_engine.errors import BackendUnavailable, EngineError, ModelUnavailable

API_KEY = "sk-test-secret-0123456789"
GOOD = {"description": "A tabby cat resting on a wooden floor.", "tags": ["Cat", "pet", "cat"]}


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: completion(json.dumps(GOOD)))
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class FakeEndpoint:
    """Answers POST /v1/chat/completions with scripted replies; the last one repeats."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply()]
        self.requests: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                endpoint.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                reply = (
                    endpoint.replies.pop(0) if len(endpoint.replies) > 1 else endpoint.replies[0]
                )
                time.sleep(reply.delay_s)
                raw = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)


@pytest.fixture()
def endpoint() -> Iterator[FakeEndpoint]:
    fake = FakeEndpoint()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ai_engine.openai_backend.BACKOFF_S", 0.01)


def context(endpoint: FakeEndpoint, **overrides: Any) -> Context:
    options: dict[str, Any] = dict(
        backend="openai",
        endpoint_url=endpoint.url,
        model_name="llava:7b",
        api_key=API_KEY,
        timeout_s=5.0,
        max_retries=2,
    )
    options.update(overrides)
    return Context(settings=EngineSettings(**options), registry=Registry())


@pytest.fixture()
def cat(photo) -> Image.Image:
    return photo("chelsea")


def test_it_describes_a_photo_in_one_call(endpoint, cat):
    result = analyze(cat, context=context(endpoint))
    assert result.description == GOOD["description"]
    vlm_tags = [t.name for t in result.tags if t.source == "vlm"]
    assert vlm_tags == ["cat", "pet"]  # lower-cased, de-duplicated
    # Everything else is the engine's own colour facts, added for every backend.
    assert {t.source for t in result.tags} == {"vlm", "colour"}
    assert result.backend == "openai"
    assert len(endpoint.requests) == 1
    sent = endpoint.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert sent["json"]["model"] == "llava:7b"
    image_part = sent["json"]["messages"][1]["content"][1]
    assert image_part["image_url"]["url"].startswith("data:image/jpeg;base64,")


def test_it_accepts_json_in_a_code_fence(endpoint, cat):
    endpoint.script(Reply(body=completion("```json\n" + json.dumps(GOOD) + "\n```")))
    assert analyze(cat, context=context(endpoint)).description == GOOD["description"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("Sure! It is a cat.", "did not answer with the JSON"),
        (json.dumps({"description": "A cat."}), '"tags" list'),
        (json.dumps({"description": "", "tags": []}), '"description" string'),
        (json.dumps({"description": "A cat.", "tags": "cat, pet"}), '"tags" list'),
        (json.dumps(["cat"]), "not an object"),
    ],
)
def test_it_rejects_a_malformed_answer_clearly(endpoint, cat, content, message):
    endpoint.script(Reply(body=completion(content)))
    with pytest.raises(EngineError, match=message) as caught:
        analyze(cat, context=context(endpoint))
    assert not isinstance(caught.value, BackendUnavailable)  # retrying would not help
    assert len(endpoint.requests) == 1


def test_it_rejects_a_reply_that_is_not_json(endpoint, cat):
    endpoint.script(Reply(body=b"<html>oops</html>"))
    with pytest.raises(EngineError, match="not JSON"):
        analyze(cat, context=context(endpoint))


def test_it_retries_after_a_server_error(endpoint, cat):
    endpoint.script(Reply(status=500, body={"error": "overloaded"}), Reply())
    result = analyze(cat, context=context(endpoint))
    assert result.description == GOOD["description"]
    assert len(endpoint.requests) == 2


def test_it_gives_up_on_429_after_bounded_retries(endpoint, cat):
    endpoint.script(Reply(status=429, body={"error": "rate limited"}, headers={"Retry-After": "0"}))
    with pytest.raises(BackendUnavailable, match="HTTP 429 after 3 attempts"):
        analyze(cat, context=context(endpoint))
    assert len(endpoint.requests) == 3


def test_it_gives_up_on_a_slow_endpoint(endpoint, cat):
    endpoint.script(Reply(delay_s=1.0))
    started = time.perf_counter()
    with pytest.raises(BackendUnavailable, match="no answer within 0.2 s"):
        analyze(cat, context=context(endpoint, timeout_s=0.2, max_retries=1))
    assert time.perf_counter() - started < 3.0
    assert len(endpoint.requests) == 2


def test_it_treats_a_refused_key_as_configuration(endpoint, cat, caplog):
    endpoint.script(Reply(status=401, body={"error": {"message": "invalid api key"}}))
    with caplog.at_level(logging.DEBUG, logger="ai_engine"):
        with pytest.raises(ModelUnavailable, match="API key") as caught:
            analyze(cat, context=context(endpoint))
    assert len(endpoint.requests) == 1
    assert API_KEY not in str(caught.value)
    assert API_KEY not in caplog.text


def test_it_never_logs_the_api_key(endpoint, cat, caplog):
    endpoint.script(Reply(status=503), Reply())
    with caplog.at_level(logging.DEBUG):
        analyze(cat, context=context(endpoint))
    assert "503" in caplog.text
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(context(endpoint).settings)


def test_it_needs_an_endpoint_url(cat):
    settings = EngineSettings(backend="openai", model_name="llava")
    with pytest.raises(ModelUnavailable, match="endpoint URL"):
        analyze(cat, context=Context(settings=settings, registry=Registry()))


def test_it_reports_an_unreachable_endpoint(cat):
    settings = EngineSettings(
        backend="openai", endpoint_url="http://127.0.0.1:9/v1", model_name="m", max_retries=0
    )
    (report, _places) = Registry().report(settings, sample_image=cat)
    assert report.name == "vlm" and report.present and report.device == "remote"
    assert "cannot connect" in report.error
