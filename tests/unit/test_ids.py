from galleria import ids


def test_ids_carry_their_prefix_and_validate() -> None:
    item_id = ids.new_id(ids.ITEM)
    assert item_id.startswith("gal_")
    assert ids.is_valid(item_id, ids.ITEM)
    assert not ids.is_valid(item_id, ids.JOB)


def test_ids_sort_by_creation_time() -> None:
    earlier = ids.new_id(ids.ITEM, at_ms=1_700_000_000_000)
    later = ids.new_id(ids.ITEM, at_ms=1_700_000_000_001)
    assert earlier < later


def test_ids_made_in_the_same_millisecond_differ() -> None:
    assert len({ids.new_id(ids.ITEM, at_ms=1) for _ in range(1000)}) == 1000


def test_ids_with_path_characters_are_not_valid() -> None:
    assert not ids.is_valid("gal_../../etc/passwd", ids.ITEM)
    assert not ids.is_valid("gal_01jd000000000000000000000/", ids.ITEM)
