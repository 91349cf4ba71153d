"""Managing share links (authenticated): create once per target, read, change options, revoke."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from galleria import clock
from galleria.collection_records import CollectionsRepository
from galleria.domain.shares import DEFAULT_EXPIRY, Share, ShareOptions, ShareState, ShareTarget, expiry_time
from galleria.errors import Conflict, NotFound
from galleria.items.repository import ItemsRepository
from galleria.patches import KEEP, changed_fields
from galleria.shares.passwords import hash_password
from galleria.shares.repository import SharesRepository
from galleria.shares.tokens import new_share_token

_CREATE_ATTEMPTS = 3


class SharesService:
    def __init__(
        self,
        shares: SharesRepository | None = None,
        items: ItemsRepository | None = None,
        collections: CollectionsRepository | None = None,
    ) -> None:
        self.shares = shares or SharesRepository()
        self.items = items or ItemsRepository()
        self.collections = collections or CollectionsRepository()

    def share(
        self, team_id: str, target: ShareTarget, target_id: str, options: ShareOptions
    ) -> tuple[Share, bool]:
        """The target's active link, made now if it has none; True when it was made by this call.
        While a link is active the same token comes back, whatever options are asked (PATCH changes them)."""
        self._check_target(team_id, target, target_id, to_share=True)
        for _ in range(_CREATE_ATTEMPTS):
            # One read decides both: a link made by a concurrent request after a second read of
            # the pointer would otherwise be taken for a stale one and replaced.
            token, current = self._pointed(team_id, target, target_id)
            if current is not None:
                return current, False
            share = self._new_share(team_id, target, target_id, options)
            if self.shares.create(share, replacing=token):
                return share, True
        raise Conflict("The link kept changing while it was being made; try again")

    def get(self, team_id: str, target: ShareTarget, target_id: str) -> Share:
        self._check_target(team_id, target, target_id)
        share = self._active(team_id, target, target_id)
        if share is None:
            raise NotFound(f"{target.value.capitalize()} {target_id} has no active share link")
        return share

    def update(self, team_id: str, target: ShareTarget, target_id: str, changes: ShareOptions) -> Share:
        share = self.get(team_id, target, target_id)
        changed = share.model_copy(
            update={**self._options(changes, clock.now()), "updated_at": clock.now_iso()}
        )
        if not self.shares.update_options(changed):
            raise NotFound(f"{target.value.capitalize()} {target_id} has no active share link")
        return changed

    def revoke(self, team_id: str, target: ShareTarget, target_id: str) -> Share:
        """Stop the active link; its record stays (with revokedAt) for audit."""
        share = self.get(team_id, target, target_id)
        now = clock.now_iso()
        if not self.shares.revoke(share, now):
            raise NotFound(f"{target.value.capitalize()} {target_id} has no active share link")
        return share.model_copy(update={"revoked_at": now, "updated_at": now})

    def history(self, team_id: str, target: ShareTarget, target_id: str) -> list[Share]:
        self._check_target(team_id, target, target_id)
        return self.shares.list_for(team_id, target, target_id)

    # --- helpers -----------------------------------------------------------------------------
    def _check_target(
        self, team_id: str, target: ShareTarget, target_id: str, *, to_share: bool = False
    ) -> None:
        """Another team's id is simply not found; an item in the trash has a link only while it
        was shared before (suspended until restored), and gets no new one."""
        if target is ShareTarget.COLLECTION:
            self.collections.get(team_id, target_id)
        elif not self.items.get(team_id, target_id).live and to_share:
            raise Conflict(f"Gallery item {target_id} is in the trash; restore it to share it")

    def _active(self, team_id: str, target: ShareTarget, target_id: str) -> Share | None:
        return self._pointed(team_id, target, target_id)[1]

    def _pointed(self, team_id: str, target: ShareTarget, target_id: str) -> tuple[str | None, Share | None]:
        """The token the target's pointer names (if any), and its link while that is active."""
        token = self.shares.active_token(team_id, target, target_id)
        share = self.shares.find(token) if token else None
        if share is None or share.state(clock.now_iso()) is not ShareState.ACTIVE:
            return token, None
        return token, share

    def _new_share(self, team_id: str, target: ShareTarget, target_id: str, options: ShareOptions) -> Share:
        now = clock.now()
        if options.expires_in is KEEP:
            options = replace(options, expires_in=DEFAULT_EXPIRY)
        return Share(
            token=new_share_token(),
            team_id=team_id,
            target_type=target,
            target_id=target_id,
            created_at=clock.iso(now),
            updated_at=clock.iso(now),
            **self._options(options, now),
        )

    @staticmethod
    def _options(options: ShareOptions, now: datetime) -> dict[str, Any]:
        """Request options → record fields: the password hashed (None removes it), expiry computed."""
        fields = changed_fields(replace(options, password=KEEP, expires_in=KEEP))
        if options.password is not KEEP:
            fields["password_hash"] = hash_password(options.password) if options.password else None
        if options.expires_in is not KEEP:
            expires = expiry_time(options.expires_in, now)
            fields["expires_in"] = options.expires_in
            fields["expires_at"] = clock.iso(expires) if expires else None
        return fields
