// The small dialogs of a card and of the selection: prompt, info, delete, tags.

import { seg } from "./api.js";
import { button, confirmDialog, openDialog } from "./dialog.js";
import { field, h, uid } from "./dom.js";
import { copyText } from "./files.js";
import { date, plural } from "./format.js";
import { notify, notifyError } from "./notify.js";

export function promptDialog(item) {
  openDialog({
    title: "Prompt",
    build: ({ body, footer, close }) => {
      body.append(h("p", { class: "prompt-full" }, item.prompt || ""));
      footer.append(
        button(
          "Copy prompt",
          async () => {
            if (await copyText(item.prompt || "")) notify("Prompt copied");
            else notifyError("The prompt could not be copied: select it and copy it by hand");
          },
          { kind: "primary" },
        ),
        button("Close", () => close()),
      );
    },
  });
}

function seedOf(item) {
  if (item.seed !== null && item.seed !== undefined) return String(item.seed);
  const used = item.generation?.seedUsed;
  return used !== null && used !== undefined ? String(used) : "Random";
}

export function infoDialog(ctx, item) {
  const names = (item.collections || []).map((id) => ctx.collections.name(id) || id);
  const rows = [
    ["Model", item.model || "—"],
    ["Style", item.stylePreset || "none"],
    ["Aspect ratio", item.aspectRatio || "—"],
    ["Seed", seedOf(item)],
    ["Created", h("time", { datetime: item.createdAt }, date(item.createdAt))],
    ["Prompt", h("span", { class: "prompt-full" }, item.prompt || "")],
    ["Collections", names.length ? names.join(", ") : "None"],
  ];
  openDialog({
    title: "Image info",
    build: ({ body, footer, close }) => {
      body.append(h("dl", { class: "info" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])));
      footer.append(button("Close", () => close(), { autofocus: true }));
    },
  });
}

/** Delete one item (to the trash), after asking. */
export async function deleteItem(ctx, item) {
  const confirmed = await confirmDialog({
    title: "Delete image?",
    message: "It goes to the trash, where it stays for 30 days before it is deleted for good.",
    confirmLabel: "Delete",
  });
  if (!confirmed) return;
  try {
    await ctx.api.delete(`/api/v1/gallery/${seg(item.id)}`);
    ctx.gallery.remove([item.id]);
    notify("Moved to the trash");
    ctx.refreshAccount();
  } catch (error) {
    notifyError(error);
  }
}

/** Delete the selected items (to the trash), after asking. */
export async function deleteSelected(ctx, ids) {
  const confirmed = await confirmDialog({
    title: `Delete ${ids.length} ${ids.length === 1 ? "image" : "images"}?`,
    message: "They go to the trash, where they stay for 30 days before they are deleted for good.",
    confirmLabel: "Delete",
  });
  if (!confirmed) return;
  try {
    const answer = await ctx.api.post("/api/v1/gallery/bulk/delete", { itemIds: ids });
    ctx.gallery.remove(answer.succeeded);
    notify(`Moved ${plural(answer.succeeded.length, "image")} to the trash`);
    if (answer.failed.length) notifyError(`${plural(answer.failed.length, "image")} could not be deleted`);
    ctx.refreshAccount();
  } catch (error) {
    notifyError(error);
  }
}

export function tagDialog(ctx, ids) {
  openDialog({
    title: "Tag selected",
    build: ({ body, footer, close }) => {
      const formId = uid("tag-form");
      const tags = h("input", { type: "text", autocomplete: "off", placeholder: "landscape, final", autofocus: true });
      const mode = h(
        "select",
        {},
        h("option", { value: "add" }, "Add"),
        h("option", { value: "remove" }, "Remove"),
        h("option", { value: "replace" }, "Replace"),
      );
      const problem = h("p", { class: "form-error", role: "alert" });
      const form = h(
        "form",
        { id: formId, class: "stack", novalidate: true },
        field("Tags", tags, { hint: `Comma-separated; applied to ${plural(ids.length, "image")}.` }),
        field("Mode", mode),
        problem,
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const list = tags.value
          .split(",")
          .map((tag) => tag.trim())
          .filter(Boolean);
        if (!list.length) {
          problem.textContent = "Enter at least one tag.";
          tags.focus();
          return;
        }
        try {
          const answer = await ctx.api.post("/api/v1/gallery/bulk/tag", { itemIds: ids, tags: list, mode: mode.value });
          const verb = { add: "Tagged", remove: "Untagged", replace: "Retagged" }[mode.value];
          notify(`${verb} ${plural(answer.succeeded.length, "image")}`);
          if (answer.failed.length) notifyError(`${plural(answer.failed.length, "image")} could not be tagged`);
          close(true);
          ctx.gallery.refreshItems(answer.succeeded);
        } catch (error) {
          problem.textContent = error.message;
        }
      });
      body.append(form);
      footer.append(
        button("Apply", null, { kind: "primary", type: "submit", form: formId }),
        button("Cancel", () => close()),
      );
    },
  });
}
