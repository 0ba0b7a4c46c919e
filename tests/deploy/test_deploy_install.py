"""deploy/install.sh --prefix: a full file layout, and a second run changes nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

from deploy_helpers import REPO, read_env_file


def snapshot_source(dest: Path) -> Path:
    """This checkout's files, frozen, so edits made meanwhile can't change run two."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def tree(root: Path) -> dict[str, tuple[str, ...]]:
    """Every path under root with its type, mode and content hash or link target."""
    found: dict[str, tuple[str, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = path.lstat()
            mode = oct(stat.S_IMODE(info.st_mode))
            if path.is_symlink():
                found[str(path.relative_to(root))] = ("link", os.readlink(path))
            elif path.is_dir():
                found[str(path.relative_to(root))] = ("dir", mode)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[str(path.relative_to(root))] = ("file", mode, digest)
    return found


def install(source: Path, root: Path) -> str:
    result = subprocess.run(
        [source / "deploy/install.sh", "--prefix", root, "--domain", "photos.example.org"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_it_installs_twice_with_identical_results(tmp_path: Path) -> None:
    source = snapshot_source(tmp_path / "src")
    root = tmp_path / "root"

    first = install(source, root)
    after_first = tree(root)
    second = install(source, root)

    assert tree(root) == after_first
    assert "created" in first
    assert second.rstrip().endswith("install.sh: nothing changed")
    statuses = {line.split()[0] for line in second.splitlines()[:-1]}
    assert statuses <= {"unchanged", "skipped"}


def test_it_lays_out_the_server(tmp_path: Path) -> None:
    root = tmp_path / "root"
    install(snapshot_source(tmp_path / "src"), root)

    for unit in ("web", "celery-worker", "celery-interactive", "celery-beat", "celery-gpu"):
        assert (root / f"etc/systemd/system/photo-album-{unit}.service").is_file()
    assert (root / "etc/logrotate.d/photo-album").is_file()
    assert (root / "opt/photo-album/manage.py").is_file()
    for directory in ("var/lib/photo-album/media", "var/lib/photo-album/static", "var/log/celery"):
        assert (root / directory).is_dir()
    link = root / "etc/nginx/sites-enabled/photo-album.conf"
    assert os.readlink(link) == "/etc/nginx/sites-available/photo-album.conf"
    assert (
        "server_name photos.example.org;"
        in (root / "etc/nginx/sites-available/photo-album.conf").read_text()
    )

    env_file = root / "etc/photo-album/photo-album.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    env = read_env_file(env_file)
    assert len(env["SECRET_KEY"]) >= 50
    assert env["DEBUG"] == "false"
    assert env["ALLOWED_HOSTS"] == "photos.example.org"
    assert env["MEDIA_SERVE_MODE"] == "x-accel-redirect"
    assert env["MEDIA_ROOT"] == "/var/lib/photo-album/media"


def test_it_keeps_an_existing_env_file_and_removes_deleted_code(tmp_path: Path) -> None:
    source = snapshot_source(tmp_path / "src")
    root = tmp_path / "root"
    install(source, root)
    env_file = root / "etc/photo-album/photo-album.env"
    env_file.write_text(env_file.read_text() + "CELERY_WORKER_CONCURRENCY=4\n")
    (source / "photo_album/obsolete.py").write_text("")
    install(source, root)
    (source / "photo_album/obsolete.py").unlink()

    output = install(source, root)

    assert "CELERY_WORKER_CONCURRENCY=4" in env_file.read_text()
    assert not (root / "opt/photo-album/photo_album/obsolete.py").exists()
    assert "1 removed" in output
