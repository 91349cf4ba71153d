// "Add to collection": one item (its collections checked; unchecking removes it) or a selection
// (added to every checked one), and a new collection made on the way.

import { button, openDialog } from "./dialog.js";
import { field, h, uid } from "./dom.js";
import { plural } from "./format.js";
import { notify, notifyError } from "./notify.js";

function listNames(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export function collectDialog(ctx, items) {
  const single = items.length === 1 ? items[0] : null;
  const ids = items.map((item) => item.id);
  const before = new Set(single ? single.collections || [] : []);

  openDialog({
    title: "Add to collection",
    build: ({ body, footer, close }) => {
      const formId = uid("collect-form");
      const boxes = ctx.collections.list.map((collection) => {
        const box = h("input", { type: "checkbox", value: collection.id, checked: before.has(collection.id) });
        return { collection, box, row: h("label", { class: "check" }, box, h("span", {}, collection.name)) };
      });
      const fresh = h("input", { type: "text", maxlength: 100, autocomplete: "off", placeholder: "Product Shots" });
      const problem = h("p", { class: "form-error", role: "alert" });
      const choices = boxes.length
        ? h("fieldset", { class: "choices" }, h("legend", {}, "Collections"), boxes.map(({ row }) => row))
        : h("p", { class: "muted" }, "No collections yet: name one below.");
      const form = h(
        "form",
        { id: formId, class: "stack", novalidate: true },
        single ? null : h("p", { class: "muted" }, `${plural(items.length, "selected image")} will be added.`),
        choices,
        field("New collection", fresh),
        problem,
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        problem.textContent = "";
        try {
          const added = [];
          const removed = [];
          const checked = boxes.filter(({ box }) => box.checked).map(({ collection }) => collection);
          const name = fresh.value.trim();
          if (name) checked.push(await ctx.collections.create(name));
          for (const collection of checked) {
            if (single && before.has(collection.id)) continue;
            const answer = await ctx.collections.add(collection.id, ids);
            if (answer.added.length) added.push(collection.name);
            if (answer.failed.length) notifyError(`${plural(answer.failed.length, "image")} could not be added to ${collection.name}`);
          }
          if (single) {
            for (const { collection, box } of boxes) {
              if (!box.checked && before.has(collection.id)) {
                await ctx.collections.remove(collection.id, ids);
                removed.push(collection.name);
              }
            }
          }
          const parts = [];
          if (added.length) parts.push(`Added to ${listNames(added)}${single ? "" : ` (${plural(ids.length, "image")})`}`);
          if (removed.length) parts.push(`Removed from ${listNames(removed)}`);
          notify(parts.length ? parts.join("; ") : "No change");
          close(true);
          ctx.gallery.refreshItems(ids);
          ctx.collections.load().catch(() => {});
        } catch (error) {
          problem.textContent = error.message;
        }
      });
      body.append(form);
      footer.append(
        button("Save", null, { kind: "primary", type: "submit", form: formId }),
        button("Cancel", () => close()),
      );
    },
  });
}
