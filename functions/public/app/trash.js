// The trash view: restore, or delete for good (after asking); paged like the gallery.

import { seg } from "./api.js";
import { trashCard } from "./card.js";
import { confirmDialog } from "./dialog.js";
import { count } from "./format.js";
import { notify, notifyError } from "./notify.js";
import { createPager } from "./pager.js";

const PAGE_SIZE = 24;

export function createTrash(ctx) {
  const $ = (id) => document.getElementById(id);
  const grid = $("trash-grid");
  const empty = $("trash-empty");
  const pager = createPager({
    grid,
    sentinel: $("trash-sentinel"),
    more: $("trash-more"),
    isShown: () => !$("trash-view").hidden,
    fetchPage: (cursor, signal) =>
      ctx.api.get("/api/v1/gallery/trash", { query: { limit: PAGE_SIZE, cursor }, signal }),
    onPage(page) {
      for (const item of page.items) {
        if (grid.querySelector(`li[data-id="${CSS.escape(item.id)}"]`)) continue;
        grid.append(trashCard(item, { onRestore: restore, onDeleteForever: deleteForever }));
      }
      $("trash-title").textContent = page.total ? `Trash (${count(page.total)})` : "Trash";
    },
    onChange: showState,
  });

  function showState() {
    const shown = grid.children.length;
    empty.hidden = shown > 0 || pager.loading;
    pager.showMore(shown);
  }

  function gone(item) {
    grid.querySelector(`li[data-id="${CSS.escape(item.id)}"]`)?.remove();
    showState();
    (grid.querySelector("button") || $("trash-title")).focus?.();
  }

  async function restore(item, trigger) {
    trigger.disabled = true;
    try {
      await ctx.api.post(`/api/v1/gallery/${seg(item.id)}/restore`);
      gone(item);
      ctx.galleryChanged();
      notify("Restored to the gallery");
    } catch (error) {
      trigger.disabled = false;
      notifyError(error);
    }
  }

  async function deleteForever(item) {
    const confirmed = await confirmDialog({
      title: "Delete forever?",
      message: "The image and its files are removed for good. This cannot be undone.",
      confirmLabel: "Delete forever",
    });
    if (!confirmed) return;
    try {
      await ctx.api.delete(`/api/v1/gallery/${seg(item.id)}/forever`);
      gone(item);
      notify("Deleted forever");
      ctx.refreshAccount();
    } catch (error) {
      notifyError(error);
    }
  }

  return {
    /** Every time the view is shown: read it again (other tabs and the gallery change it). */
    show() {
      grid.replaceChildren();
      pager.restart();
    },
  };
}
