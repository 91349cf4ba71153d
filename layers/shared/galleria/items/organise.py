"""Mutations that organise items: the PATCH fields, favorites, tags and collections.

Each returns the item's new state (or the same item when nothing changes) for ItemUpdater.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from galleria.domain.collections import MAX_COLLECTIONS_PER_ITEM
from galleria.domain.items import Item, ItemPatch
from galleria.items.updates import ItemRefused, Mutation
from galleria.patches import changed_fields
from galleria.tags import MAX_TAGS


def _live(item: Item) -> None:
    if not item.live:
        raise ItemRefused("not_found", f"Gallery item {item.id} is in the trash; restore it first")


def patching(patch: ItemPatch) -> Mutation:
    def apply(item: Item) -> Item:
        _live(item)
        return item.model_copy(update=changed_fields(patch))

    return apply


def toggle_favorite(item: Item) -> Item:
    _live(item)
    return item.model_copy(update={"favorite": not item.favorite})


class TagMode(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    REPLACE = "replace"


def retag(tags: list[str], mode: TagMode) -> Mutation:
    def apply(item: Item) -> Item:
        _live(item)
        if mode is TagMode.REPLACE:
            new = list(tags)
        elif mode is TagMode.ADD:
            new = item.tags + [tag for tag in tags if tag not in item.tags]
        else:
            new = [tag for tag in item.tags if tag not in tags]
        if len(new) > MAX_TAGS:
            raise ItemRefused("too_many_tags", f"An item has at most {MAX_TAGS} tags")
        return item if new == item.tags else item.model_copy(update={"tags": new})

    return apply


def joining(collection_id: str) -> Mutation:
    def apply(item: Item) -> Item:
        _live(item)
        if collection_id in item.collections:
            return item
        if len(item.collections) >= MAX_COLLECTIONS_PER_ITEM:
            raise ItemRefused(
                "too_many_collections", f"An item can be in at most {MAX_COLLECTIONS_PER_ITEM} collections"
            )
        return item.model_copy(update={"collections": [*item.collections, collection_id]})

    return apply


def leaving(collection_id: str) -> Callable[[Item], Item]:
    def apply(item: Item) -> Item:
        if collection_id not in item.collections:
            raise ItemRefused("not_in_collection", f"Gallery item {item.id} is not in this collection")
        return item.model_copy(update={"collections": [c for c in item.collections if c != collection_id]})

    return apply
