"""The throwaway PostgreSQL database each benchmark script fills, times and drops."""

from __future__ import annotations

import os

SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def database_url(name: str) -> str:
    return f"{SERVER_URL}/{name}"


def database_create(name: str) -> None:
    """A fresh, empty database (one left by an interrupted run is dropped first)."""
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def database_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def worker_environment(*, db_name: str, broker_url: str, media_root: str) -> dict[str, str]:
    """What a benchmark's Django and `celery worker` processes run with (plain HTTP,
    quiet logs, no ONNX telemetry)."""
    return {
        "DJANGO_SETTINGS_MODULE": "photo_album.settings",
        "DATABASE_URL": database_url(db_name),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "MEDIA_ROOT": media_root,
        "HTTPS": "false",
        "ORT_DISABLE_TELEMETRY": "1",
        "LOG_LEVEL": "WARNING",
    }
