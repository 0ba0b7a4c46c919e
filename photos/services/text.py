"""Text that may reach PostgreSQL from outside: what is refused, what is cleaned."""

from __future__ import annotations

import re
from collections.abc import Iterable

# C0 and C1 control characters but tab, newline and carriage return: PostgreSQL
# refuses NUL in text outright (a DataError, so a 500), and the others are never
# meant in a name, a tag, a title or a search.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(values: Iterable[str]) -> bool:
    return any(CONTROL.search(value) for value in values)
