"""Production settings, as install.sh writes them, pass `manage.py check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from deploy_helpers import REPO, read_env_file, server_paths, substitute


def test_it_passes_check_deploy_with_the_installed_env_file(
    tmp_path: Path, installed_env_file: Path
) -> None:
    production = read_env_file(installed_env_file)
    env = os.environ | {k: substitute(v, server_paths(tmp_path)) for k, v in production.items()}
    # The one thing that differs from the server: this machine's PostgreSQL.
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    # The browser tests' switch (tests/conftest.py) is no part of a production environment.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert env["DEBUG"] == "false" and env["HTTPS"] == "true"

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr
