"""The request type of views behind the login requirement.

LoginRequiredMiddleware (settings.MIDDLEWARE) sends anonymous visitors to the
login page before any view runs, except the few marked login_not_required;
every other view therefore sees a real User, and says so with this type so the
type checker does not ask it to handle AnonymousUser.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    user: User
