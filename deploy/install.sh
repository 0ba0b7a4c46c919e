#!/usr/bin/env bash
# Install or upgrade Photo Album on a Debian 12 / Ubuntu server, as root.
# Idempotent: run it again after `git pull` to upgrade; a run with nothing to
# do reports "unchanged" for every step and changes nothing.
#
#   deploy/install.sh [--domain NAME] [--no-local-services] [--worker-only]
#                     [--no-system] [--prefix DIR] [--with-models] [--gpu]
#
#   --domain NAME        the site's host name: ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS
#                        and nginx server_name (default: the existing env file's
#                        ALLOWED_HOSTS, else `hostname -f`)
#   --no-local-services  PostgreSQL and Redis run elsewhere: don't install them
#                        here, don't create the local database
#   --worker-only        an extra Celery worker machine: implies
#                        --no-local-services; enables only the worker unit and
#                        leaves migrate, collectstatic and nginx to the main server
#   --no-system          only write files: skip apt, the service user, ownership,
#                        the database, the virtual environment, migrate,
#                        collectstatic and systemctl
#   --prefix DIR         write every file under DIR instead of / (a staging root,
#                        used by the tests); implies --no-system
#   --with-models        also download the pinned image-text model and captioner
#                        for the "transformers" AI backend (manage.py
#                        fetch_ai_models, into AI_MODEL_DIR, by default
#                        /var/lib/photo-album/models); needs internet, ~2.6 GB;
#                        without it the offline backend still works
#   --gpu                also enable photo-album-celery-gpu, the GPU worker (a CUDA
#                        GPU, for the transformers backend); its unit is installed
#                        either way, and without a working GPU it serves the CPU queue
#
# Layout on the server: code and .venv in /opt/photo-album, settings in
# /etc/photo-album/photo-album.env, media and static files in
# /var/lib/photo-album, Celery logs in /var/log/celery.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
APP=/opt/photo-album
DATA=/var/lib/photo-album
LOGS=/var/log/celery
ETC=/etc/photo-album
ENV_FILE=$ETC/photo-album.env
SERVICE_USER=photo-album
UNITS=(photo-album-web photo-album-celery-worker photo-album-celery-interactive photo-album-celery-beat)
# Installed with the others, enabled only with --gpu.
GPU_UNIT=photo-album-celery-gpu

ROOT=""
SYSTEM=1
LOCAL_SERVICES=1
WORKER_ONLY=0
WITH_MODELS=0
GPU=0
DOMAIN=""
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) ROOT=$(mkdir -p "$2" && cd "$2" && pwd); SYSTEM=0; shift 2 ;;
        --no-system) SYSTEM=0; shift ;;
        --no-local-services) LOCAL_SERVICES=0; shift ;;
        --worker-only) WORKER_ONLY=1; LOCAL_SERVICES=0; shift ;;
        --domain) DOMAIN=$2; shift 2 ;;
        --with-models) WITH_MODELS=1; shift ;;
        --gpu) GPU=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ "$SYSTEM" = 1 ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (or with --no-system / --prefix)" >&2
    exit 1
fi

changes=0
# What the running services and nginx last loaded, by checksum: a run that
# failed half-way still leaves the next one knowing a restart is due.
APPLIED=$DATA/.install-applied

# report STATUS WHAT: one line per step; every status but unchanged/skipped
# counts as a change.
report() {
    printf '%-10s %s\n' "$1" "$2"
    case $1 in unchanged | skipped) ;; *) changes=$((changes + 1)) ;; esac
}

# ensure_dir PATH MODE OWNER: a directory with that mode (and owner, when
# SYSTEM=1).
ensure_dir() {
    local path=$ROOT$1 mode=$2 owner=$3 status=unchanged
    if [ ! -d "$path" ]; then
        mkdir -p "$path"
        status=created
    fi
    if [ "$(stat -c %a "$path")" != "$mode" ]; then
        chmod "$mode" "$path"
        [ "$status" = created ] || status=updated
    fi
    if [ "$SYSTEM" = 1 ] && [ "$(stat -c %U:%G "$path")" != "$owner" ]; then
        chown "$owner" "$path"
        [ "$status" = created ] || status=updated
    fi
    report "$status" "$1/ ($mode $owner)"
}

# sync_file SRC DEST MODE [OWNER]: copy SRC to $ROOT$DEST if the content,
# mode or owner differ; sets STATUS to created, updated or unchanged.
sync_file() {
    local src=$1 dest=$ROOT$2 mode=$3 owner=${4:-root:root}
    STATUS=unchanged
    if [ ! -e "$dest" ]; then
        STATUS=created
    elif ! cmp -s "$src" "$dest"; then
        STATUS=updated
    fi
    if [ "$STATUS" != unchanged ]; then
        mkdir -p "$(dirname "$dest")"
        cp "$src" "$dest.install-tmp"
        chmod "$mode" "$dest.install-tmp"
        mv -f "$dest.install-tmp" "$dest"
    fi
    fix_mode_owner "$dest" "$mode" "$owner"
}

# fix_mode_owner PATH MODE OWNER: sets STATUS to updated if it had to change
# either (owner only when SYSTEM=1).
fix_mode_owner() {
    if [ "$(stat -c %a "$1")" != "$2" ]; then
        chmod "$2" "$1"
        [ "$STATUS" != unchanged ] || STATUS=updated
    fi
    if [ "$SYSTEM" = 1 ] && [ "$(stat -c %U:%G "$1")" != "$3" ]; then
        chown "$3" "$1"
        [ "$STATUS" != unchanged ] || STATUS=updated
    fi
}

# put SRC DEST MODE [OWNER]: sync_file, reported.
put() {
    sync_file "$@"
    report "$STATUS" "$2"
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- system packages ----------------------------------------------------------
install_packages() {
    # python3.11: the version pyproject.toml requires (Debian 12's python3).
    # redis-tools, sudo, htop: the validation checklist uses redis-cli, sudo and htop.
    local wanted=(python3.11 python3.11-venv nginx logrotate ssl-cert ca-certificates
        redis-tools sudo htop)
    [ "$LOCAL_SERVICES" = 0 ] || wanted+=(redis-server postgresql)
    local missing=() pkg
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' \
            || missing+=("$pkg")
    done
    if [ ${#missing[@]} = 0 ]; then
        report unchanged "packages: ${wanted[*]}"
        return
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    report installed "packages: ${missing[*]}"
}

# The nginx site starts on Debian's self-signed "snakeoil" pair; ssl-cert makes
# it when first installed, but an image may ship the package without the files.
ensure_snakeoil() {
    if [ -f /etc/ssl/certs/ssl-cert-snakeoil.pem ] && [ -f /etc/ssl/private/ssl-cert-snakeoil.key ]; then
        report unchanged "snakeoil certificate"
    else
        make-ssl-cert generate-default-snakeoil --force-overwrite
        report created "snakeoil certificate (self-signed; replace it, see INSTALL.md)"
    fi
}

# --- the service user -----------------------------------------------------------
ensure_user() {
    if id -u "$SERVICE_USER" >/dev/null 2>&1; then
        report unchanged "user $SERVICE_USER"
    else
        # A login shell so that `sudo -iu photo-album` gives admins the
        # services' environment (see the .profile below); no password is set.
        useradd --system --user-group --home-dir "$DATA" --no-create-home \
            --shell /bin/bash "$SERVICE_USER"
        report created "user $SERVICE_USER"
    fi
    # nginx serves static files and X-Accel-Redirect media straight from
    # $DATA, which only the photo-album group can read.
    if id -nG www-data 2>/dev/null | tr ' ' '\n' | grep -qx "$SERVICE_USER"; then
        report unchanged "www-data in group $SERVICE_USER"
    elif id -u www-data >/dev/null 2>&1; then
        usermod -a -G "$SERVICE_USER" www-data
        report updated "www-data in group $SERVICE_USER"
    fi
}

# --- the code -------------------------------------------------------------------
source_files() {
    if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$SRC" ls-files -z --cached --others --exclude-standard
    else
        (cd "$SRC" && find . \( -name .git -o -name .venv -o -name __pycache__ \
            -o -name .pytest_cache -o -name .ruff_cache -o -path ./var \
            -o -path ./test-artifacts -o -path ./staticfiles -o -path ./media \) -prune \
            -o \( -type f ! -name '*.pyc' -printf '%P\0' \))
    fi
}

sync_code() {
    if [ "$SRC" = "$ROOT$APP" ]; then
        report unchanged "$APP (running from the installed checkout)"
        return
    fi
    local manifest=$APP/.install-manifest path mode created=0 updated=0 removed=0
    : >"$TMP/manifest"
    while IFS= read -r -d '' path; do
        [ -f "$SRC/$path" ] || continue # deleted in the working tree
        mode=644
        [ ! -x "$SRC/$path" ] || mode=755
        sync_file "$SRC/$path" "$APP/$path" "$mode"
        case $STATUS in created) created=$((created + 1)) ;; updated) updated=$((updated + 1)) ;; esac
        printf '%s\n' "$path" >>"$TMP/manifest"
    done < <(source_files)
    LC_ALL=C sort -o "$TMP/manifest" "$TMP/manifest"
    # Files installed by an earlier run and gone from the source since: a
    # stale module or migration left behind would still be imported.
    if [ -f "$ROOT$manifest" ]; then
        while IFS= read -r path; do
            rm -f "$ROOT$APP/$path"
            removed=$((removed + 1))
        done < <(LC_ALL=C comm -23 "$ROOT$manifest" "$TMP/manifest")
    fi
    sync_file "$TMP/manifest" "$manifest" 644
    if [ $((created + updated + removed)) = 0 ]; then
        report unchanged "$APP: code"
    else
        report updated "$APP: code ($created new, $updated changed, $removed removed files)"
    fi
}

# --- settings -------------------------------------------------------------------
env_value() { # env_value NAME: its value in the existing env file, if any
    [ -f "$ROOT$ENV_FILE" ] || return 0
    sed -n "s/^$1=//p" "$ROOT$ENV_FILE" | tail -n 1
}

write_env_file() {
    if [ -f "$ROOT$ENV_FILE" ]; then
        # It holds secrets: only root and the service's group may read it.
        STATUS=unchanged
        fix_mode_owner "$ROOT$ENV_FILE" 640 "root:$SERVICE_USER"
        report "$STATUS" "$ENV_FILE (content kept; never overwritten)"
        return
    fi
    # 64 URL-safe characters: no quote, space or $ that systemd or sh would read.
    local secret
    secret=$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    cat >"$TMP/env" <<EOF
# Photo Album settings, read by the systemd units (EnvironmentFile=) and by the
# service user's login shell (sudo -iu $SERVICE_USER). Written once by
# deploy/install.sh and never overwritten: edit it, then restart the services:
#   sudo systemctl restart ${UNITS[*]}
# Keep values free of spaces, quotes and \$: systemd and sh both read this file.
DJANGO_SETTINGS_MODULE=photo_album.settings
SECRET_KEY=$secret
REQUIRE_SECRET_KEY=true
DEBUG=false
HTTPS=true
ALLOWED_HOSTS=$DOMAIN
CSRF_TRUSTED_ORIGINS=https://$DOMAIN
# Local PostgreSQL over its socket, as the OS user $SERVICE_USER (peer auth).
DATABASE_URL=postgres:///photo_album
CELERY_BROKER_URL=redis://localhost:6379/0
PHOTO_ALBUM_VAR_DIR=$DATA
MEDIA_ROOT=$DATA/media
STATIC_ROOT=$DATA/static
# nginx sends the files after Django has checked access (/protected-media/).
MEDIA_SERVE_MODE=x-accel-redirect
# Media in an S3-compatible bucket instead of MEDIA_ROOT (workers on other machines
# then need no shared disk): set these, MEDIA_SERVE_MODE=redirect, and copy the
# library with manage.py media_copy_to_storage (docs/admin-guides/WORKER_HOSTS.md).
#MEDIA_STORAGE=s3
#AWS_S3_ENDPOINT_URL=https://s3.example.net
#AWS_STORAGE_BUCKET_NAME=photo-album
#AWS_S3_ACCESS_KEY_ID=
#AWS_S3_SECRET_ACCESS_KEY=
# 200 MB; nginx's client_max_body_size must match.
UPLOAD_MAX_BYTES=209715200
LOG_LEVEL=INFO
# Web (photo-album-web.service); nginx proxies to GUNICORN_BIND.
GUNICORN_BIND=127.0.0.1:8000
GUNICORN_WORKERS=3
# Worker (photo-album-celery-worker.service): tasks run in parallel, and the
# resident memory in KiB after which a pool process is replaced.
CELERY_WORKER_CONCURRENCY=1
CELERY_WORKER_MAX_MEMORY_PER_CHILD=3145728
CELERY_LOG_LEVEL=INFO
# AI processing defaults (the /ai-settings/ page can change them later).
AI_AUTO_PROCESS_ON_UPLOAD=true
AI_SCHEDULED_PROCESSING_ENABLED=true
AI_PROCESSING_TIMEOUT=300
EOF
    put "$TMP/env" "$ENV_FILE" 640 "root:$SERVICE_USER"
}

write_profile() {
    cat >"$TMP/profile" <<EOF
# Written by deploy/install.sh: \`sudo -iu $SERVICE_USER\` opens a shell with the
# services' code, virtual environment and settings, so \`python manage.py ...\`
# works there as the docs and the validation checklist write it.
cd $APP || return
export VIRTUAL_ENV=$APP/.venv
PATH=$APP/.venv/bin:\$PATH
set -a
. $ENV_FILE
set +a
EOF
    put "$TMP/profile" "$DATA/.profile" 644
}

# --- service and front-end configuration -----------------------------------------
install_configs() {
    local unit
    for unit in "${UNITS[@]}" "$GPU_UNIT"; do
        put "$SRC/deploy/systemd/$unit.service" "/etc/systemd/system/$unit.service" 644
    done
    put "$SRC/deploy/logrotate/photo-album" /etc/logrotate.d/photo-album 644
    sed "s/photos\.example\.org/$DOMAIN/g" "$SRC/deploy/nginx/photo-album.conf" >"$TMP/nginx"
    put "$TMP/nginx" /etc/nginx/sites-available/photo-album.conf 644
    local link=$ROOT/etc/nginx/sites-enabled/photo-album.conf
    if [ "$(readlink "$link" 2>/dev/null)" = /etc/nginx/sites-available/photo-album.conf ]; then
        report unchanged /etc/nginx/sites-enabled/photo-album.conf
    else
        mkdir -p "$(dirname "$link")"
        ln -sfn /etc/nginx/sites-available/photo-album.conf "$link"
        report created "/etc/nginx/sites-enabled/photo-album.conf -> sites-available"
    fi
}

# --- steps that need the real system -------------------------------------------------
# as_service CMD...: run CMD in $APP as the service user, with the env file.
as_service() {
    # shellcheck disable=SC2016 # expanded by the inner bash, on purpose
    runuser -u "$SERVICE_USER" -- bash -c \
        'cd "$1" && set -a && . "$2" && set +a && shift 2 && exec "$@"' _ "$APP" "$ENV_FILE" "$@"
}

ensure_database() {
    if [ "$LOCAL_SERVICES" = 0 ] || [ "$(env_value DATABASE_URL)" != postgres:///photo_album ]; then
        report skipped "local database (--no-local-services, or DATABASE_URL points elsewhere)"
        return
    fi
    local psql=(runuser -u postgres -- psql -v ON_ERROR_STOP=1 -tAq)
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$SERVICE_USER'")" = 1 ]; then
        report unchanged "PostgreSQL role $SERVICE_USER"
    else
        "${psql[@]}" -c "CREATE ROLE \"$SERVICE_USER\" LOGIN"
        report created "PostgreSQL role $SERVICE_USER"
    fi
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'photo_album'")" = 1 ]; then
        report unchanged "PostgreSQL database photo_album"
    else
        "${psql[@]}" -c "CREATE DATABASE photo_album OWNER \"$SERVICE_USER\""
        report created "PostgreSQL database photo_album"
    fi
}

ensure_venv() {
    local before=""
    [ ! -x "$APP/.venv/bin/python" ] || before=$("$APP/.venv/bin/python" -m pip freeze 2>/dev/null)
    # scripts/install creates .venv next to itself and installs the pinned
    # requirements; pip leaves satisfied pins alone.
    "$APP/scripts/install"
    if [ "$before" = "$("$APP/.venv/bin/python" -m pip freeze 2>/dev/null)" ]; then
        report unchanged "$APP/.venv"
    else
        report updated "$APP/.venv"
    fi
}

migrate() {
    if as_service .venv/bin/python manage.py migrate --check >/dev/null 2>&1; then
        report unchanged "database schema"
    else
        as_service .venv/bin/python manage.py migrate --noinput
        report updated "database schema (migrate)"
    fi
}

collect_static() {
    local out
    out=$(as_service .venv/bin/python manage.py collectstatic --noinput)
    if grep -q '^0 static files copied' <<<"$out"; then
        report unchanged "$DATA/static"
    else
        report updated "$DATA/static (collectstatic: ${out##*$'\n'})"
    fi
}

# fingerprint WHAT: a checksum of what the services run (code, units) or of
# nginx's site.
fingerprint() {
    case $1 in
        code) (cd "$APP" && tr '\n' '\0' <.install-manifest | xargs -0 sha256sum) | sha256sum ;;
        units) (cd /etc/systemd/system && sha256sum "${UNITS[@]/%/.service}" "$GPU_UNIT.service") | sha256sum ;;
        nginx) sha256sum </etc/nginx/sites-available/photo-album.conf ;;
    esac | cut -d' ' -f1
}

applied() { # applied WHAT: its fingerprint when the services last (re)started
    [ -f "$APPLIED" ] && sed -n "s/^$1=//p" "$APPLIED"
}

# fetch_models: the pinned transformers models (resumable; a run with everything
# in place downloads nothing). A failure leaves the offline backend working, so it
# is reported and turns the exit status, without undoing the rest of the install.
MODELS_FAILED=0
fetch_models() {
    local out
    if out=$(as_service .venv/bin/python manage.py fetch_ai_models 2>&1); then
        if grep -q ' bytes, sha256 ' <<<"$out"; then
            report updated "AI models (fetch_ai_models)"
        else
            report unchanged "AI models"
        fi
    else
        printf '%s\n' "$out" >&2
        report failed "AI models (fetch_ai_models; the offline AI backend keeps working)"
        MODELS_FAILED=1
    fi
}

start_services() {
    local code units nginx
    code=$(fingerprint code)
    units=$(fingerprint units)
    nginx=$(fingerprint nginx)
    if [ "$units" != "$(applied units)" ]; then
        systemctl daemon-reload
        report reloaded "systemd units (daemon-reload)"
    fi
    local unit enabled=("${UNITS[@]}")
    [ "$WORKER_ONLY" = 0 ] || enabled=(photo-album-celery-worker)
    [ "$GPU" = 0 ] || enabled+=("$GPU_UNIT")
    for unit in "${enabled[@]}"; do
        if ! systemctl is-enabled --quiet "$unit"; then
            systemctl enable --now "$unit"
            report enabled "$unit (started)"
        elif ! systemctl is-active --quiet "$unit"; then
            systemctl start "$unit"
            report started "$unit"
        elif [ "$code" != "$(applied code)" ] || [ "$units" != "$(applied units)" ]; then
            # The worker's restart is a warm shutdown: running tasks finish
            # first (see the unit's TimeoutStopSec).
            systemctl restart "$unit"
            report restarted "$unit"
        else
            report unchanged "$unit (enabled, active)"
        fi
    done
    if [ "$WORKER_ONLY" = 1 ]; then
        report skipped "nginx (--worker-only)"
    elif [ "$nginx" != "$(applied nginx)" ]; then
        nginx -t -q
        systemctl reload-or-restart nginx
        report reloaded nginx
    else
        report unchanged nginx
    fi
    printf 'code=%s\nunits=%s\nnginx=%s\n' "$code" "$units" "$nginx" >"$TMP/applied"
    sync_file "$TMP/applied" "$APPLIED" 644
}

# --- main -----------------------------------------------------------------------
[ -n "$DOMAIN" ] || DOMAIN=$(env_value ALLOWED_HOSTS | cut -d, -f1)
[ -n "$DOMAIN" ] || DOMAIN=$(hostname -f 2>/dev/null || hostname)

if [ "$SYSTEM" = 1 ]; then
    install_packages
    ensure_snakeoil
    ensure_user
else
    report skipped "packages, user $SERVICE_USER (--no-system)"
fi
ensure_dir "$APP" 755 root:root
ensure_dir "$ETC" 750 "root:$SERVICE_USER"
ensure_dir "$DATA" 750 "$SERVICE_USER:$SERVICE_USER"
ensure_dir "$DATA/media" 750 "$SERVICE_USER:$SERVICE_USER"
ensure_dir "$DATA/static" 750 "$SERVICE_USER:$SERVICE_USER"
ensure_dir "$LOGS" 750 "$SERVICE_USER:$SERVICE_USER"
sync_code
write_env_file
write_profile
install_configs
if [ "$SYSTEM" = 1 ]; then
    ensure_database
    ensure_venv
    if [ "$WORKER_ONLY" = 1 ]; then
        report skipped "migrate, collectstatic (--worker-only: the main server does them)"
    else
        migrate
        collect_static
    fi
    start_services
    if [ "$WITH_MODELS" = 1 ]; then
        ensure_dir "$DATA/models" 750 "$SERVICE_USER:$SERVICE_USER"
        fetch_models
    fi
else
    report skipped "database, $APP/.venv, migrate, collectstatic, systemctl (--no-system)"
    [ "$WITH_MODELS" = 0 ] || report skipped "AI models (--no-system)"
fi

if [ "$changes" = 0 ]; then
    echo "install.sh: nothing changed"
else
    echo "install.sh: $changes changes"
fi
exit "$MODELS_FAILED"
