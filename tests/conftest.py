from __future__ import annotations

import pytest
from django.conf import settings


def pytest_configure(config: pytest.Config) -> None:
    # The suite proves behaviour on the real PostgreSQL, never on SQLite.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("Run the suite with scripts/test (it points DATABASE_URL at PostgreSQL).", 2)


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Each test writes its media into its own folder, so none leaks into another."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
