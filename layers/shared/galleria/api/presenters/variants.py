"""Edit sessions and the jobs that make variants."""

from __future__ import annotations

from galleria.api.models.variants import EditAccepted, SessionOpened, SessionOut, SessionTurnOut
from galleria.api.presenters.jobs import job_status_url
from galleria.domain.jobs import Job
from galleria.sessions.repository import EditSession, SessionTurn


def edit_accepted(job: Job, session_id: str) -> EditAccepted:
    return EditAccepted(
        job_id=job.id, status=job.status.value, status_url=job_status_url(job), edit_session_id=session_id
    )


def session_opened(session: EditSession) -> SessionOpened:
    return SessionOpened(
        session_id=session.id, gallery_image_id=session.gallery_image_id, created_at=session.created_at
    )


def session_out(session: EditSession, turns: list[SessionTurn]) -> SessionOut:
    return SessionOut(
        **session_opened(session).model_dump(),
        turns=[SessionTurnOut(**turn.model_dump(exclude={"session_id"})) for turn in turns],
    )
