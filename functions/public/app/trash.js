// The trash view: restore, or delete for good (after asking); paged like the gallery.

import { seg } from "./api.js";
import { trashCard } from "./card.js";
import { confirmDialog } from "./dialog.js";
import { count } from "./format.js";
import { notify, notifyError } from "./notify.js";

const PAGE_SIZE = 24;

export function createTrash(ctx) {
  const $ = (id) => document.getElementById(id);
  const grid = $("trash-grid");
  const empty = $("trash-empty");
  const sentinel = $("trash-sentinel");
  const more = $("trash-more");
  let cursor = null;
  let done = false;
  let loading = false;
  let failed = false;
  let controller = new AbortController();

  function showState() {
    const shown = grid.children.length;
    empty.hidden = shown > 0 || loading;
    more.hidden = !failed && (done || shown === 0);
    more.disabled = loading;
    grid.setAttribute("aria-busy", String(loading));
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

  async function loadPage() {
    if (loading || done) return;
    loading = true;
    failed = false;
    showState();
    const { signal } = controller;
    try {
      const page = await ctx.api.get("/api/v1/gallery/trash", { query: { limit: PAGE_SIZE, cursor }, signal });
      for (const item of page.items) {
        if (grid.querySelector(`li[data-id="${CSS.escape(item.id)}"]`)) continue;
        grid.append(trashCard(item, { onRestore: restore, onDeleteForever: deleteForever }));
      }
      cursor = page.nextCursor;
      done = !cursor;
      $("trash-title").textContent = page.total ? `Trash (${count(page.total)})` : "Trash";
    } catch (error) {
      if (error.name === "AbortError") return;
      failed = true;
      notifyError(error);
    } finally {
      if (!signal.aborted) {
        loading = false;
        showState();
        if (!done && !failed) rearm();
      }
    }
  }

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !$("trash-view").hidden) loadPage();
    },
    { rootMargin: "600px 0px" },
  );
  function rearm() {
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  }
  more.addEventListener("click", () => loadPage());

  return {
    /** Every time the view is shown: read it again (other tabs and the gallery change it). */
    show() {
      controller.abort();
      controller = new AbortController();
      cursor = null;
      done = false;
      loading = false;
      failed = false;
      grid.replaceChildren();
      loadPage();
    },
  };
}
