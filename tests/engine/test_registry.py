"""Lazy, once-per-process loading; cheap import; the model report; ONNX telemetry off."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Mapping

import pytest

from ai_engine import EngineSettings, Registry, analyze, get_registry
from ai_engine.errors import ModelUnavailable
from ai_engine.offline.classifier import class_names
from ai_engine.offline.rules import load_rules

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_python(args: list[str], env: Mapping[str, str]) -> str:
    """Run a fresh interpreter that can import ai_engine; its stdout."""
    env = dict(env)
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_importing_the_engine_loads_no_heavy_library():
    code = (
        "import sys, ai_engine, ai_engine.errors;"
        "heavy = {'torch', 'onnxruntime', 'mediapipe', 'cv2', 'av', 'numpy', 'transformers'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    assert run_python(["-c", code], os.environ).strip() == "[]"


def test_it_logs_loading_once_and_reuses_the_models(engine_settings, caplog, photo):
    registry = Registry()
    with caplog.at_level(logging.INFO, logger="ai_engine"):
        first = registry.backend(engine_settings)
        second = registry.backend(engine_settings)
        from ai_engine import Context

        analyze(photo("coffee"), context=Context(settings=engine_settings, registry=registry))
    assert first is second
    loading = [r for r in caplog.records if r.getMessage() == "Loading AI models..."]
    assert len(loading) == 1
    assert loading[0].levelno == logging.INFO and loading[0].name == "ai_engine"


def test_it_loads_once_under_concurrent_first_calls(engine_settings, caplog):
    import threading

    registry = Registry()
    found = []
    with caplog.at_level(logging.INFO, logger="ai_engine"):
        threads = [
            threading.Thread(target=lambda: found.append(registry.backend(engine_settings)))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len({id(b) for b in found}) == 1
    assert [r.getMessage() for r in caplog.records].count("Loading AI models...") == 1


def test_onnx_telemetry_is_off_after_loading(registry):
    assert "onnxruntime" in sys.modules  # loaded by the registry
    assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"


def test_onnx_telemetry_is_off_before_onnxruntime_is_imported(tmp_path):
    # A fresh process whose environment lacks the variable: record its value at the
    # moment onnxruntime is first imported, while the registry loads the models.
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, sys\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'onnxruntime' and not seen:\n"
        "            seen.append(os.environ.get('ORT_DISABLE_TELEMETRY'))\n"
        "        return None\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from ai_engine import EngineSettings, get_registry\n"
        "get_registry().backend(EngineSettings())\n"
        "print(seen, os.environ.get('ORT_DISABLE_TELEMETRY'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    assert run_python([str(probe)], env).strip().splitlines()[-1] == "['1'] 1"


def test_the_process_registry_is_one_object():
    assert get_registry() is get_registry()


def test_it_reports_every_model_of_the_offline_backend(engine_settings, registry, photo):
    reports = registry.report(engine_settings, sample_image=photo("astronaut"))
    by_name = {r.name: r for r in reports}
    assert set(by_name) == {"classifier", "faces", "ocr", "nsfw", "places", "face_embed", "smiles"}
    for report in reports:
        assert report.ok, report.as_line()
        assert os.path.isfile(report.path)
        assert report.device == "cpu"
        assert report.sample_s is not None and report.sample_s >= 0
        assert report.as_line().startswith("OK")


def test_it_reports_missing_weights(engine_settings, monkeypatch):
    from ai_engine.offline.classifier import Classifier

    monkeypatch.setattr(Classifier, "weights_path", lambda self: "/nonexistent/lite0.pth")
    reports = {r.name: r for r in Registry().report(engine_settings)}
    classifier = reports["classifier"]
    assert not classifier.present and not classifier.loads
    assert "missing" in classifier.error
    assert classifier.as_line().startswith("FAIL")


def test_missing_weights_raise_model_unavailable(monkeypatch):
    from ai_engine.offline.classifier import Classifier

    monkeypatch.setattr(Classifier, "weights_path", lambda self: "/nonexistent/lite0.pth")
    try:
        Registry().backend(EngineSettings(threads=1))
    except ModelUnavailable as exc:
        assert "classifier" in str(exc)
    else:
        raise AssertionError("expected ModelUnavailable")


def test_the_rules_table_names_only_real_imagenet_classes():
    # load_rules raises on any class name or range that is not ImageNet-1k's.
    rules = load_rules(class_names())
    assert rules.ancestors["tabby cat"] == {"cat", "mammal", "pet", "animal"}
    assert rules.ancestors["daisy"] == {"flower", "plant"}
    assert rules.ancestors["cattle"] == {"farm animal", "mammal", "animal"}
    assert rules.ancestors["church"] == {"building", "architecture"}


def test_the_rules_sum_related_classes(registry):
    import numpy as np

    rules = load_rules(class_names())
    probs = np.zeros(1000, dtype=np.float32)
    # Unsure which cat: the five cat classes at 0.25, 0.2, 0.15, 0.15, 0.1. Breeds of one
    # animal split a sure "cat"; and a sure cat is an animal, a mammal and a pet.
    probs[281:286] = [0.25, 0.2, 0.15, 0.15, 0.1]
    found = {t.name: t.score for t in rules.apply(probs)}
    assert found["cat"] == pytest.approx(0.85)
    assert found["animal"] == found["mammal"] == found["pet"] == found["cat"]
    assert "tabby cat" not in found  # 0.25 < its 0.4 threshold


def test_grouped_tags_need_one_convincing_class(registry):
    import numpy as np

    rules = load_rules(class_names())
    probs = np.zeros(1000, dtype=np.float32)
    # A green leaf: 0.3 "ladybug" and a little of many other insects sum to 0.6.
    probs[301] = 0.3
    probs[308:320] = 0.025
    names = {t.name for t in rules.apply(probs)}
    assert not names & {"insect", "ladybug", "beetle", "animal"}
    # A cathedral read as "palace" is a historic building, not a palace or a castle.
    probs = np.zeros(1000, dtype=np.float32)
    probs[rules.index["palace"][0]] = 0.47
    probs[rules.index["monastery"][0]] = 0.18
    names = {t.name for t in rules.apply(probs)}
    assert {"building", "historic", "architecture"} <= names
    assert not names & {"castle", "church", "palace"}


def test_the_rules_ignore_a_thin_spread(registry):
    import numpy as np

    rules = load_rules(class_names())
    probs = np.zeros(1000, dtype=np.float32)
    probs[151:269] = 0.6 / 118  # 60% "dog", but no breed above 0.6%: a texture, not a dog
    assert "dog" not in {t.name for t in rules.apply(probs)}


def test_warm_up_loads_everything_once_and_says_so(registry, engine_settings, caplog):
    from ai_engine import warm_up
    from ai_engine.embeddings import _loaded

    caplog.set_level(logging.INFO, logger="ai_engine")
    seconds = warm_up(engine_settings, registry)
    assert registry.is_loaded(engine_settings)
    assert _loaded() is not None  # the search embeddings too
    assert seconds >= 0
    assert any("AI models loaded and warmed up" in r.getMessage() for r in caplog.records)


def test_warm_up_survives_a_backend_it_cannot_load(caplog):
    from ai_engine import warm_up

    caplog.set_level(logging.WARNING, logger="ai_engine")
    settings = EngineSettings(backend="transformers", model_dir="/nonexistent/models")
    warm_up(settings, Registry())  # no exception: the items will report the problem
    assert any("AI warm-up incomplete" in r.getMessage() for r in caplog.records)


def test_a_species_needs_a_dominant_class_else_its_group_is_said(registry):
    import numpy as np

    rules = load_rules(class_names())

    def tags(classes: dict[str, float]) -> set[str]:
        probs = np.zeros(1000, dtype=np.float32)
        for name, p in classes.items():
            probs[rules.index[name][0]] = p
        return {t.name for t in rules.apply(probs)}

    # A duck half read as "goose": a bird, not a goose.
    near_miss = tags({"goose": 0.5, "drake (male duck)": 0.3})
    assert "bird" in near_miss
    assert not near_miss & {"goose", "duck", "drake"}
    # ImageNet's goose class takes every duck that is not a drake: waterfowl, never goose.
    sure_goose = tags({"goose": 0.9})
    assert {"waterfowl", "bird", "animal", "wildlife"} <= sure_goose
    assert "goose" not in sure_goose
    assert {"duck", "waterfowl", "bird"} <= tags({"drake (male duck)": 0.9})
    # Look-alike vehicles: a child's bicycle read as a moped is only a vehicle.
    bicycle = tags({"moped": 0.67, "tricycle": 0.12, "mountain bike": 0.04})
    assert "vehicle" in bicycle and not bicycle & {"motorcycle", "scooter", "moped", "bicycle"}
    assert {"motorcycle", "vehicle"} <= tags({"moped": 0.5, "motor scooter": 0.16})
    # Many bird classes that share a bird ImageNet lacks make a bird; a thin spread doesn't.
    spread = {"kite (bird of prey)": 0.19, "bald eagle": 0.11, "bustard": 0.08, "vulture": 0.08}
    assert "bird" in tags({**spread, "hornbill": 0.05, "hummingbird": 0.05})
    assert "bird" not in tags({"kite (bird of prey)": 0.12, "bald eagle": 0.1, "bustard": 0.08})
    # A dolphin read as a shark is sea life, not a fish; a hedgehog read as a porcupine
    # (ImageNet has no hedgehog) is a mammal, not a porcupine nor a rodent.
    dolphin = tags({"great white shark": 0.8})
    assert "sea life" in dolphin and "fish" not in dolphin
    hedgehog = tags({"porcupine": 0.9})
    assert "mammal" in hedgehog and not hedgehog & {"porcupine", "rodent"}
