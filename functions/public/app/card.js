// One image as a card: thumbnail, prompt, and its actions (its icon row).

import { seg } from "./api.js";
import { h } from "./dom.js";
import { day, itemName } from "./format.js";
import { icon } from "./icons.js";
import { notify, notifyError } from "./notify.js";

export function iconButton(label, iconName, onclick, attributes = {}) {
  return h(
    "button",
    { type: "button", class: "icon-button", "aria-label": label, title: label, onclick, ...attributes },
    icon(iconName),
  );
}

function thumbnail(item, onOpen) {
  const name = itemName(item);
  const frame = h("div", { class: "thumb" });
  const source = item.thumbnailUrl || (item.type === "image" ? item.url : null);
  if (source) {
    const img = h("img", {
      src: source,
      alt: item.prompt || name,
      loading: "lazy",
      decoding: "async",
      width: item.width || null,
      height: item.height || null,
    });
    img.addEventListener("error", () => frame.classList.add("broken"), { once: true });
    if (onOpen) img.addEventListener("click", onOpen);
    frame.append(img);
  } else {
    frame.append(h("span", { class: "thumb-placeholder" }, item.type === "video" ? "Video" : "No preview"));
  }
  if (item.type === "video") frame.append(h("span", { class: "badge" }, "Video"));
  return frame;
}

/** A gallery card. `actions` maps an action name to a handler (item, button) → void. */
export function galleryCard(ctx, item, { selected, onSelect, actions }) {
  const name = itemName(item);
  const checkbox = h("input", { type: "checkbox", checked: selected, class: "select-box" });
  checkbox.addEventListener("change", () => onSelect(item.id, checkbox.checked));

  const favorite = iconButton("Favorite", "heart", null, {
    "aria-pressed": String(Boolean(item.favorite)),
    class: "icon-button favorite",
  });
  favorite.addEventListener("click", async () => {
    favorite.disabled = true;
    try {
      const answer = await ctx.api.post(`/api/v1/gallery/${seg(item.id)}/favorite`);
      item.favorite = answer.favorite;
      favorite.setAttribute("aria-pressed", String(answer.favorite));
      notify(answer.favorite ? "Added to favorites" : "Removed from favorites");
    } catch (error) {
      notifyError(error);
    } finally {
      favorite.disabled = false;
    }
  });

  const isVideo = item.type === "video";
  const act = (action) => (event) => actions[action](item, event.currentTarget);
  const frame = thumbnail(item, act("open"));
  frame.append(h("label", { class: "select" }, checkbox, h("span", { class: "visually-hidden" }, "Select")), favorite);

  const meta = [item.model, item.aspectRatio, day(item.createdAt)].filter(Boolean).join(" · ");
  const article = h(
    "article",
    { class: "card", "aria-label": name },
    frame,
    h(
      "div",
      { class: "card-text" },
      h("p", { class: "card-prompt", title: item.prompt || "" }, item.prompt || name),
      h("p", { class: "card-meta", title: meta }, meta),
    ),
    h(
      "div",
      { class: "actions" },
      iconButton("Prompt", "prompt", act("prompt")),
      iconButton("Clean background", "wand", act("cleanBackground"), { disabled: isVideo }),
      iconButton("Download", "download", act("download")),
      iconButton("Info", "info", act("info")),
      iconButton("Create grid", "grid", act("grid"), { disabled: isVideo }),
      iconButton("Add to collection", "folder", act("collect")),
      iconButton("Share", "share", act("share")),
      iconButton("Open", "open", act("open")),
      iconButton("Delete", "trash", act("delete"), { class: "icon-button danger" }),
    ),
  );
  return h("li", { class: "card-item", "data-id": item.id }, article);
}

/** A card in the trash: restore it, or delete it for good. */
export function trashCard(item, { onRestore, onDeleteForever }) {
  const name = itemName(item);
  const purge = item.purgeAt ? `Deleted for good on ${day(item.purgeAt)}` : "";
  return h(
    "li",
    { class: "card-item", "data-id": item.id },
    h(
      "article",
      { class: "card trashed", "aria-label": name },
      // A trashed item's links are short-lived URLs of its files in the trash (the API's own).
      thumbnail(item),
      h(
        "div",
        { class: "card-text" },
        h("p", { class: "card-prompt", title: item.prompt || "" }, item.prompt || name),
        h("p", { class: "card-meta" }, `Deleted ${day(item.deletedAt)}`),
        purge ? h("p", { class: "card-meta" }, purge) : null,
      ),
      h(
        "div",
        { class: "actions wide-actions" },
        h("button", { type: "button", class: "button small", onclick: (event) => onRestore(item, event.currentTarget) }, "Restore"),
        h(
          "button",
          { type: "button", class: "button small danger", onclick: (event) => onDeleteForever(item, event.currentTarget) },
          "Delete forever",
        ),
      ),
    ),
  );
}
