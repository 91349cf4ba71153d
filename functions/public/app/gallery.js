// The gallery view: filters, the grid (infinite scroll by cursor, and "Load more"), and the
// selection with its bulk actions.

import { seg } from "./api.js";
import { galleryCard } from "./card.js";
import { collectDialog } from "./collect.js";
import { cleanBackground, gridDialog } from "./derive.js";
import { deleteItem, deleteSelected, infoDialog, promptDialog, tagDialog } from "./dialogs.js";
import { debounce, h } from "./dom.js";
import { exportDialog } from "./export.js";
import { downloadPng } from "./files.js";
import { count } from "./format.js";
import { notifyError } from "./notify.js";
import { createPager } from "./pager.js";
import { shareDialog } from "./share.js";

const PAGE_SIZE = 24;
const SEARCH_DELAY_MS = 300;

export function createGallery(ctx) {
  const $ = (id) => document.getElementById(id);
  const grid = $("grid");
  const empty = $("gallery-empty");
  const summary = $("gallery-summary");
  const sentinel = $("gallery-sentinel");
  const loadMore = $("load-more");
  const search = $("f-search");
  const favorite = $("f-favorite");
  const collection = $("f-collection");
  const type = $("f-type");
  const sort = $("f-sort");
  const selectAll = $("select-all");
  const selectedCount = $("selected-count");
  const bulkButtons = ["bulk-delete", "bulk-collect", "bulk-tag", "bulk-download"].map($);

  const cards = new Map(); // id → { item, element }
  const selected = new Set();
  let total = 0;
  let started = false;
  const pager = createPager({
    grid,
    sentinel,
    more: loadMore,
    isShown: () => !$("gallery-view").hidden,
    fetchPage: (cursor, signal) => ctx.api.get("/api/v1/gallery", { query: query(cursor), signal }),
    onPage(page) {
      for (const item of page.items) add(item);
      total = page.total;
    },
    onChange() {
      showState();
      showSelection();
    },
  });

  const actions = {
    open: (item) => ctx.openDetail(item),
    prompt: (item) => promptDialog(item),
    cleanBackground: (item, trigger) => cleanBackground(ctx, item, trigger),
    download: async (item, trigger) => {
      trigger.setAttribute("aria-busy", "true");
      try {
        await downloadPng(ctx.api, item);
      } catch (error) {
        notifyError(error);
      } finally {
        trigger.removeAttribute("aria-busy");
      }
    },
    info: (item) => infoDialog(ctx, item),
    grid: (item) => gridDialog(ctx, item),
    collect: (item) => collectDialog(ctx, [item]),
    share: (item) => shareDialog(ctx, item),
    delete: (item) => deleteItem(ctx, item),
  };

  function filtered() {
    return Boolean(search.value.trim() || favorite.value || collection.value || type.value);
  }

  function query(cursor) {
    return {
      limit: PAGE_SIZE,
      search: search.value.trim() || undefined,
      favorite: favorite.value || undefined,
      collection: collection.value || undefined,
      type: type.value || undefined,
      sort: sort.value,
      cursor: cursor || undefined,
    };
  }

  function card(item) {
    return galleryCard(ctx, item, { selected: selected.has(item.id), onSelect: setSelected, actions });
  }

  function add(item, { atTop = false } = {}) {
    const existing = cards.get(item.id);
    const element = card(item);
    if (existing) {
      // A redrawn card keeps the keyboard focus on the same control.
      const focused = existing.element.contains(document.activeElement) ? document.activeElement : null;
      existing.element.replaceWith(element);
      const label = focused?.getAttribute("aria-label");
      if (label) element.querySelector(`[aria-label="${CSS.escape(label)}"]`)?.focus();
    } else if (atTop) grid.prepend(element);
    else grid.append(element);
    cards.set(item.id, { item, element });
  }

  /** Before a card goes: the focus moves to a neighbour (or the heading) rather than to nowhere. */
  function moveFocusFrom(element) {
    if (!element.contains(document.activeElement)) return;
    const neighbour = element.nextElementSibling || element.previousElementSibling;
    const target = neighbour?.querySelector('button[aria-label="Open"]') || document.getElementById("gallery-title");
    if (target === document.getElementById("gallery-title")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  function showState() {
    const shown = cards.size;
    const { loading } = pager;
    empty.hidden = shown > 0 || loading;
    empty.textContent = filtered()
      ? "No images match these filters."
      : "No images yet. Use “New image” to make one.";
    pager.showMore(shown);
    summary.textContent = loading && shown === 0 ? "Loading…" : shown ? `Showing ${count(shown)} of ${count(Math.max(total, shown))}` : "";
  }

  function setSelected(id, on) {
    if (on) selected.add(id);
    else selected.delete(id);
    showSelection();
  }

  function showSelection() {
    const n = selected.size;
    selectedCount.textContent = `${count(n)} selected`;
    for (const button of bulkButtons) button.disabled = n === 0;
    selectAll.checked = n > 0 && n === cards.size;
    selectAll.indeterminate = n > 0 && n < cards.size;
  }

  function reload() {
    total = 0;
    cards.clear();
    selected.clear();
    grid.replaceChildren();
    showSelection();
    pager.restart();
  }

  function fillCollections(list) {
    const current = collection.value;
    collection.replaceChildren(
      h("option", { value: "" }, "All collections"),
      ...list.map((entry) => h("option", { value: entry.id }, entry.name)),
    );
    collection.value = list.some((entry) => entry.id === current) ? current : "";
    if (current && !collection.value) reload();
  }

  // --- wiring ---------------------------------------------------------------------------
  document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());
  search.addEventListener("input", debounce(reload, SEARCH_DELAY_MS));
  for (const select of [favorite, collection, type, sort]) select.addEventListener("change", reload);
  selectAll.addEventListener("change", () => {
    for (const [id, { element }] of cards) {
      if (selectAll.checked) selected.add(id);
      else selected.delete(id);
      const box = element.querySelector("input.select-box");
      if (box) box.checked = selectAll.checked;
    }
    showSelection();
  });
  const chosen = () => [...selected].filter((id) => cards.has(id));
  $("bulk-delete").addEventListener("click", () => deleteSelected(ctx, chosen()));
  $("bulk-collect").addEventListener("click", () =>
    collectDialog(ctx, chosen().map((id) => cards.get(id).item)),
  );
  $("bulk-tag").addEventListener("click", () => tagDialog(ctx, chosen()));
  $("bulk-download").addEventListener("click", () => exportDialog(ctx, chosen()));
  ctx.collections.onChange(fillCollections);

  return {
    /** First show: load the first page. */
    start() {
      if (started) return;
      started = true;
      reload();
      pager.rearm();
    },
    reload,
    /** New items (a generation, an edit, a split) at the top, newest first. */
    prepend(items) {
      for (const item of [...items].reverse()) add(item, { atTop: true });
      total += items.length;
      showState();
      showSelection();
    },
    remove(ids) {
      for (const id of ids) {
        const gone = cards.get(id)?.element;
        if (gone) {
          moveFocusFrom(gone);
          gone.remove();
        }
        if (cards.delete(id)) total = Math.max(0, total - 1);
        selected.delete(id);
      }
      showState();
      showSelection();
    },
    /** Read items again (tags, collections changed) and redraw their cards. */
    async refreshItems(ids) {
      const fresh = await Promise.all(
        ids.filter((id) => cards.has(id)).map((id) => ctx.api.get(`/api/v1/gallery/${seg(id)}`).catch(() => null)),
      );
      for (const item of fresh) if (item) add(item);
    },
    update(item) {
      if (cards.has(item.id)) add(item);
    },
  };
}
