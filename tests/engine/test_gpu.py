"""The transformers backend on a GPU: batches, and half precision on CUDA.

The batching runs on any device, so it is proved here on the CPU with the tiny models:
a batch gives what the images give one by one. The half-precision test needs CUDA and
is skipped without it (run it on a GPU machine: it compares with fp32 on the CPU).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ai_engine import Context, EngineSettings, Registry, analyze_video
from ai_engine.cuda import cuda_device_name, pick_dtype
from ai_engine.hf_backend import TransformersBackend

from .conftest import make_video
from .tiny_models import save_tiny_blip, save_tiny_clip, save_tiny_florence2, save_tiny_siglip

torch = pytest.importorskip("torch")

CUDA = cuda_device_name() is not None
IMAGES = ("chelsea", "coffee", "astronaut", "rocket")


@pytest.fixture(scope="module")
def siglip_florence(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    save_tiny_siglip(root / "image-text")
    save_tiny_florence2(root / "captioner")
    return root


@pytest.fixture(scope="module")
def clip_blip(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    save_tiny_clip(root / "image-text")
    save_tiny_blip(root / "captioner")
    return root


def backend_on(model_dir, device: str) -> TransformersBackend:
    settings = EngineSettings(
        backend="transformers", model_dir=str(model_dir), threads=1, device=device
    )
    backend = TransformersBackend(settings, threads=1)
    backend.load()
    return backend


def as_dict(ranked: list[tuple[str, float]]) -> dict[str, float]:
    return dict(ranked)


def assert_scores_close(got: list[tuple[str, float]], want: list[tuple[str, float]], tol: float):
    got_d, want_d = as_dict(got), as_dict(want)
    assert got_d.keys() == want_d.keys()
    worst = max(abs(got_d[word] - want_d[word]) for word in want_d)
    assert worst <= tol, f"a score differs by {worst:.2e} (tolerance {tol:.0e})"


@pytest.mark.parametrize("models", ["siglip_florence", "clip_blip"])
def test_a_batch_scores_and_captions_like_one_by_one(models, photo, request):
    backend = backend_on(request.getfixturevalue(models), "cpu")
    images = [photo(name) for name in IMAGES]

    batch = backend.image_text.scores_batch(images)
    alone = [backend.image_text.scores(image) for image in images]

    assert len(batch) == len(images)
    for got, want in zip(batch, alone, strict=True):
        assert_scores_close(got, want, 1e-5)
    # Each row is its own image's, not one image's scores repeated.
    assert batch[0] != batch[1]

    assert backend.captioner.captions_batch(images) == [
        backend.captioner.caption(image) for image in images
    ]


def test_on_the_cpu_the_models_stay_in_fp32(siglip_florence):
    backend = backend_on(siglip_florence, "cpu")
    for component in (backend.image_text, backend.captioner):
        assert component.device == "cpu"
        assert component.dtype == torch.float32
        assert {p.dtype for p in component.model.parameters()} == {torch.float32}


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("models", ["siglip_florence", "clip_blip"])
def test_on_cuda_half_precision_scores_like_fp32(models, photo, request):
    model_dir = request.getfixturevalue(models)
    gpu, cpu = backend_on(model_dir, "cuda"), backend_on(model_dir, "cpu")
    half = pick_dtype("cuda")
    images = [photo(name) for name in IMAGES]

    assert half in (torch.bfloat16, torch.float16)
    for component in (gpu.image_text, gpu.captioner):
        assert component.device == "cuda"
        assert component.model.dtype == half
    on_gpu = gpu.image_text.scores_batch(images)
    for got, want in zip(on_gpu, [cpu.image_text.scores(image) for image in images], strict=True):
        # bf16 keeps ~3 significant digits, and the rounding grows through the layers: a
        # score (0 to 1) moves by up to a few hundredths. A wrong cast gives NaN or noise.
        assert_scores_close(got, want, 5e-2)
    # The batch on the GPU is still the images one by one (to the precision's rounding).
    for got, image in zip(on_gpu, images, strict=True):
        assert_scores_close(got, gpu.image_text.scores(image), 5e-2)
    captions = gpu.captioner.captions_batch(images)
    assert len(captions) == len(images) and all(isinstance(c, str) for c in captions)


def count_batches(monkeypatch, component, method: str, sizes: list[tuple[str, int]]) -> None:
    """Record the size of every batch `component.method` runs (and run it)."""
    run = getattr(component, method)

    def counted(images, *args, **kwargs):
        sizes.append((method, len(images)))
        return run(images, *args, **kwargs)

    monkeypatch.setattr(component, method, counted)


def test_a_videos_frames_go_through_the_models_in_one_batch(
    siglip_florence, tmp_path, photo, monkeypatch
):
    video = make_video(tmp_path / "clip.mp4", [photo(name) for name in IMAGES[:3]], 3.0)
    settings = EngineSettings(
        backend="transformers", model_dir=str(siglip_florence), threads=1, min_confidence=0.0
    )
    context = Context(settings=settings, registry=Registry())
    backend = context.registry.backend(settings)  # type: ignore[union-attr]
    sizes: list[tuple[str, int]] = []
    count_batches(monkeypatch, backend.image_text, "scores_batch", sizes)
    count_batches(monkeypatch, backend.captioner, "captions_batch", sizes)

    batched = analyze_video(str(video), context=context)
    assert sizes == [("scores_batch", 3), ("captions_batch", 3)]

    sizes.clear()
    monkeypatch.delattr(TransformersBackend, "frames_batched")  # frame after frame instead
    one_by_one = analyze_video(str(video), context=context)
    assert sizes == [("scores_batch", 1), ("captions_batch", 1)] * 3

    assert batched.description == one_by_one.description
    assert {t.name: t.score for t in batched.tags} == pytest.approx(
        {t.name: t.score for t in one_by_one.tags}, abs=1e-3
    )


@pytest.mark.skipif(CUDA, reason="a CUDA GPU is present")
def test_the_cuda_check_says_no_where_there_is_no_gpu():
    # What a worker with PHOTO_ALBUM_GPU=1 and scripts/run ask before using a GPU.
    done = subprocess.run(
        [sys.executable, "-m", "ai_engine.cuda"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stdout.strip() == "No working CUDA device."


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_the_cuda_check_names_the_gpu():
    done = subprocess.run(
        [sys.executable, "-m", "ai_engine.cuda"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert done.stdout.strip() == torch.cuda.get_device_name(0)
