"""`manage.py fetch_ai_models`: the thin command over ai_engine.fetch_models, with Django's
model folder (AI settings, else AI_MODEL_DIR) and a loopback hub."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ai_engine import analyze
from photos.services.ai_settings import ai_settings_get

from .local_hub import LocalHub, sha256
from .tiny_models import save_tiny_florence2, save_tiny_siglip

pytest.importorskip("transformers")

COMMIT = "e" * 40
REPOS = (("image-text", "google/siglip2-base-patch16-224"), ("captioner", "test/tiny-florence2"))


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("hub")
    hub = LocalHub()
    hub.publish("google/siglip2-base-patch16-224", COMMIT, save_tiny_siglip(root / "siglip"))
    hub.publish("test/tiny-florence2", COMMIT, save_tiny_florence2(root / "florence2"))
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture()
def manifest(tmp_path, hub) -> Path:
    models = {}
    for key, repo in (
        ("image-text", "google/siglip2-base-patch16-224"),
        ("captioner", "test/tiny-florence2"),
    ):
        files = {name: sha256(data) for name, data in hub.repos[repo].commits[COMMIT].items()}
        models[key] = {"repo": repo, "revision": COMMIT, "files": files}
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": models}))
    return path


@pytest.mark.django_db
def test_it_fills_ai_model_dir_by_default(hub, manifest, tmp_path, settings, monkeypatch, capsys):
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    settings.AI_MODEL_DIR = str(tmp_path / "var-models")
    call_command("fetch_ai_models", manifest=str(manifest))
    out = capsys.readouterr().out
    assert f"Models in {settings.AI_MODEL_DIR}" in out
    for key in ("image-text", "captioner"):
        assert (tmp_path / "var-models" / key / "config.json").is_file()
    # Nothing was there: every file was downloaded, then checked against its sha256.
    assert "present, sha256 verified" not in out
    assert out.count(" verified") == sum(len(r.commits[COMMIT]) for r in hub.repos.values())

    # check_ai_models, with the transformers backend chosen: each model present, loading,
    # on which device, how long one sample took, and which pinned commit it is.
    row = ai_settings_get()
    row.backend = "transformers"
    row.save()
    call_command("check_ai_models")
    lines = {line.split()[1]: line for line in capsys.readouterr().out.splitlines()[1:]}
    for key, repo in REPOS:
        line = lines[key]
        assert line.startswith("OK") and "present=True loads=True device=cpu" in line
        assert re.search(r"sample=\d+\.\d{3}s", line)
        assert line.endswith(f"({repo}@{COMMIT[:12]})")


@pytest.mark.django_db
def test_it_fails_fast_without_a_network_and_the_offline_engine_still_works(
    manifest, tmp_path, settings, monkeypatch, photo, ctx
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{probe.getsockname()[1]}")
    settings.AI_MODEL_DIR = str(tmp_path / "models")
    with pytest.raises(CommandError, match="Cannot reach the model hub"):
        call_command("fetch_ai_models", manifest=str(manifest))
    assert not (tmp_path / "models" / "image-text" / "model.safetensors").exists()
    # The default backend needs nothing from the hub.
    result = analyze(photo("coffee"), context=ctx)
    assert result.backend == "offline" and result.tags
