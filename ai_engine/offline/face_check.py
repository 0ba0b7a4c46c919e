"""A second look at each detected face before it becomes "person": an apple is not a face.

BlazeFace fires on round, shaded things (fruit, balls, knots in wood). A detection is
kept when NudeNet's own detector also sees a face there, or when it is sure, shaped
like a face (box aspect, eyes level and apart, nose and mouth below them) and, in a
colour photo, enough of its box is skin-coloured. Where neither finds a face, dlib's
HOG detector gets a say: a face it is sure of, skin-coloured in a colour photo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .faces import Face

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

Box = tuple[float, float, float, float]

AGREE_IOU = 0.25  # overlap with a NudeNet face box that counts as the same face
AGREE_SCORE = 0.3  # NudeNet's face score that is enough when the boxes agree
SURE_SCORE = 0.78  # BlazeFace score needed without NudeNet's agreement
NUDENET_ALONE_SCORE = 0.5  # a NudeNet face BlazeFace did not see counts from this score
MIN_SKIN = 0.22  # share of skin-coloured pixels in the face box (colour photos)
HOG_SURE_SCORE = 0.8  # dlib HOG margin: stone and fur faces stay below ~0.6 on the eval sets
MIN_ASPECT, MAX_ASPECT = 0.55, 1.7  # face box width / height in pixels


def iou(a: Box, b: Box) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    h = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def skin_share(pixels: np.ndarray, box: Box) -> float:
    """Share of the box's pixels within the usual YCrCb skin range (all skin tones)."""
    import numpy as np

    h, w = pixels.shape[:2]
    x0, y0 = int(box[0] * w), int(box[1] * h)
    x1, y1 = max(x0 + 1, int((box[0] + box[2]) * w)), max(y0 + 1, int((box[1] + box[3]) * h))
    patch = pixels[y0:y1, x0:x1].astype(np.float32)
    if patch.size == 0:
        return 0.0
    r, g, b = patch[..., 0], patch[..., 1], patch[..., 2]
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    skin = (cr >= 133) & (cr <= 178) & (cb >= 77) & (cb <= 130) & (r > 40)
    return float(skin.mean())


def face_shaped(face: Face, size: tuple[int, int]) -> bool:
    width, height = size
    bw, bh = face.box[2] * width, face.box[3] * height
    if bh <= 0 or not MIN_ASPECT <= bw / bh <= MAX_ASPECT:
        return False
    if len(face.keypoints) < 4:
        return True  # nothing more to check
    (rx, ry), (lx, ly), (nx, ny), (mx, my) = (
        (x * width, y * height) for x, y in face.keypoints[:4]
    )
    eye_gap = ((rx - lx) ** 2 + (ry - ly) ** 2) ** 0.5
    if not 0.18 * bw <= eye_gap <= 0.7 * bw:
        return False
    if abs(ry - ly) > 0.5 * eye_gap:  # eyes roughly level (a tilted head is fine)
        return False
    eyes_y = (ry + ly) / 2
    # Nose and mouth below the eyes, the mouth below the nose (allowing a tilt).
    return bool(
        ny > eyes_y - 0.1 * eye_gap and my > ny - 0.1 * eye_gap and my - eyes_y > 0.3 * eye_gap
    )


def nudenet_only(
    kept: list[Face], image: Image.Image, nudenet_faces: list[tuple[Box, float]], bw: bool
) -> list[Face]:
    """Faces NudeNet is sure of that BlazeFace missed (small or turned faces in a group)."""
    import numpy as np

    pixels = np.asarray(image.convert("RGB"))
    extra: list[Face] = []
    for box, score in nudenet_faces:
        if score < NUDENET_ALONE_SCORE or any(iou(box, f.box) >= AGREE_IOU for f in kept + extra):
            continue
        face = Face(box=box, score=score)
        if face_shaped(face, image.size) and (bw or skin_share(pixels, box) >= MIN_SKIN):
            extra.append(face)
    return extra


def confirm(
    faces: list[Face],
    image: Image.Image,
    nudenet_faces: list[tuple[Box, float]],
    black_and_white: bool,
) -> list[Face]:
    """The faces that pass the second check (see module doc)."""
    import numpy as np

    if not faces:
        return []
    pixels = np.asarray(image.convert("RGB"))
    kept = []
    for face in faces:
        agreed = any(
            score >= AGREE_SCORE and iou(face.box, box) >= AGREE_IOU for box, score in nudenet_faces
        )
        if agreed:
            kept.append(face)
            continue
        if face.score < SURE_SCORE or not face_shaped(face, image.size):
            continue
        if black_and_white or skin_share(pixels, face.box) >= MIN_SKIN:
            kept.append(face)
    if kept or nudenet_faces:
        kept += nudenet_only(kept, image, nudenet_faces, black_and_white)
    return kept


def confirm_hog(faces: list[Face], image: Image.Image, black_and_white: bool) -> list[Face]:
    """dlib HOG faces (the fallback when the other two see none) that pass the same checks."""
    import numpy as np

    sure = [f for f in faces if f.score >= HOG_SURE_SCORE and face_shaped(f, image.size)]
    if not sure or black_and_white:
        return sure
    pixels = np.asarray(image.convert("RGB"))
    return [f for f in sure if skin_share(pixels, f.box) >= MIN_SKIN]
