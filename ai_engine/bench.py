"""Benchmark of the offline backend on this machine: `python -m ai_engine.bench`.

Not a test. Two modes:
- `--mode 12mp` (default): cold load time, memory, warm time per 12-MP JPEG (decode included),
  throughput with one and two worker processes, and where the time goes per stage.
- `--real` (`--mode real`): the real photographs of the evaluation set (ai_engine/evalset/),
  warm, in one process: median and p90 seconds per photo, where the time goes per stage, peak
  RSS, cold load time, and the first item after loading against the second.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from pathlib import Path

from ai_engine.evaluate import SETS

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


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.9 for p90)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def stage_split(runs: list[dict[str, float]]) -> list[tuple[str, float, float, int]]:
    """Per stage: mean ms per photo, share of the staged time, and on how many photos it ran."""
    totals: dict[str, float] = {}
    ran: dict[str, int] = {}
    for timings in runs:
        for stage, seconds in timings.items():
            if stage == "total":
                continue
            totals[stage] = totals.get(stage, 0.0) + seconds
            ran[stage] = ran.get(stage, 0) + 1
    everything = sum(totals.values()) or 1.0
    rows = [(k, v / len(runs) * 1000, v / everything, ran[k]) for k, v in totals.items()]
    return sorted(rows, key=lambda row: -row[1])


def bench_real(set_name: str, rounds: int, threads: int | None) -> None:
    """Warm seconds per real photo of the evaluation set, in this one process."""
    from ai_engine.evaluate import photo_set

    paths = [path for _, path, _ in photo_set(set_name)]
    megapixels = statistics.median(_megapixels(p) for p in paths)
    rss_start = rss_mb()
    started = time.perf_counter()
    from ai_engine import Context, EngineSettings, analyze, get_registry

    settings = EngineSettings(threads=threads)
    registry = get_registry()
    registry.backend(settings)
    registry.geocoder()
    load_s = time.perf_counter() - started
    rss_loaded = rss_mb()
    print(f"cores: {os.cpu_count() or 1}, load average: {_load()}")
    print(
        f"evaluation set '{set_name}': {len(paths)} real photos "
        f"(median {megapixels:.2f} MP, decode included)"
    )
    print(f"cold load (imports + all models): {load_s:.2f} s")
    print(f"RSS: {rss_start:.0f} MB before, {rss_loaded:.0f} MB after loading")

    context = Context(settings=settings)
    firsts = []
    for path in paths[:2]:  # the first two items after loading, as a fresh worker sees them
        t0 = time.perf_counter()
        analyze(path, context=context)
        firsts.append(time.perf_counter() - t0)

    per_photo: list[float] = []
    runs: list[dict[str, float]] = []
    warm_of: dict[Path, list[float]] = {}
    for _ in range(rounds):
        for path in paths:
            t0 = time.perf_counter()
            result = analyze(path, context=context)
            seconds = time.perf_counter() - t0
            per_photo.append(seconds)
            warm_of.setdefault(path, []).append(seconds)
            runs.append(result.timings)

    print(
        f"first item after load: {firsts[0]:.3f} s ({paths[0].name}), "
        f"second: {firsts[1]:.3f} s ({paths[1].name}); "
        f"the same photos warm: {statistics.median(warm_of[paths[0]]):.3f} s, "
        f"{statistics.median(warm_of[paths[1]]):.3f} s"
    )
    print(
        f"warm, per photo over {len(per_photo)} runs: median {statistics.median(per_photo):.3f} s, "
        f"p90 {percentile(per_photo, 0.9):.3f} s, mean {statistics.mean(per_photo):.3f} s, "
        f"max {max(per_photo):.3f} s"
    )
    print(f"RSS after warm runs: {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB")
    print("time per stage (mean per photo, share of staged time, photos it ran on):")
    for stage, ms, share, count in stage_split(runs):
        print(f"  {stage:<11} {ms:7.1f} ms  {share:6.1%}  {count}/{len(runs)}")
    slowest = sorted(warm_of.items(), key=lambda kv: -statistics.median(kv[1]))[:5]
    print(
        "slowest photos: " + ", ".join(f"{p.name} {statistics.median(s):.2f} s" for p, s in slowest)
    )


def _megapixels(path: Path) -> float:
    from PIL import Image

    with Image.open(path) as image:
        return image.width * image.height / 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("12mp", "real"), default="12mp")
    parser.add_argument("--real", action="store_true", help="same as --mode real")
    parser.add_argument(
        "--set",
        choices=(*SETS, "all"),
        default="all",
        dest="set_name",
        help="real mode: which photos of the evaluation set",
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="passes over the photos (12mp: 3, real: 1)"
    )
    parser.add_argument("--threads", type=int, default=None, help="per runtime (default 1)")
    parser.add_argument("--skip-processes", action="store_true", help="12mp mode only")
    options = parser.parse_args(argv)
    if options.real or options.mode == "real":
        bench_real(options.set_name, options.rounds or 1, options.threads)
        return
    options.rounds = options.rounds or 3

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
