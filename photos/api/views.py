"""API endpoints: parse, check who may see what (others' objects: 404), call a service, respond.

The same selectors and services as the pages, so the API reaches exactly what
the pages reach.
"""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from photos.api.serializers import (
    AlbumSerializer,
    DescriptionInputSerializer,
    DescriptionSerializer,
    ItemSerializer,
    ItemStatusSerializer,
    ItemTagSerializer,
    PeopleQuerySerializer,
    PersonSerializer,
    SearchQuerySerializer,
    ShareLinkCreatedSerializer,
    ShareLinkInputSerializer,
    ShareLinkSerializer,
    TagInputSerializer,
    UploadSerializer,
)
from photos.media_serving import media_response
from photos.models import Album, IllegalTransition, ItemTag, MediaItem, Person, ShareLink
from photos.selectors import (
    GRID_DEFERRED,
    album_get_for_user,
    albums_visible_to,
    item_tags,
    items_visible_to,
)
from photos.selectors.people import people_for_owner
from photos.selectors.search import SearchFilters, items_search, search_run
from photos.selectors.share_links import album_get_owned, share_links_for_album
from photos.services.albums import album_create, album_delete, album_update
from photos.services.item_edits import (
    EditRejected,
    item_description_set,
    item_tag_add,
    item_tag_remove,
)
from photos.services.media_probe import UploadRejected
from photos.services.people import person_hide, person_rename
from photos.services.retry import item_retry
from photos.services.share_links import share_link_create, share_link_revoke
from photos.services.uploads import item_create_from_upload
from photos.views import upload_request_size_error


class NewestFirstCursor(CursorPagination):
    """Keyset pages, newest upload first: a deep page costs what the first does (no OFFSET)."""

    ordering = ("-uploaded_at", "-id")
    page_size = 50


def with_tags(items: QuerySet[MediaItem]) -> QuerySet[MediaItem]:
    """A page of items and all their tags in two queries, however many items."""
    tags = ItemTag.objects.select_related("tag").order_by(
        F("score").desc(nulls_last=True), "tag__name"
    )
    return items.defer(*GRID_DEFERRED).prefetch_related(Prefetch("item_tags", queryset=tags))


class AlbumViewSet(viewsets.ModelViewSet):
    """Your albums. Another user's album answers 404."""

    serializer_class = AlbumSerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Album]:
        return albums_visible_to(self.request.user).order_by("-created_at", "-id")

    def perform_create(self, serializer: AlbumSerializer) -> None:
        serializer.instance = album_create(owner=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: AlbumSerializer) -> None:
        album = serializer.instance
        data = serializer.validated_data
        serializer.instance = album_update(
            album=album,
            title=data.get("title", album.title),
            description=data.get("description"),
        )

    def perform_destroy(self, instance: Album) -> None:
        album_delete(album=instance)

    @extend_schema(
        responses=ItemSerializer(many=True),
        parameters=[
            OpenApiParameter("cursor", str, description="From the previous page's `next`.")
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursor)
    def items(self, request: Request, pk: str | None = None) -> Response:
        """The album's photos and videos, newest first."""
        album = self.get_object()
        paginator = NewestFirstCursor()
        page = paginator.paginate_queryset(with_tags(album.items.all()), request, view=self)
        return paginator.get_paginated_response(ItemSerializer(page, many=True).data)


class ShareLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """An album's share links: only its owner manages them (not staff: a share is the owner's)."""

    serializer_class = ShareLinkSerializer
    lookup_value_converter = "int"

    def album(self) -> Album:
        album = album_get_owned(user=self.request.user, album_id=self.kwargs["album_pk"])
        if album is None:
            raise Http404("No such album")
        return album

    def get_queryset(self) -> QuerySet[ShareLink]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ShareLink.objects.none()
        return share_links_for_album(self.album())

    @extend_schema(request=ShareLinkInputSerializer, responses={201: ShareLinkCreatedSerializer})
    def create(self, request: Request, album_pk: int) -> Response:
        """A new link; its URL is in this response only (the token is stored hashed)."""
        album = self.album()
        form = ShareLinkInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        created = share_link_create(album=album, created_by=request.user, **form.validated_data)
        url = request.build_absolute_uri(reverse("share-album", args=[created.token]))
        # ShareLinkCreatedSerializer's shape: the URL is no model field, it exists only here.
        data = {**ShareLinkSerializer(created.link).data, "url": url}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ShareLinkSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, album_pk: int, pk: int) -> Response:
        """Revoke the link: visitors get 404 from now on."""
        link = share_link_revoke(link=self.get_object())
        return Response(ShareLinkSerializer(link).data)


class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your photos and videos (one list, `kind` tells them apart). Another user's item: 404."""

    serializer_class = ItemSerializer
    lookup_value_converter = "int"
    pagination_class = NewestFirstCursor
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[MediaItem]:
        return with_tags(items_visible_to(self.request.user).order_by("-uploaded_at", "-id"))

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: ItemSerializer},
        description="Upload one photo or video into an album; the content decides which it is.",
    )
    def create(self, request: Request) -> Response:
        # As the web upload: refused from Content-Length, before the body is read.
        too_big = upload_request_size_error(request._request)
        if too_big:
            return Response({"file": [too_big]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        album = album_get_for_user(user=request.user, album_id=form.validated_data["album"])
        if album is None:
            raise serializers.ValidationError({"album": ["No such album."]})
        upload = form.validated_data["file"]
        try:
            item = item_create_from_upload(
                album=album,
                uploader=request.user,
                file=upload,
                filename=upload.name or "upload",
                size=upload.size,
            )
        except UploadRejected as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from None
        return Response(ItemSerializer(self.fresh(item)).data, status=status.HTTP_201_CREATED)

    def fresh(self, item: MediaItem) -> MediaItem:
        return self.get_queryset().get(pk=item.pk)

    @extend_schema(responses=ItemStatusSerializer)
    @action(detail=True, methods=["get"], url_path="status")
    def processing_status(self, request: Request, pk: str | None = None) -> Response:
        """Where the item's AI processing stands."""
        return Response(ItemStatusSerializer(self.get_object()).data)

    @extend_schema(request=None, responses={202: ItemStatusSerializer})
    @action(detail=True, methods=["post"])
    def reprocess(self, request: Request, pk: str | None = None) -> Response:
        """Run the AI again on a completed or failed item (409 while it is on its way)."""
        item = self.get_object()
        try:
            item_retry(item=item)
        except IllegalTransition:
            return Response(
                {"detail": f"The item is {item.processing_status}: it is already on its way."},
                status=status.HTTP_409_CONFLICT,
            )
        item.refresh_from_db()
        return Response(ItemStatusSerializer(item).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(methods=["GET"], request=None, responses=ItemTagSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=TagInputSerializer, responses={201: ItemTagSerializer(many=True)}
    )
    @action(detail=True, methods=["get", "post"])
    def tags(self, request: Request, pk: str | None = None) -> Response:
        """The item's tags; POST adds a person's tag."""
        item = self.get_object()
        if request.method == "POST":
            form = TagInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            try:
                item_tag_add(item=item, name=form.validated_data["name"])
            except EditRejected as exc:
                raise serializers.ValidationError({"name": [str(exc)]}) from None
            data = ItemTagSerializer(item_tags(item), many=True).data
            return Response(data, status=status.HTTP_201_CREATED)
        return Response(ItemTagSerializer(item_tags(item), many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path="tags/<str:name>")
    def tag_remove(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """Remove a tag; reprocessing will not put it back. 404 if the item has no such tag."""
        item = self.get_object()
        try:
            item_tag_remove(item=item, name=name)
        except EditRejected as exc:  # the item has no such tag
            raise Http404(str(exc)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=DescriptionInputSerializer, responses=DescriptionSerializer)
    @action(detail=True, methods=["put"], url_path="description")
    def description_set(self, request: Request, pk: str | None = None) -> Response:
        """A person's description; empty text hands it back to the AI's next run."""
        item = self.get_object()
        form = DescriptionInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        item_description_set(item=item, text=form.validated_data["text"])
        return Response(DescriptionSerializer(item).data)

    @extend_schema(
        request=None,
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        description=(
            "The item's file: `original`, `thumbnail` or (videos) `poster`. With media on "
            "S3 (`MEDIA_SERVE_MODE=redirect`), a 302 to a presigned URL of the bucket, valid "
            "for `MEDIA_URL_EXPIRE` seconds: follow it without the Authorization header."
        ),
    )
    @action(detail=True, methods=["get"], url_path="files/<str:variant>")
    def file(self, request: Request, pk: str | None = None, variant: str = "") -> HttpResponseBase:
        # The pages' media view needs a session; this is the same file for a token.
        return media_response(
            item=self.get_object(), variant=variant, range_header=request.headers.get("Range")
        )


class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Your people, the biggest first. Another user's person answers 404, staff's too (#14)."""

    serializer_class = PersonSerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Person]:
        hidden: bool | None = None  # one person, hidden or not: unhiding must reach them
        if self.action == "list":
            form = PeopleQuerySerializer(data=self.request.query_params)
            form.is_valid(raise_exception=True)
            hidden = form.validated_data["hidden"]
        return people_for_owner(user=self.request.user, hidden=hidden)

    @extend_schema(parameters=[PeopleQuerySerializer])
    def list(self, request: Request) -> Response:
        return super().list(request)

    def perform_update(self, serializer: PersonSerializer) -> None:
        # The services change the instance in place, so its face_count still answers.
        person = serializer.instance
        data = serializer.validated_data
        if "name" in data:
            person_rename(person=person, name=data["name"])
        if "hidden" in data:
            person_hide(person=person, hidden=data["hidden"])


class SearchView(GenericAPIView):
    """Word and meaning search over your photos and videos, best match first."""

    serializer_class = ItemSerializer

    @extend_schema(parameters=[SearchQuerySerializer], responses=ItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        form = SearchQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        filters = SearchFilters(
            kind=data["kind"],
            album_id=data["album"],
            taken_from=data["taken_from"],
            taken_to=data["taken_to"],
            status=data["status"],
        )
        if data["meaning"]:
            items = search_run(user=request.user, query=data["q"], filters=filters).items
        else:
            items = items_search(user=request.user, query=data["q"], filters=filters)
        page = self.paginate_queryset(with_tags(items))
        return self.get_paginated_response(ItemSerializer(page, many=True).data)
