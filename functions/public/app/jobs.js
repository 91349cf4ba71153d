// Waiting for the API's background work: generation, edit and derived-image jobs, and exports.

import { ApiError, seg } from "./api.js";
import { sleep } from "./dom.js";

// The first check after a second, then each a half longer than the last, up to 4 s apart: a job
// of 10 s takes 5 checks rather than 10, and every check is a paid API request.
const FIRST_POLL_MS = 1000;
const MAX_POLL_MS = 4000;
const GIVE_UP_MS = 5 * 60 * 1000;
const SLOW = "This is taking longer than expected: the result will appear in the gallery when it is ready.";

async function poll(fetchStatus, { onStatus, signal, done, failed }) {
  const started = Date.now();
  let delay = FIRST_POLL_MS;
  for (;;) {
    // The 202 that started the wait said "not done yet": the first check waits too.
    await sleep(delay, signal);
    delay = Math.min(delay * 1.5, MAX_POLL_MS);
    const status = await fetchStatus();
    onStatus?.(status);
    if (done(status)) return status;
    if (failed(status)) {
      throw new ApiError(status.error?.message || "The job failed", { code: status.error?.code || "job_failed" });
    }
    if (Date.now() - started > GIVE_UP_MS) throw new ApiError(SLOW, { code: "timeout" });
  }
}

/** GET /api/v1/jobs/{id} until it succeeds (the job) or fails (an ApiError with its message). */
export function waitForJob(api, jobId, { onStatus, signal } = {}) {
  return poll(() => api.get(`/api/v1/jobs/${seg(jobId)}`, { signal }), {
    onStatus,
    signal,
    done: (job) => job.status === "succeeded",
    failed: (job) => job.status === "failed",
  });
}

/** GET /api/v1/gallery/exports/{id} until its ZIP is ready (downloadUrl) or it failed. */
export function waitForExport(api, jobId, { onStatus, signal } = {}) {
  return poll(() => api.get(`/api/v1/gallery/exports/${seg(jobId)}`, { signal }), {
    onStatus,
    signal,
    done: (exported) => exported.status === "succeeded" && Boolean(exported.downloadUrl),
    failed: (exported) => exported.status === "failed",
  });
}

/** The gallery items a finished job made (its result's images), newest first. */
export async function itemsOfJob(api, job, { signal } = {}) {
  const ids = (job.result?.images || []).map((image) => image.galleryId).filter(Boolean);
  const items = await Promise.all(
    ids.map((id) => api.get(`/api/v1/gallery/${seg(id)}`, { signal }).catch(() => null)),
  );
  return items.filter(Boolean).reverse();
}

export function statusWord(status) {
  return { queued: "queued", running: "running" }[status] || status || "starting";
}
