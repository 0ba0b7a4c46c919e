"""Result types. Plain dataclasses: cheap to import, easy to store as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ScoredTag:
    name: str
    score: float
    source: str  # classifier, faces, ocr, place, colour, clip, vlm


@dataclass(frozen=True)
class Place:
    city: str
    admin: str
    country_code: str
    distance_km: float


@dataclass(frozen=True)
class FaceFound:
    """One face worth fingerprinting: where it is, how sure the detector was, its
    128-d embedding (dlib's ResNet) and a small JPEG crop for the people pages."""

    box: tuple[float, float, float, float]  # x, y, width, height as fractions of the image
    score: float
    embedding: list[float]
    crop: bytes = b""


@dataclass
class Analysis:
    description: str = ""
    tags: list[ScoredTag] = field(default_factory=list)
    faces: int = 0
    face_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    text: str = ""
    colours: list[str] = field(default_factory=list)
    place: Place | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    taken_at: datetime | None = None
    camera: str | None = None
    width: int = 0
    height: int = 0
    backend: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    duration_s: float | None = None  # videos only
    frames_analysed: int = 0  # videos only
    # Saved to their own table by the album, not in the JSON (see to_dict).
    faces_found: list[FaceFound] = field(default_factory=list)
    # The photo's unit vector in the image-text model's space (transformers backend only),
    # and that model's id; saved to their own columns, not in the JSON.
    image_embedding: list[float] = field(default_factory=list)
    image_model: str = ""

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("faces_found")
        data.pop("image_embedding")
        data.pop("image_model")
        data["taken_at"] = self.taken_at.isoformat() if self.taken_at else None
        data["face_boxes"] = [list(b) for b in self.face_boxes]
        return data


@dataclass
class ModelReport:
    """One line of `check_ai_models`: where a model's weights are and whether they work."""

    name: str
    path: str
    present: bool
    loads: bool = False
    device: str = "cpu"
    load_s: float | None = None
    sample_s: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.present and self.loads and not self.error

    def as_line(self) -> str:
        state = "OK" if self.ok else "FAIL"
        parts = [f"{state:4} {self.name:<12} {self.device:<5}"]
        if self.load_s is not None:
            parts.append(f"load {self.load_s:6.2f}s")
        if self.sample_s is not None:
            parts.append(f"sample {self.sample_s:6.3f}s")
        parts.append(self.path)
        if self.error:
            parts.append(f"- {self.error}")
        return "  ".join(parts)
