// "Download selected": a ZIP export made in the background, then its (presigned) link followed.

import { idempotencyKey } from "./api.js";
import { button, openDialog } from "./dialog.js";
import { h } from "./dom.js";
import { bytes, plural } from "./format.js";
import { followDownload } from "./files.js";
import { statusWord, waitForExport } from "./jobs.js";

export function exportDialog(ctx, ids) {
  openDialog({
    title: "Download selected",
    build: ({ body, footer, close, signal }) => {
      const status = h("p", { class: "job-status", role: "status" }, `Preparing a ZIP of ${plural(ids.length, "image")}…`);
      const progress = h("progress", { "aria-label": "Export progress" });
      const result = h("p", { class: "export-result" });
      body.append(status, progress, result);
      footer.append(button("Close", () => close(), { autofocus: true }));

      (async () => {
        try {
          const accepted = await ctx.api.post(
            "/api/v1/gallery/exports",
            { itemIds: ids },
            { signal, headers: { "Idempotency-Key": idempotencyKey() } },
          );
          const done = await waitForExport(ctx.api, accepted.jobId, {
            signal,
            onStatus: (current) => {
              status.textContent = `Preparing a ZIP of ${plural(ids.length, "image")}… (${statusWord(current.status)})`;
            },
          });
          progress.remove();
          const size = done.bytes ? `, ${bytes(done.bytes)}` : "";
          status.textContent = `Ready: ${plural(done.itemCount ?? ids.length, "image")}${size}. The download starts by itself.`;
          const link = h("a", { href: done.downloadUrl, class: "button primary", rel: "noopener noreferrer" }, "Download ZIP");
          result.append(link);
          if (done.missing?.length) result.append(h("span", { class: "muted small" }, ` ${plural(done.missing.length, "image")} could not be included.`));
          followDownload(done.downloadUrl);
        } catch (error) {
          if (error.name === "AbortError") return;
          progress.remove();
          status.textContent = `The export failed: ${error.message}`;
        }
      })();
    },
  });
}
