"""The admin docs name only management commands (and options) that exist."""

from __future__ import annotations

import re
import shlex

import pytest
from deploy_helpers import REPO
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError

DOCS = sorted((REPO / "docs").rglob("*.md"))
# `python manage.py NAME args`, up to a comment, pipe, backtick or line end.
COMMAND = re.compile(r"python manage\.py ([a-z_]+)([^`#|\n]*)")


def documented_commands() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for match in COMMAND.finditer(doc.read_text()):
            found.append((str(doc.relative_to(REPO)), match[1], match[2].strip()))
    return found


def test_it_finds_the_guides() -> None:
    names = {doc.relative_to(REPO).as_posix() for doc in DOCS}
    assert {"docs/getting-started/INSTALL.md", "docs/admin-guides/CELERY.md"} <= names
    install = (REPO / "docs/getting-started/INSTALL.md").read_text()
    assert "\n## 8. Celery workers, beat and AI models\n" in install
    assert len(documented_commands()) > 10


@pytest.mark.parametrize(
    ("doc", "name", "args"), documented_commands(), ids=lambda value: value or "-"
)
def test_it_documents_only_existing_commands(doc: str, name: str, args: str) -> None:
    commands = get_commands()
    assert name in commands, f"{doc}: `manage.py {name}` does not exist"
    command = load_command_class(commands[name], name)
    parser = command.create_parser("manage.py", name)
    try:
        parser.parse_args(shlex.split(args))
    except (CommandError, SystemExit) as exc:
        pytest.fail(f"{doc}: `manage.py {name} {args}` does not parse: {exc}")
