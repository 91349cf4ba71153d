// Native <dialog>s: named by their heading, closed by Escape, the backdrop or a button, and focus
// goes back to whatever opened them. Each opened dialog lives only while it is open.

import { h, uid } from "./dom.js";

/** The notifications are a manual popover (top layer): shown again after a modal dialog opens,
 * they stay visible above its backdrop instead of behind it. */
export function raiseToasts() {
  const toasts = document.querySelector(".toasts");
  if (!toasts || typeof toasts.showPopover !== "function") return;
  if (toasts.matches(":popover-open")) toasts.hidePopover();
  toasts.showPopover();
}

/**
 * openDialog({ title, build, wide }) → { dialog, close, closed }
 * build({ body, footer, close, signal, setTitle }) fills the dialog; `signal` aborts when it
 * closes (pending polls stop). `closed` resolves with the value given to close(value).
 */
export function openDialog({ title, build, wide = false, opener = document.activeElement }) {
  const titleId = uid("dialog-title");
  const heading = h("h2", { id: titleId }, title);
  const body = h("div", { class: "dialog-body" });
  const footer = h("div", { class: "dialog-footer" });
  const dialog = h(
    "dialog",
    { class: wide ? "dialog wide" : "dialog", "aria-labelledby": titleId },
    h("div", { class: "dialog-inner" }, heading, body, footer),
  );
  const controller = new AbortController();
  let result;
  let resolveClosed;
  const closed = new Promise((resolve) => {
    resolveClosed = resolve;
  });
  const close = (value) => {
    result = value;
    if (dialog.open) dialog.close();
  };
  dialog.addEventListener("close", () => {
    controller.abort();
    dialog.remove();
    const target = opener && opener.isConnected ? opener : document.getElementById("main");
    target?.focus?.();
    resolveClosed(result);
  });
  // A click on the backdrop lands on the <dialog> itself (its inner box fills the visible part).
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) close();
  });
  build({ body, footer, dialog, close, signal: controller.signal, setTitle: (text) => (heading.textContent = text) });
  document.body.append(dialog);
  dialog.showModal();
  raiseToasts();
  const preferred = dialog.querySelector("[autofocus]");
  if (preferred) preferred.focus();
  return { dialog, close, closed };
}

export function button(label, onclick, { kind = "", type = "button", ...attributes } = {}) {
  return h("button", { type, class: `button ${kind}`.trim(), onclick, ...attributes }, label);
}

/** A yes/no question; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel, danger = true }) {
  const { closed } = openDialog({
    title,
    build: ({ body, footer, close }) => {
      body.append(h("p", {}, message));
      footer.append(
        button("Cancel", () => close(false), { autofocus: true }),
        button(confirmLabel, () => close(true), { kind: danger ? "danger" : "primary" }),
      );
    },
  });
  return closed.then((value) => value === true);
}
