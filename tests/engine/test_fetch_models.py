"""`python -m ai_engine.fetch_models` against a model hub on loopback, run as the admin runs it.

The hub serves tiny random models of the chosen architectures (SigLIP 2's for image-text,
Florence-2 as the captioner); the real huggingface_hub download code talks to it over HTTP.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .local_hub import Cut, LocalHub, sha256
from .tiny_models import save_tiny_florence2, save_tiny_siglip

pytest.importorskip("transformers")

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE_TEXT = "google/siglip2-base-patch16-224"
CAPTIONER = "florence-community/Florence-2-base-ft"
PINNED = "a" * 40  # the commit the manifest pins
NEWER = "b" * 40  # what `main` points at now: different weights
CAPTIONER_COMMIT = "c" * 40


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("published")
    return {
        "pinned": save_tiny_siglip(root / "siglip-pinned", seed=1),
        "newer": save_tiny_siglip(root / "siglip-newer", seed=2),
        "captioner": save_tiny_florence2(root / "florence2"),
        "wide": save_tiny_siglip(root / "siglip-wide", seed=3, width=384),
    }


@pytest.fixture()
def hub(published):
    hub = LocalHub()
    hub.publish(IMAGE_TEXT, PINNED, published["pinned"])
    hub.publish(IMAGE_TEXT, NEWER, published["newer"])  # main moved on
    hub.publish(CAPTIONER, CAPTIONER_COMMIT, published["captioner"])
    hub.start()
    yield hub
    hub.stop()


def hashes(folder: Path) -> dict[str, str]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return {p.name: sha256(p.read_bytes()) for p in files}


def write_manifest(path: Path, image_text: dict, captioner: dict) -> Path:
    include = ["*.json", "*.safetensors", "*.txt"]
    models = {
        "image-text": {"repo": IMAGE_TEXT, "include": include} | image_text,
        "captioner": {"repo": CAPTIONER, "include": include, **captioner},
    }
    path.write_text(json.dumps({"models": models}, indent=2))
    return path


@pytest.fixture()
def manifest(tmp_path, published) -> Path:
    return write_manifest(
        tmp_path / "models.json",
        {"revision": PINNED, "files": hashes(published["pinned"])},
        {"revision": CAPTIONER_COMMIT, "files": hashes(published["captioner"])},
    )


def fetch(endpoint: str, model_dir: Path, manifest: Path, *extra: str):
    # TQDM_POSITION=-1: huggingface_hub's progress bar even without a terminal.
    env = {**os.environ, "HF_ENDPOINT": endpoint, "TQDM_POSITION": "-1"}
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("TRANSFORMERS_OFFLINE", None)
    command = [sys.executable, "-m", "ai_engine.fetch_models", "--model-dir", str(model_dir)]
    command += ["--manifest", str(manifest), *extra]
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_fetches_the_pinned_commit_and_verifies_every_file(
    hub, manifest, published, tmp_path, photo
):
    models = tmp_path / "models"
    run = fetch(hub.endpoint, models, manifest)
    assert run.returncode == 0, run.stderr
    # The pinned commit's files, not what `main` serves now.
    assert hashes(models / "image-text") == hashes(published["pinned"])
    assert hashes(models / "image-text") != hashes(published["newer"])
    assert hashes(models / "captioner") == hashes(published["captioner"])
    # The listing and every file at the pinned commit, never at `main`.
    asked = [path for method, path, _ in hub.requests if IMAGE_TEXT in path]
    assert f"/api/models/{IMAGE_TEXT}/revision/{PINNED}" in asked
    assert all(f"/{PINNED}" in path for path in asked)
    assert run.stdout.count("verified") == len(hashes(published["pinned"])) + len(
        hashes(published["captioner"])
    )
    pin = json.loads((models / "image-text" / ".pinned.json").read_text())
    assert pin["revision"] == PINNED
    # The progress bar is huggingface_hub's own (tqdm, on stderr).
    assert "model.safetensors: 100%" in run.stderr

    # A second run finds everything in place: it reads the listings, and no file travels.
    before = len(hub.requests)
    again = fetch(hub.endpoint, models, manifest)
    assert again.returncode == 0, again.stderr
    assert [path for _, path, _ in hub.requests[before:] if "/resolve/" in path] == []
    assert "present, sha256 verified" in again.stdout

    # What arrived is what the transformers backend loads, and check_ai_models names it.
    from ai_engine import Context, EngineSettings, Registry, analyze

    settings = EngineSettings(backend="transformers", model_dir=str(models), threads=1)
    result = analyze(photo("chelsea"), context=Context(settings=settings, registry=Registry()))
    assert [t for t in result.tags if t.source == "image-text"]
    assert "captioner" in result.timings
    reports = {r.name: r for r in Registry().report(settings, photo("coffee"))}
    assert reports["image-text"].ok
    assert reports["image-text"].path.endswith(f"({IMAGE_TEXT}@{PINNED[:12]})")


def test_it_refuses_a_file_whose_checksum_differs(hub, manifest, tmp_path):
    pins = json.loads(manifest.read_text())
    pins["models"]["image-text"]["files"]["model.safetensors"] = "0" * 64
    manifest.write_text(json.dumps(pins))
    models = tmp_path / "models"
    run = fetch(hub.endpoint, models, manifest, "--only", "image-text")
    assert run.returncode == 1
    assert "model.safetensors: sha256" in run.stderr and "does not match" in run.stderr
    assert not (models / "image-text" / "model.safetensors").exists()
    assert not list((models / "image-text" / ".partial").iterdir())


def test_it_resumes_an_interrupted_download(hub, published, tmp_path):
    wide = "test/wide-siglip"
    hub.publish(wide, "d" * 40, published["wide"])
    manifest = write_manifest(
        tmp_path / "models.json",
        {"repo": wide, "revision": "d" * 40, "files": hashes(published["wide"])},
        {"revision": CAPTIONER_COMMIT, "files": hashes(published["captioner"])},
    )
    size = (published["wide"] / "model.safetensors").stat().st_size
    hub.cut = Cut("model.safetensors", after=size * 2 // 3)
    models = tmp_path / "models"
    first = fetch(hub.endpoint, models, manifest, "--only", "image-text")
    assert first.returncode == 1
    assert "run the command again to resume" in first.stderr
    part = models / "image-text" / ".partial" / "model.safetensors.part"
    # What arrived before the cut stays, in whole 10 MB chunks (huggingface_hub writes those).
    kept = part.stat().st_size
    assert 0 < kept < size
    assert not (models / "image-text" / "model.safetensors").exists()

    hub.cut = None  # the network is back
    second = fetch(hub.endpoint, models, manifest, "--only", "image-text")
    assert second.returncode == 0, second.stderr
    assert f"resuming at byte {kept} of {size}" in second.stdout
    # Only the missing part travelled again.
    assert hub.gets_of("model.safetensors")[-1] == f"bytes={kept}-"
    assert hashes(models / "image-text") == hashes(published["wide"])
    assert not part.exists()


def test_it_fails_fast_and_clearly_without_a_network(manifest, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    models = tmp_path / "models"
    started = time.monotonic()
    run = fetch(closed, models, manifest)
    elapsed = time.monotonic() - started
    assert run.returncode == 1
    assert "Cannot reach the model hub" in run.stderr
    assert "offline AI backend keeps working" in run.stderr
    assert elapsed < 15, elapsed  # one refused connection, not a retry loop
    assert not (models / "image-text" / "model.safetensors").exists()


def test_it_fetches_a_file_without_a_sha256_at_the_pinned_commit_and_says_so(
    hub, manifest, published, tmp_path
):
    pins = json.loads(manifest.read_text())
    pins["models"]["image-text"]["files"]["config.json"] = ""  # as models.json ships today
    manifest.write_text(json.dumps(pins))
    models = tmp_path / "models"
    first = fetch(hub.endpoint, models, manifest, "--only", "image-text")
    assert first.returncode == 0, first.stderr
    digest = hashes(published["pinned"])["config.json"]
    assert "config.json: " in first.stdout
    assert f"sha256 {digest} not in the manifest (record it)" in first.stdout
    # Run again: the same commit's file is still there, so nothing travels.
    gets = len(hub.gets_of("config.json"))
    second = fetch(hub.endpoint, models, manifest, "--only", "image-text")
    assert second.returncode == 0, second.stderr
    assert "config.json: present, as fetched before at this commit" in second.stdout
    assert len(hub.gets_of("config.json")) == gets


def test_it_refuses_an_unpinned_manifest(hub, tmp_path):
    manifest = write_manifest(
        tmp_path / "models.json",
        {"revision": "main", "files": {}},
        {"revision": CAPTIONER_COMMIT, "files": {"config.json": ""}},
    )
    run = fetch(hub.endpoint, tmp_path / "models", manifest)
    assert run.returncode == 1
    assert "'main' is not a commit hash" in run.stderr
    # A commit alone does not pin: the weights' content must be fixed by a sha256.
    assert f"captioner ({CAPTIONER}): no sha256 for any weights file" in run.stderr
    assert "--record" in run.stderr
    assert hub.requests == []  # refused before any traffic


def test_it_records_pins_from_the_hub(hub, published, tmp_path):
    manifest = write_manifest(
        tmp_path / "models.json",
        {"revision": "main", "files": {}},
        {"revision": "main", "files": {}},
    )
    models = tmp_path / "models"
    run = fetch(hub.endpoint, models, manifest, "--record")
    assert run.returncode == 0, run.stderr
    pins = json.loads(manifest.read_text())["models"]
    assert pins["image-text"]["revision"] == NEWER  # what main resolved to, as a commit
    assert pins["image-text"]["files"] == hashes(published["newer"])
    assert pins["captioner"]["revision"] == CAPTIONER_COMMIT
    # The recorded manifest now fetches strictly.
    again = fetch(hub.endpoint, tmp_path / "elsewhere", manifest)
    assert again.returncode == 0, again.stderr


def published_with(folder: Path, target: Path, name: str, data: bytes) -> Path:
    """A copy of a published folder with one more file."""
    shutil.copytree(folder, target)
    (target / name).write_bytes(data)
    return target


def test_a_pinned_entry_gets_the_small_files_the_hub_lists_at_its_commit(hub, published, tmp_path):
    # `main` has moved on to a commit with one more file; the pin must not bring it.
    hub.publish(
        CAPTIONER,
        NEWER,
        published_with(published["captioner"], tmp_path / "newer", "extra.json", b"{}"),
    )
    # As models.json pins the captioner: the commit and the weights' sha256, nothing else.
    weights = hashes(published["captioner"])["model.safetensors"]
    manifest = write_manifest(
        tmp_path / "models.json",
        {"revision": PINNED, "files": {}},
        {"revision": CAPTIONER_COMMIT, "files": {"model.safetensors": weights}},
    )
    models = tmp_path / "models"
    run = fetch(hub.endpoint, models, manifest, "--only", "captioner")
    assert run.returncode == 0, run.stderr
    assert hashes(models / "captioner") == hashes(published["captioner"])
    assert f"sha256 {weights} verified" in run.stdout
    small = sorted(set(hashes(published["captioner"])) - {"model.safetensors"})
    assert "config.json" in small and "tokenizer.json" in small
    assert run.stdout.count("not in the manifest (record it)") == len(small)
    asked = [path for _, path, _ in hub.requests]
    assert all(f"/{CAPTIONER_COMMIT}" in path for path in asked), asked


def test_it_refuses_a_manifest_file_the_hub_does_not_list_at_the_commit(hub, manifest, tmp_path):
    pins = json.loads(manifest.read_text())
    pins["models"]["captioner"]["files"]["vocab.txt"] = ""
    manifest.write_text(json.dumps(pins))
    models = tmp_path / "models"
    run = fetch(hub.endpoint, models, manifest)
    assert run.returncode == 1
    assert (
        f"{CAPTIONER}@{CAPTIONER_COMMIT}: the manifest names vocab.txt, which the hub does "
        "not list at this commit" in run.stderr
    )
    # Every listing is read before any download: not even the image-text model travelled.
    assert [path for _, path, _ in hub.requests if "/resolve/" in path] == []
    assert not (models / "image-text" / "model.safetensors").exists()


def test_it_refuses_weights_the_hub_lists_without_a_sha256_in_the_manifest(
    hub, manifest, published, tmp_path
):
    more = "f" * 40
    second = published_with(
        published["captioner"], tmp_path / "sharded", "model-2.safetensors", b"\0" * 64
    )
    hub.publish(CAPTIONER, more, second)
    pins = json.loads(manifest.read_text())
    pins["models"]["captioner"]["revision"] = more
    manifest.write_text(json.dumps(pins))
    run = fetch(hub.endpoint, tmp_path / "models", manifest, "--only", "captioner")
    assert run.returncode == 1
    assert "the hub lists weights the manifest gives no sha256 for: model-2.safetensors" in (
        run.stderr
    )
    assert hub.gets_of("model-2.safetensors") == []


def test_the_shipped_manifest_pins_every_model():
    from ai_engine.fetch_models import load_manifest

    pins = {pin.key: pin for pin in load_manifest()}
    assert {key: pin.unpinned_reasons() for key, pin in pins.items()} == {
        "image-text": [],
        "captioner": [],
    }
