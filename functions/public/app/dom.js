// Building DOM from data without innerHTML: text always goes in as text (prompts are user text).

/**
 * h("button", { class: "x", type: "button", onclick: fn, "aria-label": "Close" }, "text", child)
 * Attributes: true → present (""), false/null/undefined → absent; "on…" functions → listeners;
 * "text" → textContent. Children: nodes or strings (text nodes); null/false are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") element.textContent = String(value);
    else if (name === "class") element.className = value;
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let counter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = "id") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form field: <div class="field"><label for>text</label>control</div>. */
export function field(labelText, control, { wide = false, hint = null } = {}) {
  if (!control.id) control.id = uid("field");
  const children = [h("label", { for: control.id }, labelText), control];
  if (hint) {
    const hintId = uid("hint");
    control.setAttribute("aria-describedby", hintId);
    children.push(h("p", { id: hintId, class: "muted small" }, hint));
  }
  return h("div", { class: wide ? "field wide" : "field" }, ...children);
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("Aborted", "AbortError"));
    });
  });
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
