"""The whole library by time (the timeline) and by place (the map): reads only.

Both page in SQL with a keyset, never OFFSET: a deep page costs what the first
one does, and each page is a fixed number of queries however large the library.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from photos.models import Album, MediaItem
from photos.selectors import GRID_DEFERRED

TIMELINE_PAGE_SIZE = 60
MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()
MAP_PAGE_SIZE = 5000
JUMP_LIST_CACHE_S = 60

# Date taken, else the upload date; the same expression as the index
# `item_effective_date` (migration 0006), so the page is an index range scan.
EFFECTIVE_AT = Coalesce(F("taken_at"), F("uploaded_at"))


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: strictly after (older than) this (date, id)."""

    at: datetime
    item_id: int

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.item_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """None for anything that isn't a cursor we wrote: the view shows the first page."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            at_text, _, id_text = raw.partition("|")
            at = datetime.fromisoformat(at_text)
            item_id = int(id_text)
        except (ValueError, UnicodeDecodeError):
            return None
        if at.tzinfo is None:
            return None
        return cls(at=at, item_id=item_id)


@dataclass(frozen=True)
class Day:
    day: date
    items: list[MediaItem]


@dataclass(frozen=True)
class Month:
    month: date  # the first of the month
    days: list[Day]


@dataclass(frozen=True)
class Year:
    year: int
    months: list[Month]


@dataclass(frozen=True)
class TimelinePage:
    years: list[Year]
    next_cursor: Cursor | None


@dataclass(frozen=True)
class JumpMonth:
    month: date
    count: int

    # Formatted here, not with |date in the template: a long library lists
    # hundreds of months, and the template filter costs ~0.1 ms each.
    @property
    def key(self) -> str:
        return f"{self.month.year:04d}-{self.month.month:02d}"

    @property
    def name(self) -> str:
        return MONTH_NAMES[self.month.month - 1]


@dataclass(frozen=True)
class JumpYear:
    year: int
    count: int
    months: list[JumpMonth]


def library_of(user: AbstractBaseUser) -> QuerySet[MediaItem]:
    """The items in the user's own albums: the timeline and the map show one's own
    library, staff included (staff reach others' albums through the album pages).

    By a list of album ids (one small query) rather than a join on the owner:
    PostgreSQL estimates a join through albums at a few rows, and at 100,000
    items then picks a bitmap scan of every album over the ordered index walk.
    """
    album_ids = list(Album.objects.filter(owner=user).values_list("id", flat=True))
    return MediaItem.objects.filter(album_id__in=album_ids)


def timeline_items(user: AbstractBaseUser) -> QuerySet[MediaItem]:
    """The user's library, newest by date taken first."""
    return (
        library_of(user)
        .defer(*GRID_DEFERRED)
        .annotate(effective_at=EFFECTIVE_AT)
        .order_by(F("effective_at").desc(), F("id").desc())
    )


def timeline_from(*, user: AbstractBaseUser, cursor: Cursor | None) -> QuerySet[MediaItem]:
    """The timeline from the cursor on (from the newest without one)."""
    items = timeline_items(user)
    if cursor is None:
        return items
    # The plain `<=` bound lets PostgreSQL start the index scan at the cursor;
    # the OR only settles ties on the same instant.
    return items.filter(
        Q(effective_at__lt=cursor.at) | Q(effective_at=cursor.at, id__lt=cursor.item_id),
        effective_at__lte=cursor.at,
    )


def timeline_page(
    *, user: AbstractBaseUser, cursor: Cursor | None = None, size: int | None = None
) -> TimelinePage:
    """One page of the timeline, grouped by year, month and day: one query."""
    size = size or TIMELINE_PAGE_SIZE
    items = timeline_from(user=user, cursor=cursor)
    rows = list(items[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = Cursor(at=last.effective_at, item_id=last.pk)
    return TimelinePage(years=grouped(rows), next_cursor=next_cursor)


def month_start_cursor(month: date) -> Cursor:
    """A cursor whose page begins with the newest item of `month` (server time zone)."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = timezone.make_aware(datetime.combine(following, datetime.min.time()))
    # Strictly before midnight of the next month: id 0 lets every item at that instant pass.
    return Cursor(at=start, item_id=0)


def grouped(items: list[MediaItem]) -> list[Year]:
    """Items already in timeline order, nested by local year, month and day."""
    years: list[Year] = []
    for item in items:
        local = timezone.localtime(item.effective_at)
        if not years or years[-1].year != local.year:
            years.append(Year(year=local.year, months=[]))
        months = years[-1].months
        first_of_month = local.date().replace(day=1)
        if not months or months[-1].month != first_of_month:
            months.append(Month(month=first_of_month, days=[]))
        days = months[-1].days
        if not days or days[-1].day != local.date():
            days.append(Day(day=local.date(), items=[]))
        days[-1].items.append(item)
    return years


def timeline_jump_list(user: AbstractBaseUser) -> list[JumpYear]:
    """Years and months with their counts, newest first.

    Counting reads every item the user has (an index-only scan of
    `item_album_dates`, ~10^5 rows), so the answer is cached per user for
    JUMP_LIST_CACHE_S and keyed by the newest item's id: an upload shows at
    once, a deletion or a corrected date within that time.
    """
    newest = library_of(user).order_by("-id").values_list("id", flat=True).first()
    if newest is None:
        return []
    key = f"timeline-jump:{user.pk}:{newest}"
    jump = cache.get(key)
    if jump is None:
        jump = timeline_jump_list_count(user)
        cache.set(key, jump, JUMP_LIST_CACHE_S)
    return jump


def timeline_jump_list_count(user: AbstractBaseUser) -> list[JumpYear]:
    """The jump list from the rows: one grouped query."""
    rows = (
        library_of(user)
        .order_by()
        .annotate(month=TruncMonth(EFFECTIVE_AT))
        .values("month")
        # COUNT(*), not COUNT(id): PostgreSQL can then answer from the index alone.
        .annotate(n=Count("*"))
        .order_by("-month")
    )
    years: list[JumpYear] = []
    for row in rows:
        # TruncMonth answers an aware datetime in the current time zone.
        month = timezone.localtime(row["month"]).date()
        if not years or years[-1].year != month.year:
            years.append(JumpYear(year=month.year, count=0, months=[]))
        years[-1].months.append(JumpMonth(month=month, count=row["n"]))
    return [
        JumpYear(year=y.year, count=sum(m.count for m in y.months), months=y.months) for y in years
    ]


# --- Map ------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkerPage:
    markers: list[tuple[int, str, float, float]]  # id, kind, latitude, longitude
    next_after: int | None


def map_markers(*, user: AbstractBaseUser, after: int = 0, size: int | None = None) -> MarkerPage:
    """Items with a location, by id, `size` at a time: only the four columns a marker needs."""
    size = size or MAP_PAGE_SIZE
    rows = list(
        library_of(user)
        .filter(gps_latitude__isnull=False, gps_longitude__isnull=False, id__gt=after)
        .order_by("id")
        .values_list("id", "kind", "gps_latitude", "gps_longitude")[: size + 1]
    )
    next_after = None
    if len(rows) > size:
        rows = rows[:size]
        next_after = rows[-1][0]
    return MarkerPage(markers=rows, next_after=next_after)
