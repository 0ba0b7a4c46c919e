"""Photo Album settings: one module, every deployment-specific value from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from photo_album.env import env_bool, env_int, env_list, env_str
from photo_album.media_storage import MEDIA_SERVE_MODES, media_csp_sources, media_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PHOTO_ALBUM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET and env_bool("REQUIRE_SECRET_KEY", False):
    raise ImproperlyConfigured("SECRET_KEY must be set when REQUIRE_SECRET_KEY is on")
# Encrypts the stored AI API key (photos.services.secrets); set it on its own to
# rotate SECRET_KEY without re-entering the key.
AI_KEY_SECRET = env_str("AI_KEY_SECRET", SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "photos",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # NUL and other control characters in a path or a field: a clear 400, not a 500.
    "photos.middleware.ControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Every page needs a login, except the login page itself (Django 5.1+).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "photo_album.urls"
WSGI_APPLICATION = "photo_album.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite when DATABASE_URL is unset, so the app runs with no set-up at all.
if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords a user
# name, and separately an address, is locked out for LOGIN_LOCKOUT_MINUTES; the
# check comes before the password hash, so a locked-out flood costs no CPU.
# Unlock early in /admin/ (Axes > Access attempts: delete) or with
# `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "photos.client_ip.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "api_key"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "album-list"
LOGOUT_REDIRECT_URL = "login"

# Also the default language of the AI's descriptions and tags (photos.languages).
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en-us")
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))

# Media is private: there is deliberately no MEDIA_URL route. Every original,
# thumbnail and poster is served by photos.views.media, which checks access.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Where originals, thumbnails, posters and face crops live: "local" (MEDIA_ROOT, the
# default) or "s3" (an S3-compatible bucket: AWS S3, MinIO, Ceph, Garage...). Every
# reader and writer goes through the storage API, so web and worker hosts that share
# the bucket need no shared disk (docs/admin-guides/WORKER_HOSTS.md).
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "local")
if MEDIA_STORAGE not in MEDIA_SERVE_MODES:
    raise ImproperlyConfigured(f"MEDIA_STORAGE: unknown storage {MEDIA_STORAGE!r}")
STORAGES = {
    "default": media_storage(MEDIA_STORAGE),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# How the media view hands the bytes over, after it has checked access. Local disk:
# "django" streams them itself; "x-accel-redirect" (nginx) and "x-sendfile" (Apache,
# lighttpd) let the front server send the file. S3: "redirect" (the default) answers
# with a short-lived presigned URL of the bucket; "django" streams through this host.
MEDIA_SERVE_MODE = env_str("MEDIA_SERVE_MODE", MEDIA_SERVE_MODES[MEDIA_STORAGE][0])
if MEDIA_SERVE_MODE not in MEDIA_SERVE_MODES[MEDIA_STORAGE]:
    raise ImproperlyConfigured(
        f"MEDIA_SERVE_MODE: {MEDIA_SERVE_MODE!r} does not work with MEDIA_STORAGE="
        f"{MEDIA_STORAGE!r} (one of {', '.join(MEDIA_SERVE_MODES[MEDIA_STORAGE])})"
    )
# Seconds a presigned media URL stays valid ("redirect" mode): long enough for a
# video player's range requests to start, short enough that a copied link dies.
MEDIA_URL_EXPIRE = env_int("MEDIA_URL_EXPIRE", 300)
MEDIA_ACCEL_PREFIX = env_str("MEDIA_ACCEL_PREFIX", "/protected-media/")

UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 200 * 1024 * 1024)
# Uploads larger than this go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The one pixel cap (decompression bombs): the upload probe refuses larger images and
# photos.services.ai hands it to the engine, so a stored photo is one a worker may open.
# Default: ai_engine.media.MAX_PIXELS.
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 120_000_000)
THUMBNAIL_SIZE = 512

# --- Map ---------------------------------------------------------------------------
# Tiles are fetched by the visitor's browser, never by the server; the map page's
# Content-Security-Policy allows this host for images (photos.views_browse).
# Empty: no tile layer, the markers on a blank map (servers that block tiles).
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")

# --- REST API (/api/) ----------------------------------------------------------------
# Per-user tokens made at /account/ ("Authorization: Token <key>"), or the
# browser's session (the docs page). Same reach as the pages: others' objects 404.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "photos.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "30/minute"),
        "user": env_str("API_THROTTLE_USER", "600/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "photos.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Photo Album API",
    "DESCRIPTION": "Albums, photos and videos, their tags and descriptions, and search.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema, like every page, is for signed-in users (a token or the session).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI's files from drf-spectacular-sidecar (static files), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"TagSourceEnum": "photos.models.TagSource"},
}

# Production hardening: on unless DEBUG, so `check --deploy` passes as shipped.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy on every response (django-csp): scripts and
# styles only from our own static files, never inline; images and video from
# our own media view (blob: for the upload page's local previews), and the
# bucket that the media view redirects to when media is on S3.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *media_csp_sources(MEDIA_SERVE_MODE)],
        "media-src": ["'self'", "blob:", *media_csp_sources(MEDIA_SERVE_MODE)],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Celery (broker, results) -------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://localhost:6379/0")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)

# --- AI processing defaults (AISettings rows start from these) -----------------
AI_AUTO_PROCESS_ON_UPLOAD = env_bool("AI_AUTO_PROCESS_ON_UPLOAD", True)
AI_SCHEDULED_PROCESSING_ENABLED = env_bool("AI_SCHEDULED_PROCESSING_ENABLED", True)
AI_PROCESSING_TIMEOUT = env_int("AI_PROCESSING_TIMEOUT", 300)
AI_BATCH_SIZE = env_int("AI_BATCH_SIZE", 500)
# Where `fetch_ai_models` puts the transformers backend's models and where that backend
# loads them from, unless the AI settings page names another folder.
AI_MODEL_DIR = env_str("AI_MODEL_DIR", str(VAR_DIR / "models"))
# Meaning search answers exactly (a matrix product) below this many vectors in a space,
# and from an approximate HNSW index (usearch) at or above it. Measured with 768-d vectors
# on a shared 2-core box (scripts/bench_vectors.py): exact p50 ~16 ms at 20,000 and ~70-90
# ms at 100,000; approximate ~1 ms, recall@10 ~0.99, built in a background thread in
# ~5 CPU-s at 20,000 and ~27-38 at 100,000.
SEARCH_ANN_MIN_VECTORS = env_int("SEARCH_ANN_MIN_VECTORS", 20_000)

# --- Celery reliability --------------------------------------------------------
# The database row is the truth and the queue only carries ids; these settings
# make sure a message is never lost with a dying worker, and that a redelivered
# one is harmless (the claim in photos.services.processing does the work once).
from celery.schedules import crontab  # noqa: E402 - only this section needs Celery

# Acknowledge a message only when its task has finished: a worker that dies
# mid-task leaves the message in Redis to be delivered again.
CELERY_TASK_ACKS_LATE = True
# A pool process killed by the OS (OOM killer, SIGKILL, hard time limit) gives
# its message back instead of acknowledging it.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message per pool process at a time: an AI task takes seconds, so more
# prefetched messages would only wait behind a busy (or dead) process.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection before and after every task
# unless this is set; then it closes it every this-many tasks only, and the worker
# keeps its connection like a web process does (photos.worker_connections).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# Time limits follow the processing timeout: at the soft limit the task marks
# the item failed ("timed out"); the hard limit, a grace later, kills the pool
# process. AISettings.processing_timeout is per installation row, so enqueue
# passes both limits per task call; these are the fallback.
AI_TIME_LIMIT_GRACE = env_int("AI_TIME_LIMIT_GRACE", 30)
CELERY_TASK_SOFT_TIME_LIMIT = AI_PROCESSING_TIMEOUT
CELERY_TASK_TIME_LIMIT = AI_PROCESSING_TIMEOUT + AI_TIME_LIMIT_GRACE
# Redis hands an unacknowledged message to another worker after this many
# seconds: how a dead worker's message comes back. It must exceed the hard time
# limit and the longest retry countdown, or a live task's message is delivered
# twice (harmless thanks to the claim, but wasted). The tests shorten it.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# KiB of resident memory after which a pool process is replaced once its task
# is done, so a leak in a model runtime cannot grow for ever (models: ~1 GB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 3 * 1024 * 1024)
# Each pool process loads the AI models as it starts (photos.worker_init), which
# takes seconds to a minute on a slow disk; Celery's default 4 s would kill it.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env_int("CELERY_WORKER_PROC_ALIVE_TIMEOUT", 300)
# Redis may start after the worker (boot order); keep trying rather than exit.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues by latency: `celery` carries the AI work (minutes per batch);
# `interactive` carries what a page waits for (a search query's embedding, the
# AI settings' sample test, embedding refreshes after an edit), served by its
# own small worker so it never waits behind the batch. A worker started without
# -Q consumes both; the deployment's units split them (-Q celery, -Q interactive).
# A third queue, `gpu`, is not listed: a worker without -Q must not take GPU work.
# Only a GPU worker consumes it (see PHOTO_ALBUM_GPU below).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES: dict[str, dict[str, str]] = {"celery": {}, "interactive": {}}
CELERY_TASK_ROUTES = {
    "photos.tasks.embed_query_task": {"queue": "interactive"},
    "photos.tasks.ai_sample_test_task": {"queue": "interactive"},
    "photos.tasks.item_embedding_update_task": {"queue": "interactive"},
    "photos.tasks.vocabulary_preview_task": {"queue": "interactive"},
}
# Nothing reads most tasks' return values (the rows are the truth); the few
# whose caller waits for an answer say ignore_result=False (photos/tasks.py).
CELERY_TASK_IGNORE_RESULT = True
# With acks_late, a task still running when the broker connection drops will
# be redelivered anyway; cancelling it avoids two copies running at once.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The checklist's "02:00" is server time.
CELERY_TIMEZONE = TIME_ZONE

# A claim's lease: the processing process renews it every AI_LEASE_RENEW_INTERVAL
# seconds for AI_LEASE_SECONDS ahead, whatever the timeout, so a dead worker's
# item is handed out again about a minute later (see photos.services.leases).
AI_LEASE_SECONDS = env_int("AI_LEASE_SECONDS", 60)
AI_LEASE_RENEW_INTERVAL = env_int("AI_LEASE_RENEW_INTERVAL", 20)
if not 0 < AI_LEASE_RENEW_INTERVAL < AI_LEASE_SECONDS:
    raise ImproperlyConfigured("AI_LEASE_RENEW_INTERVAL must be above 0 and below AI_LEASE_SECONDS")
# An item whose task killed its worker this many times is marked failed
# instead of being handed out again (a photo that crashes the decoder).
AI_MAX_WORKER_DEATHS = env_int("AI_MAX_WORKER_DEATHS", 3)
# Transient engine errors (endpoint busy, 5xx): retries and the first backoff
# in seconds (doubled each time; keep the last one under the visibility timeout).
AI_TRANSIENT_RETRIES = env_int("AI_TRANSIENT_RETRIES", 3)
AI_RETRY_BACKOFF = env_int("AI_RETRY_BACKOFF", 30)
# Nothing lost: every AI_SWEEP_INTERVAL seconds, pending auto-process items
# older than AI_SWEEP_AFTER seconds, and pending items queued more than that ago
# (a batch's, say), are queued again (their message may be gone); every
# AI_REAPER_INTERVAL seconds, expired leases go back to pending.
AI_SWEEP_INTERVAL = env_int("AI_SWEEP_INTERVAL", 300)
AI_SWEEP_AFTER = env_int("AI_SWEEP_AFTER", 600)
# Every minute: with the 60 s lease, a dead worker's item is back within 2 minutes.
AI_REAPER_INTERVAL = env_int("AI_REAPER_INTERVAL", 60)
# Beat records a heartbeat on every scheduler tick (5 s); older than this, beat
# counts as stopped (validate_deployment test 6, ai_health, /ops/).
BEAT_HEARTBEAT_STALE = env_int("BEAT_HEARTBEAT_STALE", 60)
# A worker started with PHOTO_ALBUM_GPU=1 checks for working CUDA at start; with it,
# the worker also consumes the `gpu` queue and keeps a heartbeat in Redis, lasting
# GPU_HEARTBEAT_TTL seconds and renewed every third of that. While the heartbeat
# lasts, AI work is sent to `gpu`; otherwise to `celery` (photos.services.gpu).
# Without CUDA the worker is an ordinary CPU worker.
PHOTO_ALBUM_GPU = env_bool("PHOTO_ALBUM_GPU", False)
GPU_HEARTBEAT_TTL = env_int("GPU_HEARTBEAT_TTL", 30)
if GPU_HEARTBEAT_TTL < 3:
    raise ImproperlyConfigured("GPU_HEARTBEAT_TTL must be at least 3 seconds")

# The schedule lives in the database (django-celery-beat); this scheduler also
# re-applies the AISettings hour after beat copies these entries in at start.
CELERY_BEAT_SCHEDULER = "photos.schedulers:AISettingsScheduler"
PEOPLE_GROUP_INTERVAL = env_int("PEOPLE_GROUP_INTERVAL", 3600)
CELERY_BEAT_SCHEDULE = {
    "process_pending_photos": {
        "task": "photos.tasks.process_pending_photos_task",
        "schedule": crontab(hour=2, minute=0),
    },
    "process_pending_videos": {
        "task": "photos.tasks.process_pending_videos_task",
        "schedule": crontab(hour=2, minute=0),
    },
    "sweep_pending_items": {
        "task": "photos.tasks.sweep_pending_items_task",
        "schedule": float(AI_SWEEP_INTERVAL),
    },
    "reap_expired_leases": {
        "task": "photos.tasks.reap_expired_leases_task",
        "schedule": float(AI_REAPER_INTERVAL),
    },
    # Faces nobody has placed yet are clustered into new people (issue 14).
    "group_people": {
        "task": "photos.tasks.people_group_task",
        "schedule": float(PEOPLE_GROUP_INTERVAL),
    },
}
# --- end of Celery reliability --------------------------------------------------

# Logs clean at WARNING: the model runtimes print progress bars (tqdm, which
# Celery relays as WARNING lines) and absl/TFLite start-up chatter to stderr
# unless told not to, before they are imported. An operator's own value wins.
for _name, _value in {
    "TQDM_DISABLE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "GLOG_minloglevel": "2",
}.items():
    os.environ.setdefault(_name, _value)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "[%(asctime)s: %(levelname)s/%(name)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Metrics (and the operations pages' task module) ---------------------------
# /metrics in Prometheus text format: off unless enabled, and only with the bearer
# token (an empty token matches nothing).
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# --- end of Metrics ---------------------------------------------------------------
