"""The ids a route's path names, defined once so that every route answers an id the same way: a
plain id of the right kind is looked up (unknown or mistyped, it answers 404), anything else is
refused with 400 before any lookup."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from galleria.api.models.common import CollectionRef, ItemRef, JobRef, SessionRef

PathItemId = Annotated[ItemRef, Path(alias="itemId")]
PathCollectionId = Annotated[CollectionRef, Path(alias="collectionId")]
PathJobId = Annotated[JobRef, Path(alias="jobId")]
PathSessionId = Annotated[SessionRef, Path(alias="sessionId")]
