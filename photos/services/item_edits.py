"""A person's edits to an item: tags added or removed, the description rewritten.

What a person sets is marked as theirs, and reprocessing replaces only what
the AI made (see processing.item_complete and processing.ai_tags_replace).
"""

from __future__ import annotations

from django.db import transaction

from photos.models import MediaItem, Tag, TagSource
from photos.services.search_index import item_search_index_update

TAG_MAX_LENGTH = 100


class EditRejected(ValueError):
    pass


def tag_name_clean(name: str) -> str:
    name = " ".join(name.split()).lower()
    if not name:
        raise EditRejected("Type a tag.")
    if len(name) > TAG_MAX_LENGTH:
        raise EditRejected(f"A tag is at most {TAG_MAX_LENGTH} characters.")
    return name


def item_tag_add(*, item: MediaItem, name: str) -> Tag:
    """Add a person's tag; an AI tag of that name becomes the person's."""
    name = tag_name_clean(name)
    with transaction.atomic():
        tag, _ = Tag.objects.get_or_create(name=name)
        item.item_tags.update_or_create(
            tag=tag, defaults={"source": TagSource.PERSON, "score": None}
        )
        if name in item.removed_tags:
            item.removed_tags = [n for n in item.removed_tags if n != name]
            item.save(update_fields=["removed_tags"])
        item_search_index_update(item)
        embedding_update_on_commit(item)
    return tag


def item_tag_remove(*, item: MediaItem, name: str) -> bool:
    """Remove a tag and remember it, so reprocessing doesn't bring it back.

    Only a tag the item has: anything else would be remembered for nothing.
    """
    with transaction.atomic():
        deleted, _ = item.item_tags.filter(tag__name=name).delete()
        if not deleted:
            raise EditRejected(f"This item has no tag “{name[:TAG_MAX_LENGTH]}”.")
        if name not in item.removed_tags:
            item.removed_tags = [*item.removed_tags, name]
            item.save(update_fields=["removed_tags"])
        item_search_index_update(item)
        embedding_update_on_commit(item)
    return bool(deleted)


def item_description_set(*, item: MediaItem, text: str) -> None:
    """A person's description; empty hands the description back to the AI's next run."""
    text = text.strip()
    item.ai_description = text
    item.description_source = TagSource.PERSON if text else TagSource.AI
    with transaction.atomic():
        item.save(update_fields=["ai_description", "description_source"])
        item_search_index_update(item)
        embedding_update_on_commit(item)


def embedding_update_on_commit(item: MediaItem) -> None:
    """A worker recomputes the embedding: the web process never loads the model."""
    from photos.tasks import item_embedding_update_task

    kind, item_id = item.kind, item.pk
    transaction.on_commit(lambda: item_embedding_update_task.delay(kind, item_id))
