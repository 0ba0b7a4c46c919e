"""CUDA for the transformers backend: is a working GPU there, and in which precision.

    python -m ai_engine.cuda    prints the GPU's name and exits 0; without one, says so, exits 1

The exit status is what a GPU worker asks at start (photos.gpu_worker) and what
scripts/run asks before starting one. It is asked in a throwaway process: CUDA once
initialised in a Celery worker's main process cannot be used in the pool processes it
forks, which are the ones that load the models.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

logger = logging.getLogger("ai_engine")


def cuda_device_name() -> str | None:
    """The first GPU's name when CUDA is present and works; None otherwise."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    try:
        torch.zeros(1, device="cuda").add_(1)  # "available" can still fail at first use
    except RuntimeError as exc:
        logger.warning("CUDA is present but not working (%s)", exc)
        return None
    return str(torch.cuda.get_device_name(0))


def pick_dtype(device: str) -> torch.dtype:
    """The precision the models run in on `device`.

    On a GPU, half precision: half the memory of fp32 and the GPU's fast matrix units,
    with scores within a few hundredths of fp32's (tests/engine/test_gpu.py checks it
    on CUDA; not yet run on a GPU). bf16 where the GPU computes it natively (Ampere and
    later), since it keeps fp32's range (no overflow in attention); fp16 on older GPUs,
    which only emulate bf16, slowly. fp32 on the CPU, where half precision is slower,
    not faster.
    """
    import torch

    if device != "cuda":
        return torch.float32
    if torch.cuda.is_bf16_supported(including_emulation=False):
        return torch.bfloat16
    return torch.float16


def on_device(inputs: Mapping[str, Any], device: Any, dtype: torch.dtype) -> dict[str, Any]:
    """A processor's tensors on `device`, the floating ones (pixels) in the model's
    precision; token ids and masks stay integers."""
    return {
        name: value.to(device, dtype) if value.is_floating_point() else value.to(device)
        for name, value in inputs.items()
    }


def main() -> int:
    name = cuda_device_name()
    if name is None:
        print("No working CUDA device.")
        return 1
    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
