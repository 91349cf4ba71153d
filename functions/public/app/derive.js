// New images made from an item: a clean background, and the grid split ("Create grid").

import { seg } from "./api.js";
import { button, openDialog } from "./dialog.js";
import { field, h, uid } from "./dom.js";
import { itemName, plural } from "./format.js";
import { itemsOfJob, statusWord, waitForJob } from "./jobs.js";
import { notify, notifyError } from "./notify.js";

/** POST clean-background, wait for the job, put the new image at the top of the grid. */
export async function cleanBackground(ctx, item, trigger) {
  trigger?.setAttribute("aria-busy", "true");
  if (trigger) trigger.disabled = true;
  try {
    const accepted = await ctx.api.post(`/api/v1/gallery/${seg(item.id)}/clean-background`);
    notify("Cleaning the background…");
    const job = await waitForJob(ctx.api, accepted.jobId);
    const made = await itemsOfJob(ctx.api, job);
    ctx.gallery.prepend(made);
    notify("Background removed: the new image is at the top");
    ctx.refreshAccount();
  } catch (error) {
    notifyError(`Clean background failed: ${error.message}`);
  } finally {
    trigger?.removeAttribute("aria-busy");
    if (trigger && trigger.isConnected) trigger.disabled = false;
  }
}

export function gridDialog(ctx, item) {
  openDialog({
    title: "Create grid",
    build: ({ body, footer, close, signal }) => {
      const formId = uid("grid-form");
      const rows = h("input", { type: "number", min: 1, max: 4, step: 1, value: 2, inputmode: "numeric" });
      const cols = h("input", { type: "number", min: 1, max: 4, step: 1, value: 2, inputmode: "numeric" });
      const overlay = h("div", { class: "grid-overlay", "aria-hidden": "true" });
      const preview = h(
        "div",
        { class: "grid-preview" },
        h("img", { src: item.thumbnailUrl || item.url, alt: itemName(item) }),
        overlay,
      );
      const status = h("p", { class: "job-status", role: "status" });
      const split = button("Split", null, { kind: "primary", type: "submit", form: formId });
      const clamp = (input) => Math.min(4, Math.max(1, Math.round(Number(input.value) || 1)));
      const draw = () => {
        const r = clamp(rows);
        const c = clamp(cols);
        overlay.replaceChildren(...Array.from({ length: r * c }, () => h("span")));
        overlay.style.gridTemplateRows = `repeat(${r}, 1fr)`;
        overlay.style.gridTemplateColumns = `repeat(${c}, 1fr)`;
        if (item.width && item.height) preview.style.aspectRatio = `${item.width} / ${item.height}`;
      };
      rows.addEventListener("input", draw);
      cols.addEventListener("input", draw);
      draw();

      const form = h(
        "form",
        { id: formId, class: "stack", novalidate: true },
        preview,
        h("div", { class: "row" }, field("Rows", rows), field("Columns", cols)),
        h("p", { class: "muted small" }, "Each cell becomes a new image; the original stays as it is."),
        status,
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const r = clamp(rows);
        const c = clamp(cols);
        rows.value = r;
        cols.value = c;
        split.disabled = true;
        status.textContent = `Splitting into ${plural(r * c, "image")}…`;
        try {
          const accepted = await ctx.api.post(`/api/v1/gallery/${seg(item.id)}/split`, { rows: r, cols: c }, { signal });
          const job = await waitForJob(ctx.api, accepted.jobId, {
            signal,
            onStatus: (current) => {
              status.textContent = `Splitting into ${plural(r * c, "image")}… (${statusWord(current.status)})`;
            },
          });
          const made = await itemsOfJob(ctx.api, job, { signal });
          ctx.gallery.prepend(made);
          status.textContent = `Done: ${plural(made.length, "new image")} at the top of the gallery.`;
          notify(`Grid created: ${plural(made.length, "new image")}`);
          ctx.refreshAccount();
        } catch (error) {
          if (error.name === "AbortError") return;
          status.textContent = `The split failed: ${error.message}`;
        } finally {
          if (split.isConnected) split.disabled = false;
        }
      });
      body.append(form);
      footer.append(split, button("Cancel", () => close()));
    },
  });
}
