"""Operations pages: /ai-settings/ (and its vocabulary), the /ops/ dashboard, item retry
and status, /metrics.

Thin views: check permission, parse input, call one service, respond. Staff
pages answer 403 to other users; anonymous users never get here (the login
middleware sends them to the login page), except /metrics, which has its token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from photos.forms_ops import AISettingsForm, ConceptForm, ConceptPreviewForm, api_key_hint
from photos.kinds import KINDS, Kind
from photos.languages import language_name, site_language
from photos.models import IllegalTransition
from photos.request_types import AuthenticatedHttpRequest
from photos.selectors import ops
from photos.selectors import vocabulary as vocabulary_reads
from photos.selectors.languages import user_language
from photos.services import ai_sample, people, queue, retry, vocabulary
from photos.services.ai_settings import ai_settings_get, ai_settings_update
from photos.views import item_or_404


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_staff:
            raise PermissionDenied("Staff only")
        return view(request, *args, **kwargs)

    return wrapper


# --- /ai-settings/ ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def ai_settings_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    row = ai_settings_get()
    form = AISettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        ai_settings_update(values=form.model_values())
        messages.success(request, "AI settings saved.")
        return redirect("ai-settings")
    context = {
        "form": form,
        "api_key_hint": api_key_hint(row.api_key),
        "concurrency": ops.concurrency_suggestion(),
        "sample_url": reverse("ai-settings-sample"),
        "time_zone": settings.TIME_ZONE,
        "site_language": language_name(site_language()),
    }
    return render(request, "photos/ops/ai_settings.html", context)


@require_GET
@staff_required
def ai_settings_sample_view(request: AuthenticatedHttpRequest) -> FileResponse:
    return FileResponse(ai_sample.SAMPLE_PHOTO.open("rb"), content_type="image/jpeg")


@require_POST
@staff_required
def ai_settings_test_view(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Queue an analysis of the bundled photo with the form's (unsaved) values."""
    form = AISettingsForm(request.POST, instance=ai_settings_get())
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    try:
        # In the tester's own language, as their photos would be written.
        overrides = {**form.engine_overrides(), ai_sample.LANGUAGE: user_language(request.user.pk)}
        task_id = ai_sample.sample_test_enqueue(overrides)
    except queue.BROKER_ERRORS as error:
        return JsonResponse({"error": f"The queue (Redis) is unreachable: {error}"}, status=503)
    return JsonResponse(
        {"task_id": task_id, "result_url": reverse("ai-settings-test-result", args=[task_id])},
        status=202,
    )


@require_GET
@never_cache
@staff_required
def ai_settings_test_result_view(request: AuthenticatedHttpRequest, task_id: str) -> JsonResponse:
    return JsonResponse(ai_sample.interactive_task_poll(task_id))


# --- /ai-settings/vocabulary/ ------------------------------------------------------------

CONCEPTS_PER_PAGE = 100


@require_GET
@staff_required
def vocabulary_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    category = request.GET.get("category", "")
    concepts = vocabulary_reads.concepts_search(query=query, category=category)
    page = Paginator(concepts, CONCEPTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "category": category,
        "categories": vocabulary_reads.concept_categories(),
    }
    return render(request, "photos/ops/vocabulary.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def concept_edit_view(
    request: AuthenticatedHttpRequest, concept_id: int | None = None
) -> HttpResponse:
    concept = None
    if concept_id is not None:
        concept = vocabulary_reads.concept_get(concept_id=concept_id)
        if concept is None:
            raise Http404("No such concept")
    form = ConceptForm(request.POST or None, instance=concept)
    if request.method == "POST" and form.is_valid():
        saved = vocabulary.concept_save(concept=concept, values=form.model_values())
        messages.success(request, f"“{saved.name}” saved; the next photos processed use it.")
        return redirect(f"{reverse('ai-vocabulary')}?{urlencode({'q': saved.name})}")
    return render(request, "photos/ops/concept_form.html", {"form": form, "concept": concept})


@require_POST
@staff_required
def concept_delete_view(request: AuthenticatedHttpRequest, concept_id: int) -> HttpResponse:
    concept = vocabulary_reads.concept_get(concept_id=concept_id)
    if concept is None:
        raise Http404("No such concept")
    vocabulary.concept_delete(concept=concept)
    messages.success(request, f"“{concept.name}” removed from the vocabulary.")
    return redirect("ai-vocabulary")


@require_POST
@staff_required
def concept_preview_view(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Queue a preview of the form's (unsaved) concept on recent photos."""
    form = ConceptPreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    try:
        task_id = vocabulary.preview_enqueue(form.cleaned_data)
    except queue.BROKER_ERRORS as error:
        return JsonResponse({"error": f"The queue (Redis) is unreachable: {error}"}, status=503)
    url = reverse("ai-vocabulary-preview-result", args=[task_id])
    return JsonResponse({"task_id": task_id, "result_url": url}, status=202)


@require_GET
@never_cache
@staff_required
def concept_preview_result_view(request: AuthenticatedHttpRequest, task_id: str) -> JsonResponse:
    return JsonResponse(ai_sample.interactive_task_poll(task_id))


# --- /ops/ dashboard -------------------------------------------------------------------


@require_GET
@staff_required
def dashboard_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    snapshot = ops.dashboard_snapshot()
    return render(request, "photos/ops/dashboard.html", {"snapshot": snapshot})


@require_GET
@never_cache
@staff_required
def dashboard_status_view(request: AuthenticatedHttpRequest) -> JsonResponse:
    return JsonResponse(ops.dashboard_snapshot())


@require_POST
@staff_required
def retry_failed_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    queued = retry.failed_retry_all()
    messages.success(request, f"Queued failed items again: {per_kind_text(queued)}.")
    return redirect("ops-dashboard")


@require_POST
@staff_required
def process_pending_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    queued = retry.pending_process_all()
    messages.success(request, f"Queued pending items now: {per_kind_text(queued)}.")
    return redirect("ops-dashboard")


@require_POST
@staff_required
def group_people_view(request: HttpRequest) -> HttpResponse:
    people.people_group_enqueue()
    messages.success(request, "Face grouping queued; new people appear when a worker is done.")
    return redirect("ops-dashboard")


def per_kind_text(counts: dict[str, int]) -> str:
    """{"photo": 2, "video": 1} -> "2 photos and 1 video"."""
    return " and ".join(
        f"{counts[name]} {name if counts[name] == 1 else kind.plural}"
        for name, kind in KINDS.items()
    )


# --- one item: retry and live status (owner or staff) ---------------------------------


@require_POST
def item_retry_view(request: AuthenticatedHttpRequest, kind: Kind, item_id: int) -> HttpResponse:
    item = item_or_404(request, kind, item_id)
    try:
        moved = retry.item_retry(item=item)
    except IllegalTransition:
        moved = False
    if _wants_json(request):
        status = 202 if moved else 409
        return JsonResponse(ops.item_live_status(item), status=status)
    if moved:
        messages.success(request, f"{item.original_filename} is queued for processing.")
    else:
        messages.info(request, f"{item.original_filename} is already being processed.")
    return _redirect_back(request, item.get_absolute_url())


@require_POST
@staff_required
def item_process_now_view(
    request: AuthenticatedHttpRequest, kind: Kind, item_id: int
) -> HttpResponse:
    """A pending item queued now, rather than at the nightly run (auto-process off)."""
    item = item_or_404(request, kind, item_id)
    if retry.item_queue_now(item=item):
        messages.success(request, f"{item.original_filename} is queued for processing now.")
    else:
        messages.info(request, f"{item.original_filename} is not waiting any more.")
    return _redirect_back(request, item.get_absolute_url())


@require_GET
@never_cache
def item_status_view(request: AuthenticatedHttpRequest, kind: Kind, item_id: int) -> JsonResponse:
    return JsonResponse(ops.item_live_status(item_or_404(request, kind, item_id)))


def _wants_json(request: AuthenticatedHttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _redirect_back(request: AuthenticatedHttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if safe else fallback)


# --- /metrics --------------------------------------------------------------------------


@login_not_required
@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        raise Http404("Metrics are disabled")
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not given:
        response = HttpResponse("Bearer token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # An empty configured token never matches: enabling metrics without one opens nothing.
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse("Bad token\n", status=403, content_type="text/plain")
    return HttpResponse(ops.metrics_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
