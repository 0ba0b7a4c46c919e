"""Download the transformers backend's models, pinned and verified, into a model directory.

    python -m ai_engine.fetch_models --model-dir DIR            # what models.json pins
    python -m ai_engine.fetch_models --model-dir DIR --record   # pin: resolve, fetch, write hashes

For machines that can reach the model hub (or a mirror named by HF_ENDPOINT); the engine
itself never downloads anything. Each model of ai_engine/models.json lands in
<model-dir>/<key>/ (`image-text`, `captioner`), the layout hf_backend loads.

- Pinned: the hub's file listing is asked for at the manifest's commit hash, and so is every
  file; the hub must answer with that commit (the listing's sha, X-Repo-Commit), so a moved
  branch or tag cannot change what arrives.
- Complete: every file the hub lists at that commit that matches the entry's `include` is
  fetched, whether or not the manifest names it; a file the manifest names that the listing
  lacks is an error (a wrong revision or file name), not a silent skip.
- Verified: each file's sha256 must equal the manifest's, where it gives one, before it is
  moved into place; a mismatch deletes the download and fails. The weights (*.safetensors)
  always carry one.
- Resumable: bytes land in <key>/.partial/<file>.part; a later run continues from there with
  an HTTP Range request instead of starting again.
- Fails fast: an unreachable hub is reported in one line within the connect timeout; the
  offline backend is untouched either way.

A manifest entry whose revision is not a commit hash, or that gives no sha256 for its
weights, is not pinned: the plain fetch refuses it. A small file without a sha256 (named
with "" or only in the hub's listing) is fetched at the pinned commit (the commit fixes its
content) and its hash is printed as "not in the manifest" so that the admin can record it.
`--record` resolves the revision to its commit, takes the hub's sha256 of each LFS file,
downloads and hashes every file, and writes the result back into the manifest (trust on
first use, on a machine the admin trusts).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("models.json")
PIN_FILE = ".pinned.json"  # written beside the weights: what was fetched, at which commit
PARTIAL_DIR = ".partial"
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
WEIGHTS = "*.safetensors"  # the files that must carry a sha256 in a pinned entry
CONNECT_TIMEOUT_S = 10.0


class FetchError(Exception):
    """A fetch that cannot (or must not) complete; the message says why and what to do."""


@dataclass
class ModelPin:
    key: str  # the folder under the model directory, and what hf_backend looks for
    repo: str
    revision: str  # a 40-hex commit hash once pinned; a branch name only before --record
    include: list[str] = field(default_factory=lambda: ["*.json", "*.safetensors", "*.txt"])
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256 ("" = unknown)
    note: str = ""

    def unpinned_reasons(self) -> list[str]:
        reasons = []
        if not COMMIT_RE.match(self.revision):
            reasons.append(f"revision {self.revision!r} is not a commit hash")
        weights = {n: sha for n, sha in self.files.items() if fnmatch.fnmatch(n, WEIGHTS)}
        if not any(SHA256_RE.match(sha) for sha in weights.values()):
            reasons.append(f"no sha256 for any weights file ({WEIGHTS})")
        reasons += [f"no sha256 for {n}" for n, sha in weights.items() if not SHA256_RE.match(sha)]
        return reasons

    def wants(self, name: str) -> bool:
        """Whether a file the hub lists belongs to this model (top level, matches include)."""
        return "/" not in name and any(fnmatch.fnmatch(name, p) for p in self.include)


def load_manifest(path: Path = MANIFEST_PATH) -> list[ModelPin]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return [ModelPin(key=key, **entry) for key, entry in data["models"].items()]


def save_manifest(pins: list[ModelPin], path: Path = MANIFEST_PATH) -> None:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    for pin in pins:
        entry = data["models"][pin.key]
        entry["revision"] = pin.revision
        entry["files"] = dict(sorted(pin.files.items()))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hub_errors() -> tuple[type[BaseException], ...]:
    import httpx2
    from huggingface_hub.errors import OfflineModeIsEnabled

    return (httpx2.TransportError, OfflineModeIsEnabled)


def _unreachable(endpoint: str, exc: BaseException) -> FetchError:
    return FetchError(
        f"Cannot reach the model hub at {endpoint} ({type(exc).__name__}: {exc}). "
        "Nothing was changed; the offline AI backend keeps working. Run this on a machine "
        "with internet access, or set HF_ENDPOINT to a reachable mirror."
    )


def _endpoint() -> str:
    from huggingface_hub import constants

    return os.environ.get("HF_ENDPOINT", constants.ENDPOINT).rstrip("/")


def _listing(pin: ModelPin, endpoint: str, revision: str) -> tuple[str, dict[str, str]]:
    """The commit `revision` names on the hub, and every file it lists there: name -> the
    hub's sha256 for LFS files, "" for the small ones (the hub gives only a git blob id)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        info = HfApi(endpoint=endpoint).model_info(
            pin.repo, revision=revision, files_metadata=True, timeout=CONNECT_TIMEOUT_S
        )
    except _hub_errors() as exc:
        raise _unreachable(endpoint, exc) from exc
    except HfHubHTTPError as exc:
        raise FetchError(f"{pin.repo}@{revision}: {exc}") from exc
    listed = {s.rfilename: s.lfs.sha256 if s.lfs else "" for s in info.siblings or []}
    return str(info.sha), listed


def resolve(pin: ModelPin, endpoint: str) -> ModelPin:
    """The pin with its revision resolved to a commit and its files listed (--record)."""
    commit, listed = _listing(pin, endpoint, pin.revision or "main")
    # The hub's sha256 for LFS files; small files get theirs once downloaded.
    files = {
        name: sha or pin.files.get(name, "") for name, sha in listed.items() if pin.wants(name)
    }
    if not files:
        raise FetchError(f"{pin.repo}@{commit}: no files match {pin.include}")
    return replace(pin, revision=commit, files=files)


def complete(pin: ModelPin, endpoint: str) -> ModelPin:
    """The pin with every file the hub lists at the pinned commit that matches include,
    plus those the manifest names, each with the manifest's sha256 ("" where it gives none)."""
    commit, listed = _listing(pin, endpoint, pin.revision)
    where = f"{pin.repo}@{pin.revision}"
    if commit != pin.revision:
        raise FetchError(f"{pin.repo}: asked for commit {pin.revision}, the hub answered {commit}")
    missing = sorted(set(pin.files) - set(listed))
    if missing:
        raise FetchError(
            f"{where}: the manifest names {', '.join(missing)}, which the hub does not list "
            "at this commit; check the revision and the file names in the manifest. "
            "Nothing was downloaded."
        )
    # The manifest's sha256 wins; what it does not name arrives unverified but at the commit.
    files = {name: "" for name in listed if pin.wants(name)} | pin.files
    unverified = sorted(n for n, sha in files.items() if fnmatch.fnmatch(n, WEIGHTS) and not sha)
    if unverified:
        raise FetchError(
            f"{where}: the hub lists weights the manifest gives no sha256 for: "
            f"{', '.join(unverified)}; add them, or run once with --record on a machine you "
            "trust. Nothing was downloaded."
        )
    return replace(pin, files=files)


def download_file(
    pin: ModelPin,
    name: str,
    target: Path,
    endpoint: str,
    *,
    expected_sha256: str,
    recorded_sha256: str = "",
    say: Callable[[str], None],
) -> str:
    """Fetch one file at the pinned commit into target/name; return its sha256.

    recorded_sha256: what the last fetch of this same commit found, for a file the manifest
    has no sha256 for; a file still matching it is not fetched again.
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import HfHubHTTPError
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    dest = target / name
    if dest.is_file() and (expected_sha256 or recorded_sha256):
        digest = sha256_of(dest)
        if digest == expected_sha256:
            say(f"  {name}: present, sha256 verified")
            return digest
        if not expected_sha256 and digest == recorded_sha256:
            say(f"  {name}: present, as fetched before at this commit")
            return digest
    url = hf_hub_url(pin.repo, name, revision=pin.revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(url, timeout=CONNECT_TIMEOUT_S, endpoint=endpoint)
    except _hub_errors() as exc:
        raise _unreachable(endpoint, exc) from exc
    except HfHubHTTPError as exc:
        raise FetchError(f"{pin.repo}@{pin.revision}: {name}: {exc}") from exc
    if meta.commit_hash and meta.commit_hash != pin.revision:
        raise FetchError(
            f"{pin.repo}: asked for commit {pin.revision}, the hub answered {meta.commit_hash}"
        )
    part = target / PARTIAL_DIR / f"{name}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    with open(part, "ab") as fh:
        done = fh.tell()
        if meta.size is not None and done > meta.size:  # not a prefix of this file: start over
            fh.truncate(0)
            done = 0
        if done:
            say(f"  {name}: resuming at byte {done} of {meta.size}")
        interrupted: tuple[type[BaseException], ...] = (*_hub_errors(), HfHubHTTPError)
        try:
            http_get(
                meta.location,
                fh,
                resume_size=done,
                headers=build_hf_headers(),
                expected_size=meta.size,
                displayed_filename=name,
            )
        except interrupted as exc:
            raise FetchError(
                f"{pin.repo}: {name}: download interrupted ({exc}); run the command again "
                "to resume where it stopped"
            ) from exc
    digest = sha256_of(part)
    if expected_sha256 and digest != expected_sha256:
        part.unlink()
        raise FetchError(
            f"{pin.repo}@{pin.revision}: {name}: sha256 {digest} does not match the manifest's "
            f"{expected_sha256}; the download was deleted and nothing was installed"
        )
    os.replace(part, dest)
    state = "verified" if expected_sha256 else "not in the manifest (record it)"
    say(f"  {name}: {meta.size} bytes, sha256 {digest} {state}")
    return digest


def _recorded(target: Path, pin: ModelPin) -> dict[str, str]:
    """The sha256s the last fetch into target wrote, if it fetched this same commit."""
    try:
        last = json.loads((target / PIN_FILE).read_text())
    except (OSError, ValueError):
        return {}
    same = last.get("repo") == pin.repo and last.get("revision") == pin.revision
    return dict(last.get("files") or {}) if same else {}


def fetch(
    pins: list[ModelPin],
    model_dir: Path,
    *,
    record: bool = False,
    endpoint: str | None = None,
    say: Callable[[str], None] = print,
) -> list[ModelPin]:
    """Fetch every pinned model; with record=True, pin them first. Returns the pins used."""
    from huggingface_hub import constants

    if constants.is_offline_mode():
        raise FetchError(
            "HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set in this environment, so no "
            "download is allowed; unset it for this command. The offline AI backend keeps working."
        )
    endpoint = endpoint or _endpoint()
    if not record:
        problems = [f"{p.key} ({p.repo}): {r}" for p in pins for r in p.unpinned_reasons()]
        if problems:
            raise FetchError(
                "The manifest does not pin every model: "
                + "; ".join(problems)
                + ". Fill in the revision and sha256 values, or run once with --record "
                "on a machine you trust to pin what the hub serves now."
            )
    # Every model's listing first: a wrong pin fails before any large download starts.
    pins = [resolve(pin, endpoint) if record else complete(pin, endpoint) for pin in pins]
    used = []
    for pin in pins:
        target = model_dir / pin.key
        target.mkdir(parents=True, exist_ok=True)
        say(f"{pin.key}: {pin.repo}@{pin.revision[:12]} -> {target}")
        started = time.perf_counter()
        recorded = _recorded(target, pin)
        hashes = {
            name: download_file(
                pin,
                name,
                target,
                endpoint,
                expected_sha256=sha,
                recorded_sha256=recorded.get(name, ""),
                say=say,
            )
            for name, sha in sorted(pin.files.items())
        }
        if (target / PARTIAL_DIR).is_dir() and not any((target / PARTIAL_DIR).iterdir()):
            (target / PARTIAL_DIR).rmdir()
        pin = replace(pin, files=hashes)
        (target / PIN_FILE).write_text(
            json.dumps({"repo": pin.repo, "revision": pin.revision, "files": hashes}, indent=2)
        )
        say(f"{pin.key}: done in {time.perf_counter() - started:.1f}s")
        used.append(pin)
    return used


def fetch_manifest(
    model_dir: str | Path,
    *,
    manifest: str | Path = MANIFEST_PATH,
    only: str | None = None,
    record: bool = False,
    say: Callable[[str], None] = print,
) -> list[ModelPin]:
    """What both entry points run: load the pins, fetch, and with record=True save them."""
    _progress_bars_on()
    manifest = Path(manifest)
    pins = [p for p in load_manifest(manifest) if only in (None, p.key)]
    used = fetch(pins, Path(model_dir), record=record, say=say)
    if record:
        save_manifest(used, manifest)
        say(f"Pinned {len(used)} model(s) in {manifest}.")
    return used


def _progress_bars_on() -> None:
    """A person runs this and watches the download: undo what keeps progress bars out of
    the workers' logs (photo_album/settings.py sets these for every Django process).
    Before tqdm is imported, which reads TQDM_* once, at import."""
    os.environ.pop("TQDM_DISABLE", None)
    os.environ.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    from huggingface_hub.utils import enable_progress_bars

    enable_progress_bars()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", default=str(MANIFEST_PATH), help="pins (models.json)")
    parser.add_argument(
        "--only", choices=["image-text", "captioner"], help="fetch one model, not both"
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="resolve revisions to commits, fetch, and write commits and sha256s to the manifest",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Download the pinned image-text model and captioner for the AI engine."
    )
    parser.add_argument("--model-dir", required=True, help="where to put the models")
    add_arguments(parser)
    options = parser.parse_args(argv)
    try:
        fetch_manifest(
            options.model_dir, manifest=options.manifest, only=options.only, record=options.record
        )
    except FetchError as exc:
        print(f"fetch_models: {exc}", file=sys.stderr)
        return 1
    print("Done. Set the AI backend to 'transformers' with this model directory.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
