"""The nginx site: nginx -t accepts it, TLS-ready, media reachable only internally."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from deploy_helpers import DEPLOY

SITE = DEPLOY / "nginx/photo-album.conf"
SNAKEOIL_CERT = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
SNAKEOIL_KEY = "/etc/ssl/private/ssl-cert-snakeoil.key"


def nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(binary), "nginx missing: scripts/install --test installs it"
    return binary


def test_it_passes_nginx_t(tmp_path: Path) -> None:
    # A throw-away self-signed pair stands in for the snakeoil (or real) one.
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=photos.example.org"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    site = SITE.read_text()
    assert SNAKEOIL_CERT in site and SNAKEOIL_KEY in site
    site = site.replace(SNAKEOIL_CERT, str(tmp_path / "cert.pem"))
    (tmp_path / "site.conf").write_text(site.replace(SNAKEOIL_KEY, str(tmp_path / "key.pem")))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        f"    include {tmp_path}/site.conf;\n"
        "}\n"
    )
    result = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
        + ["-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_it_serves_media_only_through_x_accel_redirect() -> None:
    site = SITE.read_text()
    assert re.search(
        r"location /protected-media/ \{\s*internal;\s*alias /var/lib/photo-album/media/;\s*\}",
        site,
    )
    aliases = re.findall(r"alias (\S+);", site)
    assert aliases == ["/var/lib/photo-album/static/", "/var/lib/photo-album/media/"]


def test_it_redirects_http_and_proxies_https_with_the_upload_limit() -> None:
    site = SITE.read_text()
    assert "return 301 https://$host$request_uri;" in site
    assert "listen 443 ssl" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "client_max_body_size 200m;" in site
