"""The seam between the app and where media bytes live (local disk or an S3-compatible bucket).

Everything else reads and writes media through Django's storage API
(`default_storage`, `FieldFile.storage.open()`), which both backends speak. What
only one backend can do is here: a presigned URL for the media view's redirect,
and copying a local library into the bucket (`manage.py media_copy_to_storage`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage

from photos.kinds import kind_of
from photos.models import Face, MediaItem
from photos.services.uploads import sha256_of


def signed_url(
    storage: Storage, name: str, *, content_type: str, disposition: str, cache_control: str
) -> str:
    """A short-lived GET URL for one object; the bucket answers with these headers.

    Only the S3 backend signs (its querystring_expire is MEDIA_URL_EXPIRE); the
    caller has checked access, and the URL names this object and nothing else.
    """
    parameters = {
        "ResponseContentType": content_type,
        "ResponseCacheControl": cache_control,
        "ResponseContentDisposition": disposition,
    }
    url: str = storage.url(name, parameters=parameters)  # type: ignore[call-arg]
    return url


def stored_sha256(storage: Storage, name: str) -> str | None:
    """The object's checksum, read back byte by byte; None when it isn't there."""
    if not storage.exists(name):
        return None
    with storage.open(name, "rb") as file:
        return sha256_of(file)


def storage_unavailable(exc: BaseException) -> bool:
    """Whether a storage error may pass: the bucket did not answer, throttled or failed
    (5xx). A missing object is FileNotFoundError and a refused key is final."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        return status >= 500 or status in {408, 429}
    return isinstance(exc, BotoCoreError)


# --- copying a local library into the configured storage ---------------------------------


@dataclass
class CopyReport:
    copied: int = 0
    present: int = 0  # already in the storage with the same checksum
    to_copy: int = 0  # --dry-run: would be copied
    missing: int = 0  # in the database, in neither place
    failed: list[str] = field(default_factory=list)  # checksum mismatches, with why

    @property
    def files(self) -> int:
        return self.copied + self.present + self.to_copy + self.missing + len(self.failed)


def library_names() -> Iterator[tuple[str, str]]:
    """(stored name, sha256 recorded at upload or "") of every media file the database names."""
    items = MediaItem.objects.only("kind", "original", "thumbnail", "poster", "checksum_sha256")
    for item in items.order_by("pk").iterator(chunk_size=500):
        for variant in kind_of(item).variants:
            name = getattr(item, variant).name
            if name:
                yield name, item.checksum_sha256 if variant == "original" else ""
    for crop in Face.objects.exclude(crop="").order_by("pk").values_list("crop", flat=True):
        yield crop, ""


def library_copy(
    source: Path,
    storage: Storage,
    *,
    dry_run: bool = False,
    on_file: Callable[[str, str], None] = lambda name, outcome: None,
) -> CopyReport:
    """Copy every media file from the local folder `source` into `storage`, verified.

    Idempotent and resumable: a file already stored with the same SHA-256 is left
    alone, so a run that stopped half way is simply run again. Each copy is read
    back from the storage and compared; an original must also match the checksum
    recorded at upload, so a file damaged on disk is reported, never copied.
    """
    report = CopyReport()
    for name, recorded in library_names():
        outcome = file_copy(source / name, name, recorded, storage, dry_run=dry_run)
        if outcome in {"copied", "present", "to_copy", "missing"}:
            setattr(report, outcome, getattr(report, outcome) + 1)
        else:
            report.failed.append(f"{name}: {outcome}")
        on_file(name, outcome)
    return report


def file_copy(local: Path, name: str, recorded: str, storage: Storage, *, dry_run: bool) -> str:
    """One file's outcome: copied, present, to_copy, missing, or why it failed."""
    local_sha = file_sha256(local)
    if local_sha and recorded and local_sha != recorded:
        return "the local file differs from the checksum recorded at upload"
    wanted = local_sha or recorded
    stored_sha = stored_sha256(storage, name)
    if stored_sha is not None and (not wanted or stored_sha == wanted):
        return "present"
    if local_sha is None:
        return "missing" if stored_sha is None else "stored copy differs and no local file"
    if dry_run:
        return "to_copy"
    if stored_sha is not None:  # a damaged copy from elsewhere: replace it
        storage.delete(name)
    with local.open("rb") as file:
        saved = storage.save(name, File(file, name=name))
    if saved != name:
        storage.delete(saved)
        return f"the storage renamed it to {saved}"
    if stored_sha256(storage, name) != local_sha:
        return "the stored copy's checksum differs from the local file's"
    return "copied"


def file_sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as file:
            return sha256_of(file)
    except FileNotFoundError:
        return None
