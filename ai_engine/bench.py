"""Benchmark of the offline backend on this machine: `python -m ai_engine.bench`.

Not a test: it prints cold load time, memory, warm time per 12-MP JPEG (decode included),
throughput with one and two worker processes, and where the time goes per stage.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from pathlib import Path

PHOTOS = ("chelsea", "coffee", "astronaut", "motorcycle", "page")
SIZE = (4000, 3000)  # 12 megapixels


def make_jpegs(folder: Path) -> list[Path]:
    """12-MP JPEGs made by upscaling scikit-image's photographs."""
    from PIL import Image
    from skimage import data

    paths = []
    for name in PHOTOS:
        pixels = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
        image = Image.fromarray(pixels).convert("RGB").resize(SIZE, Image.Resampling.BICUBIC)
        path = folder / f"{name}-12mp.jpg"
        image.save(path, "JPEG", quality=92)
        paths.append(path)
    return paths


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _worker(args: tuple[list[str], int, int, object]) -> tuple[float, float, int]:
    paths, threads, rounds, barrier = args
    from ai_engine import Context, EngineSettings, analyze, get_registry

    settings = EngineSettings(threads=threads)
    context = Context(settings=settings)
    get_registry().backend(settings)
    analyze(paths[0], context=context)  # warm-up
    barrier.wait()  # type: ignore[attr-defined]
    started = time.perf_counter()
    done = 0
    for _ in range(rounds):
        for path in paths:
            analyze(path, context=context)
            done += 1
    return started, time.perf_counter(), done


def throughput(paths: list[Path], processes: int, threads: int, rounds: int) -> float:
    """Images per second with `processes` workers, each loading its own models."""
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(processes)
        jobs = [([str(p) for p in paths], threads, rounds, barrier)] * processes
        with ctx.Pool(processes) as pool:
            results = pool.map(_worker, jobs)
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    return sum(r[2] for r in results) / (end - start)


def _load() -> str:
    try:
        return ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the photos")
    parser.add_argument("--threads", type=int, default=None, help="per runtime (default 1)")
    parser.add_argument("--skip-processes", action="store_true")
    options = parser.parse_args(argv)

    cores = os.cpu_count() or 1
    rss_start = rss_mb()
    started = time.perf_counter()
    from ai_engine import Context, EngineSettings, analyze, get_registry
    from ai_engine.registry import default_threads

    settings = EngineSettings(threads=options.threads)
    registry = get_registry()
    registry.backend(settings)
    registry.geocoder()
    load_s = time.perf_counter() - started
    rss_loaded = rss_mb()
    threads = settings.threads or default_threads()
    print(f"cores: {cores}, threads per model runtime: {threads}, load average: {_load()}")
    print(f"cold load (imports + all models): {load_s:.2f} s")
    print(f"RSS: {rss_start:.0f} MB before, {rss_loaded:.0f} MB after loading")

    with tempfile.TemporaryDirectory() as tmp:
        paths = make_jpegs(Path(tmp))
        size_mb = statistics.mean(p.stat().st_size for p in paths) / 2**20
        context = Context(settings=settings)
        analyze(paths[0], context=context)  # first inference warms caches
        per_image: list[float] = []
        stages: dict[str, float] = {}
        for _ in range(options.rounds):
            for path in paths:
                t0 = time.perf_counter()
                result = analyze(path, context=context)
                per_image.append(time.perf_counter() - t0)
                for stage, seconds in result.timings.items():
                    if stage != "total":
                        stages[stage] = stages.get(stage, 0.0) + seconds
        mean, median = statistics.mean(per_image), statistics.median(per_image)
        print(
            f"warm, 12-MP JPEG ({SIZE[0]}x{SIZE[1]}, {size_mb:.1f} MB, decode included): "
            f"mean {mean:.3f} s, median {median:.3f} s, "
            f"max {max(per_image):.3f} s over {len(per_image)} runs"
        )
        print(f"RSS after warm runs: {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB")
        total = sum(stages.values())
        print("time per stage (share of model time):")
        for stage, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
            print(
                f"  {stage:<11} {seconds / len(per_image) * 1000:7.1f} ms  {seconds / total:6.1%}"
            )

        if not options.skip_processes:
            for processes in (1, 2):
                rate = throughput(paths, processes, threads, options.rounds)
                print(
                    f"throughput, {processes} process(es) x {threads} thread(s), "
                    f"own models each: {rate:.2f} images/s (load average now {_load()})"
                )


if __name__ == "__main__":
    main()
