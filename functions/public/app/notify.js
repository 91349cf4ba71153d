// The page's two live regions: short confirmations (role=status) and errors (role=alert).

const SHOW_MS = 8000;
const timers = new WeakMap();

function show(region, text) {
  if (!region) return;
  clearTimeout(timers.get(region));
  // Re-setting the same text still gets announced: clear first, then set a moment later.
  region.textContent = "";
  region.classList.remove("visible");
  setTimeout(() => {
    region.textContent = text;
    region.classList.add("visible");
    timers.set(
      region,
      setTimeout(() => {
        region.classList.remove("visible");
        region.textContent = "";
      }, SHOW_MS),
    );
  }, 30);
}

export function notify(text) {
  show(document.getElementById("notifications"), text);
}

export function notifyError(errorOrText) {
  const text = typeof errorOrText === "string" ? errorOrText : errorOrText?.message || "Something went wrong";
  show(document.getElementById("errors"), text);
}

/** Run an action; an error (other than an abort) is shown, never thrown at the caller's listener. */
export async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    if (error && error.name === "AbortError") return undefined;
    notifyError(error);
    return undefined;
  }
}
