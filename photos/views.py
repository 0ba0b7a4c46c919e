"""Pages and endpoints: parse the request, check who may see what, call a service, respond."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from photos.forms import AlbumForm
from photos.forms_share import ShareLinkForm
from photos.kinds import Kind, kind_of
from photos.media_serving import media_response
from photos.models import AISettings, Album, MediaItem
from photos.request_types import AuthenticatedHttpRequest
from photos.selectors import (
    album_get_for_user,
    album_item_counts,
    album_items_page,
    albums_with_counts_visible_to,
    item_get_for_user,
    item_moved_for_user,
    item_tags,
)
from photos.selectors.people import item_people_for_owner
from photos.selectors.share_links import share_links_for_album
from photos.services.ai_settings import ai_settings_get
from photos.services.albums import album_create, album_delete, album_update
from photos.services.media_probe import UploadRejected
from photos.services.schedule import pending_note
from photos.services.uploads import item_create_from_upload

# Multipart boundaries, part headers and the CSRF field around one file.
UPLOAD_REQUEST_OVERHEAD = 64 * 1024

# --- Albums -----------------------------------------------------------------


def album_or_404(request: AuthenticatedHttpRequest, album_id: int) -> Album:
    # 404, never 403, for someone else's album: ids leak nothing.
    album = album_get_for_user(user=request.user, album_id=album_id)
    if album is None:
        raise Http404("No such album")
    return album


def item_or_404(request: AuthenticatedHttpRequest, kind: Kind, item_id: int) -> MediaItem:
    """The item of that kind, for its owner or staff; 404 for anyone else."""
    item = item_get_for_user(user=request.user, item_id=item_id, kind=kind)
    if item is None:
        raise Http404(f"No such {kind.name}")
    return item


def album_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    albums = albums_with_counts_visible_to(request.user)
    return render(request, "photos/album_list.html", {"albums": albums})


@require_http_methods(["GET", "POST"])
def album_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AlbumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        album = album_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"Album “{album.title}” created.")
        return redirect(album)
    return render(request, "photos/album_form.html", {"form": form, "album": None})


@require_http_methods(["GET", "POST"])
def album_update_view(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    album = album_or_404(request, album_id)
    form = AlbumForm(request.POST or None, instance=album)
    if request.method == "POST" and form.is_valid():
        album_update(album=album, **form.cleaned_data)
        messages.success(request, "Album saved.")
        return redirect(album)
    return render(request, "photos/album_form.html", {"form": form, "album": album})


@require_http_methods(["GET", "POST"])
def album_delete_view(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    album = album_or_404(request, album_id)
    if request.method == "POST":
        album_delete(album=album)
        messages.success(request, f"Album “{album.title}” deleted, with its photos and videos.")
        return redirect("album-list")
    counts = album_item_counts(album)
    return render(request, "photos/album_confirm_delete.html", {"album": album, **counts})


def album_detail(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    album = album_or_404(request, album_id)
    context = {
        "album": album,
        "page": album_items_page(album=album, page_number=request.GET.get("page")),
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        "upload_max_mb": f"{settings.UPLOAD_MAX_BYTES / 2**20:.0f} MB",
    }
    if album.owner_id == request.user.pk:  # share links are the owner's, not staff's
        context["share_form"] = ShareLinkForm()
        context["share_links"] = share_links_for_album(album)
    return render(request, "photos/album_detail.html", context)


# --- Upload -----------------------------------------------------------------


@csrf_exempt  # CSRF is checked by csrf_protect below, after the size check: it reads the body
@require_POST
def album_upload(request: AuthenticatedHttpRequest, album_id: int) -> HttpResponse:
    """Store one or more files from field `files`.

    Answers JSON to a client that prefers it (the page's script sends one file
    per request): 201 all stored, 207 some stored and some refused, 400 none
    stored, 413 the request is over the size limit. A plain form post gets a
    redirect back to the album with a message per file.
    """
    album = album_or_404(request, album_id)
    too_big = upload_request_size_error(request)
    if too_big:
        return upload_respond(request, album, [], [{"filename": "", "error": too_big}], 413)
    unreadable = upload_body_error(request)
    if unreadable:
        return upload_respond(request, album, [], [{"filename": "", "error": unreadable}], 400)
    return _album_upload_files(request, album)


# The body is read only after the size check; file names are cleaned by the service.
album_upload.reads_body_itself = True  # type: ignore[attr-defined]


@csrf_protect
def _album_upload_files(request: AuthenticatedHttpRequest, album: Album) -> HttpResponse:
    uploads = request.FILES.getlist("files")
    uploaded: list[MediaItem] = []
    errors: list[dict[str, str]] = []
    if not uploads:
        errors.append({"filename": "", "error": "Choose one or more photos or videos."})
    for upload in uploads:
        try:
            item = item_create_from_upload(
                album=album,
                uploader=request.user,
                file=upload,
                filename=upload.name or "",
                size=upload.size or 0,
            )
        except UploadRejected as exc:
            errors.append({"filename": upload.name or "", "error": str(exc)})
        else:
            uploaded.append(item)
    status = 201 if not errors else 400 if not uploaded else 207
    return upload_respond(request, album, uploaded, errors, status)


def upload_body_error(request: HttpRequest) -> str:
    """Parse the body here, so the multipart parser's refusals get the same JSON answer."""
    try:
        request.FILES  # noqa: B018 - reading it parses the body (POST too)
    except TooManyFilesSent:
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return f"Too many files in one upload: send at most {limit} at a time."
    except (RequestDataTooBig, TooManyFieldsSent):
        return "The form fields of this upload are too large."
    except (MultiPartParserError, SuspiciousOperation) as exc:
        if "header size" in str(exc):  # a part's headers over 1 KB: the file name
            return "A file name in this upload is too long."
        return f"The upload could not be read ({exc})."
    return ""


def upload_request_size_error(request: AuthenticatedHttpRequest) -> str:
    """Refuse from Content-Length alone, before a byte of the body is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return "The upload has an invalid Content-Length."
    limit = settings.UPLOAD_MAX_BYTES
    if length <= limit + UPLOAD_REQUEST_OVERHEAD:
        return ""
    # Worded like media_probe.check_size, which refuses a single file.
    return (
        f"The upload is {length / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB "
        "per file (send fewer files at once)."
    )


def upload_respond(
    request: AuthenticatedHttpRequest,
    album: Album,
    uploaded: list[MediaItem],
    errors: list[dict[str, str]],
    status: int,
) -> HttpResponse:
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        ai_settings = ai_settings_get()
        body = {"uploaded": [item_json(item, ai_settings) for item in uploaded], "errors": errors}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if uploaded:
        count = len(uploaded)
        note = pending_note(uploaded[0], ai_settings_get())
        messages.success(request, f"Uploaded {count} file{'s' if count != 1 else ''}. {note}")
    for error in errors:
        prefix = f"{error['filename']}: " if error["filename"] else ""
        messages.error(request, f"{prefix}{error['error']}")
    return redirect(album)


def item_json(item: MediaItem, ai_settings: AISettings) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "url": item.get_absolute_url(),
        "status_url": reverse("item-status", args=[item.kind, item.pk]),
        # When it will be processed: at once, at the nightly run, or when staff say so.
        "note": pending_note(item, ai_settings),
        "thumbnail_url": reverse("media", args=[item.kind, item.pk, "thumbnail"]),
        "status": item.processing_status,
        "status_label": item.get_processing_status_display(),
        "filename": item.original_filename,
        "duration_seconds": item.duration_seconds,
    }


# --- Items and their files ----------------------------------------------------


def item_detail(request: AuthenticatedHttpRequest, kind: Kind, item_id: int) -> HttpResponse:
    item = item_get_for_user(user=request.user, item_id=item_id, kind=kind)
    if item is None:
        # An old link: a video's id from before the one media table, or the wrong kind.
        moved = item_moved_for_user(user=request.user, kind=kind, item_id=item_id)
        if moved is None:
            raise Http404(f"No such {kind.name}")
        return redirect(moved, permanent=True)
    # Names are the owner's words: shown to the owner only, never to staff.
    people = item_people_for_owner(user=request.user, item=item)
    context = {**item_context(item), "people": people}
    return render(request, kind_of(item).detail_template, context)


def item_context(item: MediaItem) -> dict:
    note = pending_note(item, ai_settings_get())
    return {"item": item, "album": item.album, "tags": item_tags(item), "pending_note": note}


def media(
    request: AuthenticatedHttpRequest, kind: Kind, item_id: int, variant: str
) -> HttpResponseBase:
    """A private file (original, thumbnail or poster), only for whoever may see its item."""
    item = item_or_404(request, kind, item_id)
    return media_response(
        item=item,
        variant=variant,
        range_header=request.headers.get("Range"),
        if_none_match=request.headers.get("If-None-Match"),
    )
