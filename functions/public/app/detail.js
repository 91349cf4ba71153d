// The image detail view: the full image, its parent and variants, and edits with a prompt (an
// edit session: each edit continues from the session's latest image), with the session's turns.

import { seg } from "./api.js";
import { button, openDialog } from "./dialog.js";
import { field, h } from "./dom.js";
import { bytes, date, itemName, plural } from "./format.js";
import { itemsOfJob, statusWord, waitForJob } from "./jobs.js";
import { notifyError } from "./notify.js";

// itemId → edit session id, for this page's life: edits of an image continue its session.
const sessions = new Map();

function media(item) {
  const name = item.prompt || itemName(item);
  if (item.type === "video") {
    return h("video", { src: item.url, controls: true, preload: "metadata", "aria-label": name, class: "detail-media" });
  }
  const img = h("img", { src: item.url, alt: name, class: "detail-media", decoding: "async" });
  if (item.width && item.height) img.style.aspectRatio = `${item.width} / ${item.height}`;
  return img;
}

function facts(item) {
  const rows = [
    ["Model", item.model],
    ["Size", item.width && item.height ? `${item.width} × ${item.height}, ${bytes(item.fileSize)}` : bytes(item.fileSize)],
    ["Source", item.source],
    ["Created", date(item.createdAt)],
    ["Tags", item.tags?.length ? item.tags.join(", ") : "None"],
  ];
  return h("dl", { class: "info compact" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value || "—")]));
}

export function openDetail(ctx, start) {
  openDialog({
    title: "Image details",
    wide: true,
    build: ({ body, footer, close, signal }) => {
      footer.append(button("Close", () => close()));
      let current = null;
      let editing = false;

      const status = h("p", { class: "job-status", role: "status" });
      const history = h("ol", { class: "history", "aria-label": "History" });
      const editPrompt = h("textarea", { rows: 2, maxlength: 4000, placeholder: "Make the sky stormy" });
      const apply = button("Apply edit", null, { kind: "primary", type: "submit" });
      const editForm = h("form", { class: "stack edit-form", novalidate: true }, field("Edit prompt", editPrompt, { wide: true }), h("div", { class: "row" }, apply), status);
      const view = h("div", { class: "detail" });
      body.append(view);

      function thumbButton(item, label) {
        return h(
          "button",
          { type: "button", class: "variant", title: label, onclick: () => show(item.id, { moveFocus: true }) },
          h("img", { src: item.thumbnailUrl || item.url, alt: item.prompt || itemName(item), loading: "lazy" }),
          h("span", { class: "variant-label" }, label),
        );
      }

      async function showHistory() {
        const sessionId = sessions.get(current.id);
        history.replaceChildren();
        if (!sessionId) {
          history.append(h("li", { class: "muted" }, "No edits of this image yet."));
          return;
        }
        try {
          const session = await ctx.api.get(`/api/v1/sessions/${seg(sessionId)}`, { signal });
          history.replaceChildren(
            ...session.turns.map((turn) =>
              h(
                "li",
                { class: "turn" },
                h("span", { class: "turn-prompt" }, turn.prompt),
                h("span", { class: "muted small" }, ` — ${turn.status}`),
                turn.variantId
                  ? h("button", { type: "button", class: "link-button", onclick: () => show(turn.variantId, { moveFocus: true }) }, "Open result")
                  : null,
              ),
            ),
          );
          if (!session.turns.length) history.append(h("li", { class: "muted" }, "No edits of this image yet."));
        } catch (error) {
          if (error.name !== "AbortError") history.replaceChildren(h("li", { class: "form-error" }, error.message));
        }
      }

      function render(item) {
        // The same image drawn again (its full record arrived, or an edit finished) keeps its
        // <img>: a new element would load and decode the picture again, and blink meanwhile.
        const same = current && current.id === item.id && current.url === item.url;
        const picture = (same && view.querySelector(".detail-media")) || media(item);
        current = item;
        const variants = item.variants || [];
        const parent = item.parent;
        view.replaceChildren(
          h("div", { class: "detail-image" }, picture),
          h(
            "div",
            { class: "detail-side" },
            h("p", { class: "prompt-full", tabindex: "-1" }, item.prompt || itemName(item)),
            facts(item),
            h(
              "div",
              { class: "row" },
              parent ? button("Open parent", () => show(parent.id, { moveFocus: true })) : null,
              h("a", { href: item.url, target: "_blank", rel: "noopener noreferrer", class: "button" }, "Full size"),
            ),
            h("h3", {}, "Edit"),
            editForm,
            h("h3", {}, "History"),
            history,
            h("h3", {}, `Variants (${variants.length})`),
            variants.length
              ? h("ul", { class: "variants", "aria-label": "Variants" }, variants.map((variant) => h("li", {}, thumbButton(variant, variant.source))))
              : h("ul", { class: "variants", "aria-label": "Variants" }, h("li", { class: "muted" }, "No variants yet.")),
          ),
        );
        showHistory();
      }

      async function show(id, { moveFocus = false } = {}) {
        try {
          render(await ctx.api.get(`/api/v1/gallery/${seg(id)}`, { signal }));
          status.textContent = "";
          // Another image replaced the one shown (and the control that was used): start from its prompt.
          if (moveFocus) view.querySelector(".detail-side .prompt-full")?.focus();
        } catch (error) {
          if (error.name !== "AbortError") notifyError(error);
        }
      }

      editForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        const text = editPrompt.value.trim();
        if (!text || editing) {
          if (!text) {
            status.textContent = "Describe the change first.";
            editPrompt.focus();
          }
          return;
        }
        editing = true;
        apply.disabled = true;
        const source = current;
        status.textContent = "Editing…";
        try {
          const payload = { prompt: text };
          if (sessions.has(source.id)) payload.sessionId = sessions.get(source.id);
          const accepted = await ctx.api.post(`/api/v1/gallery/${seg(source.id)}/edit`, payload, { signal });
          sessions.set(source.id, accepted.editSessionId);
          showHistory();
          const job = await waitForJob(ctx.api, accepted.jobId, {
            signal,
            onStatus: (currentJob) => {
              status.textContent = `Editing… (${statusWord(currentJob.status)})`;
            },
          });
          const made = await itemsOfJob(ctx.api, job, { signal });
          for (const variant of made) sessions.set(variant.id, accepted.editSessionId);
          ctx.gallery.prepend(made);
          editPrompt.value = "";
          ctx.refreshAccount();
          await show(source.id);
          status.textContent = `Done: ${plural(made.length, "new variant")}.`;
        } catch (error) {
          if (error.name !== "AbortError") status.textContent = `The edit failed: ${error.message}`;
        } finally {
          editing = false;
          apply.disabled = false;
        }
      });

      if (typeof start === "object" && start) render({ ...start, variants: [], parent: null });
      show(typeof start === "object" ? start.id : start);
    },
  });
}
