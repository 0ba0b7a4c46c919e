"""Errors as JSON: refusals from services become 400 with field errors, never 500."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        # A model's own check (e.g. an illegal status move) reached the view: the input is wrong.
        exc = exceptions.ValidationError({"detail": exc.messages})
    return drf_exception_handler(exc, context)
