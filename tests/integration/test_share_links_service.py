"""Share links in the layer, against moto: one active link per target, options, revoke and audit.

The HTTP routes come on top of this service; these tests pin down the data rules underneath.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from galleria import clock
from galleria.domain.shares import ShareOptions, ShareState, ShareTarget
from galleria.errors import NotFound
from galleria.shares.passwords import verify_password
from galleria.shares.service import SharesService

ITEM = ShareTarget.ITEM


@pytest.fixture
def item_id(stack, team) -> str:
    return stack.make_items(team, 1)[0]


def test_sharing_twice_gives_the_same_token(stack, team, item_id) -> None:
    service = SharesService()

    first, created = service.share(team.team_id, ITEM, item_id, ShareOptions(expires_in="1d"))
    again, created_again = service.share(team.team_id, ITEM, item_id, ShareOptions(expires_in="30d"))

    assert (created, created_again) == (True, False)
    assert again.token == first.token and len(first.token) == 40
    assert again.expires_in == "1d"  # options change through update, not a second share


def test_concurrent_shares_of_one_item_agree_on_one_token(stack, team, item_id) -> None:
    service = SharesService()

    with ThreadPoolExecutor(10) as pool:
        results = list(
            pool.map(lambda _: service.share(team.team_id, ITEM, item_id, ShareOptions()), range(10))
        )

    assert len({share.token for share, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(service.history(team.team_id, ITEM, item_id)) == 1


def test_options_change_and_a_password_is_stored_only_as_a_hash(stack, team, item_id) -> None:
    service = SharesService()
    service.share(team.team_id, ITEM, item_id, ShareOptions())

    protected = service.update(
        team.team_id, ITEM, item_id, ShareOptions(password="open sesame", allow_download=True)
    )
    stored = service.get(team.team_id, ITEM, item_id)
    opened = service.update(team.team_id, ITEM, item_id, ShareOptions(password=None))

    assert stored.password_hash and "open sesame" not in stored.password_hash
    assert verify_password("open sesame", stored.password_hash)
    assert protected.allow_download and stored.allow_download
    assert opened.password_hash is None and service.get(team.team_id, ITEM, item_id).password_hash is None


def test_a_revoked_link_is_kept_for_audit_and_a_new_share_gets_a_new_token(stack, team, item_id) -> None:
    service = SharesService()
    old, _ = service.share(team.team_id, ITEM, item_id, ShareOptions())

    service.revoke(team.team_id, ITEM, item_id)
    with pytest.raises(NotFound):
        service.get(team.team_id, ITEM, item_id)
    new, created = service.share(team.team_id, ITEM, item_id, ShareOptions())

    history = service.history(team.team_id, ITEM, item_id)
    assert created and new.token != old.token
    assert [share.token for share in history] == [new.token, old.token]
    assert history[1].revoked_at is not None and history[1].state(clock.now_iso()) is ShareState.REVOKED


def test_an_expired_link_is_replaced_by_a_new_one(stack, team, item_id, monkeypatch) -> None:
    service = SharesService()
    old, _ = service.share(team.team_id, ITEM, item_id, ShareOptions(expires_in="1h"))
    later = clock.now() + timedelta(hours=2)
    monkeypatch.setattr(clock, "now", lambda: later)

    new, created = service.share(team.team_id, ITEM, item_id, ShareOptions(expires_in="never"))

    assert created and new.token != old.token and new.expires_at is None
    assert old.state(clock.now_iso()) is ShareState.EXPIRED


def test_another_team_cannot_share_or_read_an_item(stack, team, other_team, item_id) -> None:
    service = SharesService()
    service.share(team.team_id, ITEM, item_id, ShareOptions())

    for call in (
        lambda: service.share(other_team.team_id, ITEM, item_id, ShareOptions()),
        lambda: service.get(other_team.team_id, ITEM, item_id),
        lambda: service.history(other_team.team_id, ITEM, item_id),
        lambda: service.revoke(other_team.team_id, ITEM, item_id),
    ):
        with pytest.raises(NotFound):
            call()
    assert service.get(team.team_id, ITEM, item_id).revoked_at is None
