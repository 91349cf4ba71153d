"""Variants of a gallery item: edits by a model (in edit sessions) and derived images (clean
background, grid split). Each is a job on the generation queue whose images become items with
``parentId`` set; an edit costs EDIT_PRICE credits per image, a derived image nothing."""

from __future__ import annotations

import math
from typing import Any

from galleria import clock
from galleria.catalog import ASPECT_RATIOS, EDIT_PRICE
from galleria.domain.items import Item
from galleria.domain.jobs import Job, JobStatus, JobType
from galleria.errors import Conflict, InvalidImage, InvalidRequest
from galleria.generation.service import GenerationService, check_capabilities, resolve_model
from galleria.generation.spec import GenerationSpec
from galleria.items.repository import ItemsRepository
from galleria.providers.derived import CLEAN_BACKGROUND, MODELS, SPLIT
from galleria.sessions.repository import EditSession, SessionsRepository, SessionTurn

MAX_GRID_SIDE = 4


def nearest_aspect_ratio(item: Item) -> str:
    """The supported ratio closest to the item's own shape (uploads may have any shape)."""
    if item.aspect_ratio in ASPECT_RATIOS and not (item.width and item.height):
        return item.aspect_ratio
    if not (item.width and item.height):
        return "1:1"
    shape = math.log(item.width / item.height)

    def distance(ratio: str) -> float:
        width, height = (int(part) for part in ratio.split(":"))
        return abs(math.log(width / height) - shape)

    return min(ASPECT_RATIOS, key=distance)


class VariantsService:
    def __init__(
        self,
        generation: GenerationService | None = None,
        items: ItemsRepository | None = None,
        sessions: SessionsRepository | None = None,
    ) -> None:
        self.generation = generation or GenerationService()
        self.items = items or self.generation.items
        self.sessions = sessions or SessionsRepository(self.items.table)

    # --- edit sessions -------------------------------------------------------------------
    def open_session(self, team_id: str, item_id: str) -> EditSession:
        item = self._image(team_id, item_id)
        session = EditSession.starting_from(team_id, item.id)
        self.sessions.create(session)
        return session

    def session(self, team_id: str, session_id: str) -> tuple[EditSession, list[SessionTurn]]:
        return self.sessions.read(team_id, session_id)

    def edit(
        self, team_id: str, item_id: str, prompt: str, model_id: str | None, session_id: str | None
    ) -> tuple[Job, str]:
        """Queue an edit of the item — or, in a session, of the session's latest image — and
        record it as the session's next turn. Returns the job and the session id. In a session,
        the item must be the one it started from or one it made; edits still running when the
        next one is asked for do not chain (the latest finished image is used)."""
        model = resolve_model(model_id)
        if not model.edit:
            raise InvalidRequest(f"{model.id} cannot edit images", code="invalid_model")
        item = self._image(team_id, item_id)
        source = item if session_id is None else self._session_source(team_id, session_id, item_id)
        spec = GenerationSpec(
            prompt=prompt,
            model=model.id,
            aspect_ratio=nearest_aspect_ratio(source),
            source_item_id=source.id,
            parent_id=source.id,
            gallery_tags=source.tags,
        )
        check_capabilities(model, spec)
        self.generation.admit(team_id, spec)
        # A new session is written with its first turn and the job, so a refused edit (402) leaves
        # none behind; in an existing one the turn number is taken first (a refusal skips it).
        new_session = None
        if session_id is None:
            new_session = EditSession.starting_from(team_id, item.id)
            session_id, turn = new_session.id, 1
        else:
            turn = self.sessions.next_turn(team_id, session_id)
        spec = spec.model_copy(update={"session_id": session_id, "turn": turn})

        def turn_record(job_id: str) -> list[dict[str, Any]]:
            now = clock.now_iso()
            record = SessionTurn(
                session_id=session_id, turn=turn, prompt=prompt, job_id=job_id, created_at=now, updated_at=now
            )
            ops = [self.sessions.put_turn_op(team_id, record)]
            if new_session is not None:
                ops.append(self.sessions.create_op(new_session.model_copy(update={"turns": 1})))
            return ops

        job = self.generation.submit(
            team_id, spec, None, price_per_image=EDIT_PRICE, job_type=JobType.EDIT, extra_ops=turn_record
        )
        return job, session_id

    # --- derived images ------------------------------------------------------------------
    def clean_background(self, team_id: str, item_id: str) -> Job:
        return self._derive(team_id, item_id, CLEAN_BACKGROUND, num_images=1)

    def split(self, team_id: str, item_id: str, rows: int, cols: int) -> Job:
        item = self._image(team_id, item_id)
        if item.width is not None and item.height is not None and (item.width < cols or item.height < rows):
            raise InvalidRequest(
                f"The image ({item.width}×{item.height}) is too small for a {rows}×{cols} grid"
            )
        return self._derive(team_id, item_id, SPLIT, num_images=rows * cols, rows=rows, cols=cols)

    def _derive(
        self,
        team_id: str,
        item_id: str,
        operation: str,
        *,
        num_images: int,
        rows: int | None = None,
        cols: int | None = None,
    ) -> Job:
        item = self._image(team_id, item_id)
        spec = GenerationSpec(
            prompt=item.prompt,
            model=MODELS[operation],
            aspect_ratio=item.aspect_ratio,
            num_images=num_images,
            style_preset=item.style_preset,
            source_item_id=item.id,
            parent_id=item.id,
            gallery_tags=item.tags,
            derive=operation,
            rows=rows,
            cols=cols,
        )
        self.generation.admit(team_id, spec)
        return self.generation.submit(team_id, spec, None, price_per_image=0, job_type=JobType.DERIVE)

    # --- helpers -------------------------------------------------------------------------
    def _image(self, team_id: str, item_id: str) -> Item:
        """A live image of the team (another team's, a trashed one or a video: refused)."""
        item = self.items.get(team_id, item_id)
        if not item.live:
            raise Conflict(f"Gallery item {item_id} is in the trash; restore it first")
        if item.type != "image":
            raise InvalidImage(f"Gallery item {item_id} is a {item.type}; only images have variants")
        return item

    def _session_source(self, team_id: str, session_id: str, item_id: str) -> Item:
        """The newest image the session made that still exists, else the item it started from."""
        session, turns = self.sessions.read(team_id, session_id)
        if item_id != session.gallery_image_id and item_id not in {turn.variant_id for turn in turns}:
            raise InvalidRequest(f"Session {session_id} neither started from {item_id} nor made it")
        for turn in reversed(turns):
            if turn.status is JobStatus.SUCCEEDED and turn.variant_id:
                variant = self.items.find(team_id, turn.variant_id)
                if variant is not None and variant.live:
                    return variant
        return self._image(team_id, session.gallery_image_id)
