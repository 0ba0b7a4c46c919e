"""scripts/run's defaults and scripts/manage: what a new user runs first."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

from deploy_helpers import REPO


def defaults_secret(cwd: Path, **env: str) -> str:
    (cwd / ".venv").exists() or (cwd / ".venv").symlink_to(REPO / ".venv")
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | env
    return subprocess.run(
        ["bash", "-c", f'. "{REPO}/scripts/defaults"; printf %s "$SECRET_KEY"'],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_it_makes_one_random_secret_key_and_keeps_it(tmp_path: Path) -> None:
    first = defaults_secret(tmp_path)
    again = defaults_secret(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    elsewhere = defaults_secret(other)

    assert len(first) >= 50 and first == again
    assert elsewhere != first
    assert "insecure" not in first
    mode = stat.S_IMODE((tmp_path / "var/secret_key").stat().st_mode)
    assert mode == 0o600


def test_a_secret_key_from_the_environment_wins(tmp_path: Path) -> None:
    assert defaults_secret(tmp_path, SECRET_KEY="from-the-env") == "from-the-env"
    assert not (tmp_path / "var/secret_key").exists()


def test_scripts_manage_runs_the_checklists_shell_commands() -> None:
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL)"
    result = subprocess.run(
        [REPO / "scripts/manage", "shell", "-c", code],
        cwd="/",  # from anywhere
        env={**os.environ, "SECRET_KEY": "test-key"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == os.environ.get(
        "CELERY_BROKER_URL", "redis://localhost:6379/0"
    )


def test_the_readme_shows_how_to_run_the_checklists_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert ". .venv/bin/activate" in readme
    assert "scripts/manage check_ai_models" in readme


def test_install_shows_progress_instead_of_silence() -> None:
    install = (REPO / "scripts/install").read_text()
    pip_lines = [line for line in install.splitlines() if "pip install" in line]
    assert pip_lines and not [line for line in pip_lines if " -q" in line]
    assert 'step "' in install


def test_the_guides_point_only_to_sections_that_exist() -> None:
    docs = sorted((REPO / "docs").rglob("*.md"))
    headings = {
        doc.name: {
            line.lstrip("#").strip()
            for line in doc.read_text().splitlines()
            if line.startswith("#")
        }
        for doc in docs
    }
    for doc in docs:
        for section, target in re.findall(
            r'"([^"]+)" in `docs/[\w/-]+/([\w-]+\.md)`', doc.read_text()
        ):
            assert section in headings[target], f"{doc.name}: no section {section!r} in {target}"


def test_no_guide_has_text_glued_to_a_closing_code_fence() -> None:
    for doc in sorted((REPO / "docs").rglob("*.md")):
        lines = doc.read_text().splitlines()
        fences = [n for n, line in enumerate(lines) if line.startswith("```")]
        for closing in fences[1::2]:
            after = lines[closing + 1] if closing + 1 < len(lines) else ""
            assert not after.startswith(" "), f"{doc.name}:{closing + 2}: {after!r}"
