"""Share links: the owner's create / revoke / zip, and the visitor's read-only album.

A visitor has no account. Everything they reach goes through `link_or_404`,
and every item is looked up inside the link's album, so the token opens
exactly one album. Unknown, revoked and expired tokens all answer 404: a
visitor can't tell a dead link from one that never existed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from photos.downloads import album_zip_stream
from photos.forms_share import ShareLinkForm, SharePasswordForm
from photos.kinds import Kind
from photos.location_strip import NotStrippable, strips_in_place, without_location
from photos.media_serving import (
    CACHE_CONTROL,
    RangeNotSatisfiable,
    media_field,
    media_response,
    parse_range,
)
from photos.models import Album, MediaItem, ShareLink
from photos.selectors.share_links import (
    album_get_owned,
    share_display_variant,
    share_item_ai_tags,
    share_item_get,
    share_item_neighbours,
    share_items_page,
    share_link_get_for_owner,
    share_link_open,
    share_serves_original,
    share_zip_allowed,
)
from photos.services.share_links import (
    PasswordCheck,
    share_link_create,
    share_link_password_check,
    share_link_record_open,
    share_link_revoke,
)
from photos.views import album_or_404

UNLOCK_COOKIE_SALT = "photos.share.unlocked"

# --- The owner ------------------------------------------------------------------------


def owned_album_or_404(request: HttpRequest, album_id: int) -> Album:
    album = album_get_owned(user=request.user, album_id=album_id)
    if album is None:
        raise Http404("No such album")
    return album


@require_POST
def share_link_create_view(request: HttpRequest, album_id: int) -> HttpResponse:
    album = owned_album_or_404(request, album_id)
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(album)
    created = share_link_create(
        album=album,
        created_by=request.user,
        label=form.cleaned_data["label"],
        expires_at=form.expires_at(),
        password=form.cleaned_data["password"],
        allow_originals=form.cleaned_data["allow_originals"],
        allow_location=form.cleaned_data["allow_location"],
    )
    url = request.build_absolute_uri(reverse("share-album", args=[created.token]))
    # The token is stored hashed: this message is the only time the owner sees it.
    messages.success(request, f"Share link created (copy it now, it is shown once): {url}")
    return redirect(f"{album.get_absolute_url()}#share-links")


@require_POST
def share_link_revoke_view(request: HttpRequest, album_id: int, link_id: int) -> HttpResponse:
    link = share_link_get_for_owner(user=request.user, album_id=album_id, link_id=link_id)
    if link is None:
        raise Http404("No such share link")
    share_link_revoke(link=link)
    messages.success(request, f"Share link {link.token_hint}… revoked.")
    return redirect(f"{link.album.get_absolute_url()}#share-links")


@require_safe
def album_download_view(request: HttpRequest, album_id: int) -> HttpResponseBase:
    """The album as a zip of originals, or the items chosen with ?item=1&item=2."""
    album = album_or_404(request, album_id)
    chosen = request.GET.getlist("item")
    try:
        item_ids = [int(value) for value in chosen] if chosen else None
    except ValueError:
        raise Http404("No such item") from None
    chunks = album_zip_stream(album=album, item_ids=item_ids, strip_location=False)
    return zip_response(chunks, album.title)


def zip_response(chunks: Iterator[bytes], title: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{title or 'album'}.zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- The visitor ----------------------------------------------------------------------


def link_or_404(token: str) -> ShareLink:
    link = share_link_open(token=token)
    if link is None:
        raise Http404("No such share link")
    return link


def _unlock_cookie_name(link: ShareLink) -> str:
    return f"share_{link.pk}"


def _unlock_value(link: ShareLink) -> str:
    # Tied to the password hash: a new password locks out earlier visitors.
    return hashlib.sha256(link.password.encode()).hexdigest()[:32]


def is_unlocked(request: HttpRequest, link: ShareLink) -> bool:
    if not link.password:
        return True
    value = request.get_signed_cookie(
        _unlock_cookie_name(link), default="", salt=UNLOCK_COOKIE_SALT
    )
    return hmac.compare_digest(value, _unlock_value(link))


def unlocked_link_or_404(request: HttpRequest, token: str) -> ShareLink:
    """The link, if this browser has typed its password; else 404 for files and pages below
    the album (the album page itself asks for the password)."""
    link = link_or_404(token)
    if not is_unlocked(request, link):
        raise Http404("This share link needs its password")
    return link


@login_not_required
@require_http_methods(["GET", "POST"])
def share_album_view(request: HttpRequest, token: str) -> HttpResponse:
    link = link_or_404(token)
    if not is_unlocked(request, link):
        return _password_page(request, link, token)
    if request.method == "POST":
        return redirect("share-album", token=token)
    share_link_record_open(link=link)
    context = {
        **share_context(link, token),
        "page": share_items_page(link=link, page_number=request.GET.get("page")),
    }
    return render(request, "photos/share/album.html", context)


def _password_page(request: HttpRequest, link: ShareLink, token: str) -> HttpResponse:
    form = SharePasswordForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = share_link_password_check(link=link, password=form.cleaned_data["password"])
        if check is PasswordCheck.RIGHT:
            response = redirect("share-album", token=token)
            # No max_age: a browser-session cookie, so the password is asked once a session.
            response.set_signed_cookie(
                _unlock_cookie_name(link),
                _unlock_value(link),
                salt=UNLOCK_COOKIE_SALT,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
                path=reverse("share-album", args=[token]),
            )
            return response
        if check is PasswordCheck.LOCKED:
            form.add_error("password", "Too many wrong passwords. Try again in a few minutes.")
            status = 429
        else:
            form.add_error("password", "That is not the password.")
            status = 403
    return render(
        request, "photos/share/password.html", {"form": form, "token": token}, status=status
    )


@login_not_required
@require_safe
def share_item_view(request: HttpRequest, token: str, kind: Kind, item_id: int) -> HttpResponse:
    link = unlocked_link_or_404(request, token)
    item = share_item_get(link=link, kind=kind, item_id=item_id)
    if item is None:
        raise Http404(f"No such {kind.name}")
    newer, older = share_item_neighbours(link=link, item=item)
    context = {
        **share_context(link, token),
        "item": item,
        "tags": share_item_ai_tags(item),
        "display_variant": share_display_variant(link, item),
        "serves_original": share_serves_original(link, item),
        "newer": newer,
        "older": older,
    }
    return render(request, "photos/share/item.html", context)


@login_not_required
@require_safe
def share_slideshow_view(request: HttpRequest, token: str) -> HttpResponse:
    link = unlocked_link_or_404(request, token)
    page = share_items_page(link=link, page_number=request.GET.get("page"))
    slides = [(item, share_display_variant(link, item)) for item in page.object_list]
    context = {**share_context(link, token), "page": page, "slides": slides}
    return render(request, "photos/share/slideshow.html", context)


@login_not_required
@require_safe
def share_media_view(
    request: HttpRequest, token: str, kind: Kind, item_id: int, variant: str
) -> HttpResponse:
    link = unlocked_link_or_404(request, token)
    item = share_item_get(link=link, kind=kind, item_id=item_id)
    if item is None:
        raise Http404(f"No such {kind.name}")
    if variant != "original":
        # Thumbnails and posters are re-encoded by Pillow at upload: they carry no metadata.
        return media_response(item=item, variant=variant, range_header=request.headers.get("Range"))
    if not share_serves_original(link, item):
        raise Http404("This link shares display sizes only")
    if link.allow_location:
        return media_response(item=item, variant=variant, range_header=request.headers.get("Range"))
    return stripped_original_response(item, request.headers.get("Range"))


def stripped_original_response(item: MediaItem, range_header: str | None) -> HttpResponse:
    field_file = media_field(item, "original")
    storage, name = field_file.storage, field_file.name
    # A video stripped in place keeps its size: a player may ask for ranges to seek.
    in_place = strips_in_place(item.content_type)
    size = storage.size(name)
    try:
        byte_range = parse_range(range_header, size) if in_place else None
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    file = storage.open(name, "rb")
    try:
        chunks = without_location(
            file, item.content_type, (byte_range.start, byte_range.end) if byte_range else None
        )
    except NotStrippable:
        file.close()
        raise Http404("This file can only be shared at display size") from None
    response = StreamingHttpResponse(
        chunks, content_type=item.content_type, status=206 if byte_range else 200
    )
    if byte_range is not None:
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
        response["Content-Length"] = str(byte_range.length)
    elif in_place:
        response["Content-Length"] = str(size)
    if in_place:
        response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=item.original_filename or "original"
    )
    return response


@login_not_required
@require_safe
def share_download_view(request: HttpRequest, token: str) -> HttpResponseBase:
    link = unlocked_link_or_404(request, token)
    if not share_zip_allowed(link):
        raise Http404("This link does not allow downloads")
    chunks = album_zip_stream(album=link.album, strip_location=not link.allow_location)
    return zip_response(chunks, link.album.title)


def share_context(link: ShareLink, token: str) -> dict:
    return {
        "link": link,
        "token": token,
        "album": link.album,
        "zip_allowed": share_zip_allowed(link),
    }
