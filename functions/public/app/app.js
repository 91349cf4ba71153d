// Boot: sign-in (an API key kept in localStorage), the header (credits, storage), and switching
// between the gallery and the trash. Everything else lives in its own module.

import { createApi } from "./api.js";
import { createCollections } from "./collections.js";
import { openDetail } from "./detail.js";
import { raiseToasts } from "./dialog.js";
import { count } from "./format.js";
import { createGallery } from "./gallery.js";
import { createGeneratePanel } from "./generate.js";
import { notifyError } from "./notify.js";
import { createTrash } from "./trash.js";

const KEY_STORAGE = "galleria.apiKey";
const REASON_STORAGE = "galleria.signOutReason"; // why the last sign-out happened, shown once
const REFUSED = "That API key was not accepted. Check it and try again.";
const EXPIRED = "Your API key was not accepted any more. Sign in again.";

const $ = (id) => document.getElementById(id);

const keyStore = {
  get() {
    try {
      return localStorage.getItem(KEY_STORAGE);
    } catch {
      return null;
    }
  },
  set(key) {
    localStorage.setItem(KEY_STORAGE, key);
  },
  clear() {
    try {
      localStorage.removeItem(KEY_STORAGE);
    } catch {
      // storage unavailable: nothing was kept
    }
  },
};

/** Sign out: forget the key and start over from a clean page (no other team's data left in memory). */
function signOut(reason = "") {
  keyStore.clear();
  try {
    if (reason) sessionStorage.setItem(REASON_STORAGE, reason);
  } catch {
    // the reason is a courtesy
  }
  location.replace(location.pathname);
}

const api = createApi({ getKey: () => keyStore.get(), onUnauthorized: () => signOut(EXPIRED) });
const collections = createCollections(api);

// --- the header ---------------------------------------------------------------------------
function showAccount(account) {
  $("credits").textContent = `${count(account.credits)} credits`;
  const storage = account.storage || {};
  const bar = $("storage");
  const text = `${storage.usedFormatted ?? "?"} of ${storage.limitFormatted ?? "?"}`;
  bar.querySelector(".storage-text").textContent = text;
  bar.setAttribute("aria-valuetext", text);
  const fill = bar.querySelector(".storage-fill");
  if (storage.limit) {
    const percent = Math.min(100, Math.round((storage.used / storage.limit) * 1000) / 10);
    bar.setAttribute("aria-valuenow", String(percent));
    fill.style.width = `${Math.max(percent, storage.used > 0 ? 1 : 0)}%`;
    bar.classList.toggle("nearly-full", percent >= 90);
  } else {
    bar.removeAttribute("aria-valuenow");
    fill.style.width = "0%";
  }
}

let accountRequest = null;
function refreshAccount() {
  // Several actions may finish together: one request answers them all.
  accountRequest ??= api
    .get("/api/v1/account")
    .then(showAccount)
    .catch((error) => {
      if (error.status !== 401) notifyError(error);
    })
    .finally(() => {
      accountRequest = null;
    });
  return accountRequest;
}

// --- views --------------------------------------------------------------------------------
let galleryStale = false;
const ctx = {
  api,
  collections,
  refreshAccount,
  openDetail: (item) => openDetail(ctx, item),
  galleryChanged: () => {
    galleryStale = true;
  },
};
ctx.gallery = createGallery(ctx);
const trash = createTrash(ctx);
createGeneratePanel(ctx);

function route() {
  const view = location.hash === "#trash" ? "trash" : "gallery";
  $("gallery-view").hidden = view !== "gallery";
  $("trash-view").hidden = view !== "trash";
  for (const tab of document.querySelectorAll("nav.views [data-view]")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  document.title = view === "trash" ? "Trash — Galleria" : "My images — Galleria";
  if (view === "trash") {
    trash.show();
  } else if (galleryStale) {
    galleryStale = false;
    ctx.gallery.reload();
  } else {
    ctx.gallery.start();
  }
}

function enter(account) {
  $("sign-in").hidden = true;
  $("shell").hidden = false;
  if (account) showAccount(account);
  collections.load().catch((error) => notifyError(error));
  route();
}

function showSignIn(message = "") {
  $("shell").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  $("api-key").focus();
}

// --- wiring -------------------------------------------------------------------------------
$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("api-key");
  const submit = event.currentTarget.querySelector("button[type=submit]");
  const key = input.value.trim();
  const problem = $("sign-in-error");
  if (!key) {
    problem.textContent = "Paste your API key first.";
    input.focus();
    return;
  }
  submit.disabled = true;
  problem.textContent = "";
  try {
    const account = await api.get("/api/v1/account", { key });
    keyStore.set(key);
    input.value = "";
    enter(account);
  } catch (error) {
    problem.textContent = error.status === 401 ? REFUSED : error.message;
    input.select();
  } finally {
    submit.disabled = false;
  }
});

$("sign-out").addEventListener("click", () => signOut());
for (const tab of document.querySelectorAll("nav.views [data-view]")) {
  tab.addEventListener("click", () => {
    const hash = tab.dataset.view === "trash" ? "#trash" : "#gallery";
    if (location.hash === hash) route();
    else location.hash = hash;
  });
}
window.addEventListener("hashchange", () => {
  if (!$("shell").hidden) route();
});
// "/" jumps to the search box (unless typing somewhere already).
document.addEventListener("keydown", (event) => {
  const typing = event.target.closest?.("input, textarea, select, [contenteditable], dialog");
  if (event.key === "/" && !typing && !$("shell").hidden && !$("gallery-view").hidden) {
    event.preventDefault();
    $("f-search").focus();
  }
});

async function boot() {
  let reason = "";
  try {
    reason = sessionStorage.getItem(REASON_STORAGE) || "";
    sessionStorage.removeItem(REASON_STORAGE);
  } catch {
    reason = "";
  }
  if (!keyStore.get()) {
    showSignIn(reason);
    return;
  }
  try {
    enter(await api.get("/api/v1/account"));
  } catch (error) {
    if (error.status === 401) return; // signed out by the client (onUnauthorized)
    enter(null);
    notifyError(error);
  }
}

raiseToasts();
boot();
