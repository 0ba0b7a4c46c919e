"""Request guards that answer a clear 400 before a view (or PostgreSQL) sees bad input."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from photos.services.text import has_control_characters

REFUSAL = "The request contains control characters (such as NUL), which are not allowed."


class ControlCharactersMiddleware:
    """Refuses control characters in the path, the query string and form fields.

    Form fields are checked once the view is known: a view marked `reads_body_itself`
    (the upload, which checks the size before it reads a byte) is left to clean its own.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_control_characters(self.url_texts(request)):
            return bad_request(request, REFUSAL)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        if request.method != "POST" or getattr(view_func, "reads_body_itself", False):
            return None
        if has_control_characters(self.form_texts(request)):
            return bad_request(request, REFUSAL)
        return None

    @staticmethod
    def url_texts(request: HttpRequest) -> Iterable[str]:
        yield request.path
        for key, values in request.GET.lists():
            yield key
            yield from values

    @staticmethod
    def form_texts(request: HttpRequest) -> Iterable[str]:
        for key, values in request.POST.lists():
            yield key
            yield from values


def bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": reason}, status=400)
    return render(request, "400.html", {"reason": reason}, status=400)
