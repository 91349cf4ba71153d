"""The export worker: the requested items as one ZIP streamed into S3, with a manifest.

Memory stays bounded by one multipart part and one image: originals are copied from S3 to the
archive chunk by chunk (a PNG conversion holds one image at a time). Items that vanished since
the request (deleted, trashed, files gone) are listed in the manifest as missing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from galleria import clock, observability
from galleria.domain.items import Item, Rendition
from galleria.domain.jobs import ExportResult, Job, JobError, JobStatus
from galleria.errors import InvalidImage
from galleria.exports.archive import MultipartSink, ObjectMissing, ZipStreamWriter, object_chunks
from galleria.exports.naming import entry_name
from galleria.exports.service import export_key
from galleria.items.repository import ItemsRepository
from galleria.jobs.repository import JobsRepository
from galleria.storage import MediaStorage, extension_for
from galleria.transactions import TransactionCancelled, transact_write

logger = Logger(child=True)
MANIFEST = "manifest.json"
_ITEMS_PER_READ = 100  # one BatchGetItem


def _manifest_entry(file: str, item: Item) -> dict[str, Any]:
    """What the manifest says of one file (kept instead of the item, so memory stays flat)."""
    return {
        "file": file,
        "id": item.id,
        "prompt": item.prompt,
        "model": item.model,
        "tags": item.tags,
        "createdAt": item.created_at,
    }


class ExportWorker:
    def __init__(
        self,
        jobs: JobsRepository | None = None,
        items: ItemsRepository | None = None,
        storage: MediaStorage | None = None,
    ) -> None:
        self.jobs = jobs or JobsRepository()
        self.items = items or ItemsRepository()
        self.storage = storage or MediaStorage()

    def run(self, job_id: str) -> Job | None:
        claim = self.jobs.claim(job_id, clock.now_iso())
        if claim.job is None:
            logger.warning("export job not found, message dropped", job_id=job_id)
            return None
        job = claim.job
        if not claim.running:
            return job
        fmt = job.request.get("format", "original")
        key = export_key(job.team_id, job.id)
        sink = MultipartSink(self.storage.client, self.storage.bucket, key)
        entries: list[dict[str, Any]] = []
        missing: list[str] = []
        with ZipStreamWriter(sink) as archive:
            for start in range(0, len(job.item_ids), _ITEMS_PER_READ):  # a batch of items in memory
                batch = job.item_ids[start : start + _ITEMS_PER_READ]
                found = {item.id: item for item in self.items.find_many(job.team_id, batch)}
                for item_id in batch:
                    item = found.get(item_id)
                    entry = self._add(archive, item, fmt) if item is not None and item.live else None
                    if entry is None:
                        missing.append(item_id)
                    else:
                        entries.append(entry)
            manifest = {
                "exportedAt": clock.now_iso(),
                "format": fmt,
                "items": entries,
                "missing": missing,
            }
            archive.add_bytes(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
        result = ExportResult(
            object_key=key, bytes=sink.bytes_written, item_count=len(entries), missing=missing
        )
        return self._finish(job, JobStatus.SUCCEEDED, export=result)

    def fail(self, job_id: str, message: str) -> None:
        job = self.jobs.find(job_id)
        if job is not None and not job.status.finished:
            self._finish(job, JobStatus.FAILED, error=JobError(code="export_failed", message=message))

    def _add(self, archive: ZipStreamWriter, item: Item, fmt: str) -> dict[str, Any] | None:
        """Write the item's file; None when its object is gone."""
        key = item.object_keys[Rendition.ORIGINAL]
        if fmt == "png" and item.type == "image" and item.mime_type != "image/png":
            from galleria.imaging.convert import convert_image

            original = self.storage.find(key)
            if original is None:
                return None
            try:
                data, _ = convert_image(original, "png")
            except InvalidImage:  # a damaged original is listed as missing, not a failed export
                logger.warning("export: original could not be converted", item_id=item.id)
                return None
            name = entry_name(item, "png")
            archive.add_bytes(name, data, modified=_modified(item))
            return _manifest_entry(name, item)
        try:
            chunks = object_chunks(self.storage.client, self.storage.bucket, key)
        except ObjectMissing:
            return None
        name = entry_name(item, extension_for(item.mime_type))
        archive.add_stream(name, chunks, size=item.file_size, modified=_modified(item))
        return _manifest_entry(name, item)

    def _finish(self, job: Job, status: JobStatus, **outcome: Any) -> Job:
        finished = job.model_copy(update={"status": status, "updated_at": clock.now_iso(), **outcome})
        try:
            transact_write([self.jobs.finish_op(finished)])
        except TransactionCancelled as exc:
            if not exc.failed_condition(0):
                raise
        else:
            if finished.export is not None:
                observability.export_bytes(finished.export.bytes)
        logger.info("export finished", job_id=job.id, status=status, export=outcome.get("export"))
        return finished


def _modified(item: Item) -> datetime:
    return datetime.fromisoformat(item.created_at.replace("Z", "+00:00"))
