"""The nginx site: nginx -t accepts it, and a running nginx with it redirects to
https, proxies to gunicorn, serves static files, and serves media only through
X-Accel-Redirect."""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from deploy_helpers import DEPLOY, REPO, free_port, server_paths, stop, substitute, wait_for

SITE = DEPLOY / "nginx/photo-album.conf"
SNAKEOIL_CERT = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
SNAKEOIL_KEY = "/etc/ssl/private/ssl-cert-snakeoil.key"
INSECURE = ssl._create_unverified_context()  # the test's self-signed certificate


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=INSECURE))


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with OPENER.open(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(binary), "nginx missing: scripts/install --test installs it"
    return binary


def nginx_conf(tmp_path: Path, http_port: int, https_port: int, upstream_port: int) -> Path:
    """The site in a minimal nginx.conf, on free ports, with a throw-away certificate."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=photos.example.org"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    site = SITE.read_text()
    assert SNAKEOIL_CERT in site and SNAKEOIL_KEY in site
    site = substitute(site, server_paths(tmp_path))
    site = site.replace(SNAKEOIL_CERT, str(tmp_path / "cert.pem"))
    site = site.replace(SNAKEOIL_KEY, str(tmp_path / "key.pem"))
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
    site = re.sub(r"listen \[::\]:\d+[^;]*;\n", "", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
    (tmp_path / "site.conf").write_text(site)
    temp_paths = "".join(
        f"    {kind}_temp_path {tmp_path}/{kind}_temp;\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        # As root, workers would otherwise run as nobody, who can't enter tmp_path.
        ("user root;\n" if os.geteuid() == 0 else "")
        + "daemon off;\n"
        + f"pid {tmp_path}/nginx.pid;\n"
        + f"error_log {tmp_path}/error.log;\n"
        + "events {}\n"
        + "http {\n"
        + "    include /etc/nginx/mime.types;\n"
        + "    access_log off;\n"
        + temp_paths
        + f"    include {tmp_path}/site.conf;\n"
        + "}\n"
    )
    return conf


def test_it_passes_nginx_t(tmp_path: Path) -> None:
    conf = nginx_conf(tmp_path, free_port(), free_port(), free_port())
    result = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(conf), "-e", "error.log"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.fixture
def run_nginx(tmp_path: Path) -> Iterator[Callable[[int], tuple[int, int]]]:
    """Start nginx with the site in front of an upstream port: (http, https) ports."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(upstream_port: int) -> tuple[int, int]:
        http_port, https_port = free_port(), free_port()
        conf = nginx_conf(tmp_path, http_port, https_port, upstream_port)
        procs.append(
            subprocess.Popen(
                [nginx_binary(), "-p", str(tmp_path), "-c", str(conf), "-e", "error.log"]
            )
        )
        wait_for(lambda: (tmp_path / "nginx.pid").exists(), 10, "nginx to start")
        return http_port, https_port

    yield start
    for proc in procs:
        stop(proc, timeout=10)


def test_it_redirects_http_and_proxies_https_to_gunicorn(
    tmp_path: Path,
    start_unit: Callable[..., subprocess.Popen[bytes]],
    service_env: Callable[[str], dict[str, str]],
    run_nginx: Callable[[int], tuple[int, int]],
) -> None:
    web_env = service_env("photo-album-web.service") | {"HTTPS": "true"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=REPO,
        env=web_env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    # HTTPS on, as in production: Django redirects any request it believes
    # came over http, so a 200 proves nginx's X-Forwarded-Proto reached it.
    start_unit("photo-album-web.service", GUNICORN_BIND=f"127.0.0.1:{port}", HTTPS="true")
    http_port, https_port = run_nginx(port)

    status, headers, _ = fetch(f"http://127.0.0.1:{http_port}/admin/login/")
    assert status == 301
    assert headers["Location"] == "https://127.0.0.1/admin/login/"

    def answers() -> bool:
        try:
            return fetch(f"https://127.0.0.1:{https_port}/admin/login/")[0] == 200
        except TimeoutError:  # gunicorn's workers still importing the app (busy machine)
            return False

    wait_for(answers, 60, "gunicorn behind nginx to answer /admin/login/ with 200")
    status, headers, body = fetch(f"https://127.0.0.1:{https_port}/admin/login/")
    assert "Strict-Transport-Security" in headers
    css = re.search(rb'href="(/static/admin/css/base(\.[0-9a-f]{12})?\.css)"', body)
    assert css, "the login page links the admin stylesheet"
    url = css[1].decode()
    status, headers, content = fetch(f"https://127.0.0.1:{https_port}{url}")
    assert status == 200
    assert content == (tmp_path / "data/static" / url.removeprefix("/static/")).read_bytes()
    # A hashed name never changes; any other must be revalidated after an upgrade.
    expected = "public, max-age=31536000, immutable" if css[2] else "no-cache"
    assert headers["Cache-Control"] == expected


def test_it_serves_media_only_through_x_accel_redirect(
    tmp_path: Path, run_nginx: Callable[[int], tuple[int, int]]
) -> None:
    name = "originals/photos/2026/11/0123abcd.jpg"
    original = tmp_path / "data/media" / name
    original.parent.mkdir(parents=True)
    original.write_bytes(b"\xff\xd8 a photo \xff\xd9")

    class MediaView(BaseHTTPRequestHandler):
        """Stands in for Django's media view in MEDIA_SERVE_MODE=x-accel-redirect."""

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("X-Accel-Redirect", "/protected-media/" + name)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), MediaView)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        _, https_port = run_nginx(upstream.server_address[1])
        status, headers, body = fetch(f"https://127.0.0.1:{https_port}/media/photo/1/original/")
        assert (status, body) == (200, original.read_bytes())
        assert headers["Content-Type"] == "image/jpeg"

        status, _, body = fetch(f"https://127.0.0.1:{https_port}/protected-media/{name}")
        assert status == 404
        assert original.read_bytes() not in body
    finally:
        upstream.shutdown()


def test_it_caches_only_content_hashed_static_files_for_ever(
    tmp_path: Path, run_nginx: Callable[[int], tuple[int, int]]
) -> None:
    static = tmp_path / "data/static"
    static.mkdir(parents=True)
    (static / "app.0123456789ab.css").write_text("a {}")
    (static / "app.css").write_text("a {}")
    _, https_port = run_nginx(free_port())

    status, headers, body = fetch(f"https://127.0.0.1:{https_port}/static/app.0123456789ab.css")
    assert (status, body) == (200, b"a {}")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    _, headers, _ = fetch(f"https://127.0.0.1:{https_port}/static/app.css")
    assert headers["Cache-Control"] == "no-cache"


def test_it_accepts_uploads_up_to_the_upload_limit() -> None:
    assert "client_max_body_size 200m;" in SITE.read_text()
