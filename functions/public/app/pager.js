// A list read page by page by cursor, for the gallery and the trash: the next page loads when the
// end of the list comes into view (an IntersectionObserver on a sentinel element after the list),
// or from a "Load more" button (for keyboards, and to retry a page that failed).

import { notifyError } from "./notify.js";

/**
 * fetchPage(cursor, signal) → a page of the API ({items, nextCursor, total}); onPage(page) shows it;
 * onChange() redraws what depends on the loading state; isShown() says whether the view is visible.
 */
export function createPager({ grid, sentinel, more, isShown, fetchPage, onPage, onChange }) {
  let cursor = null;
  let done = false;
  let loading = false;
  let failed = false; // the last page failed: "Load more" retries, the sentinel does not
  let controller = new AbortController();

  async function load() {
    if (loading || done) return;
    loading = true;
    failed = false;
    onChange();
    const { signal } = controller;
    try {
      const page = await fetchPage(cursor, signal);
      onPage(page);
      cursor = page.nextCursor;
      done = !cursor;
    } catch (error) {
      if (error.name === "AbortError") return;
      failed = true;
      notifyError(error);
    } finally {
      if (!signal.aborted) {
        loading = false;
        onChange();
        if (!done && !failed) rearm();
      }
    }
  }

  // The observer reports the sentinel when it comes into view; observing it again after a page
  // makes it report at once if the page was too short to push it out of view.
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting) && isShown()) load();
    },
    { rootMargin: "600px 0px" },
  );
  function rearm() {
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  }

  more.addEventListener("click", async () => {
    const before = grid.children.length;
    await load();
    // The button hides after the last page: keyboard users go on from the first item it brought.
    if (more.hidden && document.activeElement === document.body) {
      grid.children[before]?.querySelector("input, button")?.focus();
    }
  });

  return {
    load,
    rearm,
    /** From the first page again (the filters changed, the view is shown again). */
    restart() {
      controller.abort();
      controller = new AbortController();
      cursor = null;
      done = false;
      loading = false;
      failed = false;
      load();
    },
    get loading() {
      return loading;
    },
    /** "Load more" shows while there is more to read (and after a failed page, to retry). */
    showMore(shown) {
      more.hidden = !failed && (done || shown === 0);
      more.disabled = loading;
      grid.setAttribute("aria-busy", String(loading));
    },
  };
}
