"""The client's address, for login throttling (django-axes' AXES_CLIENT_IP_CALLABLE)."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or nginx's X-Real-IP when the peer is the local proxy.

    Behind deploy/nginx every request comes from 127.0.0.1, which would make
    one failed login count against everybody; only a loopback peer is trusted
    to name the real client (nobody else can send as that peer).
    """
    peer = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
    try:
        if forwarded and ipaddress.ip_address(peer).is_loopback:
            return str(ipaddress.ip_address(forwarded))
    except ValueError:
        pass
    return peer
