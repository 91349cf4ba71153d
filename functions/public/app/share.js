// "Share image": a public link with an expiry, an optional password and downloads allowed or not;
// the link to copy, and revoking it.

import { seg } from "./api.js";
import { button, openDialog } from "./dialog.js";
import { field, h, uid } from "./dom.js";
import { copyText } from "./files.js";
import { date } from "./format.js";
import { notify, notifyError } from "./notify.js";

const EXPIRIES = [
  ["1h", "1 hour"],
  ["1d", "1 day"],
  ["7d", "7 days"],
  ["30d", "30 days"],
  ["never", "Never"],
];

export function shareDialog(ctx, item) {
  const path = `/api/v1/gallery/${seg(item.id)}/share`;
  openDialog({
    title: "Share image",
    build: ({ body, footer, close, signal }) => {
      const formId = uid("share-form");
      const expires = h(
        "select",
        {},
        EXPIRIES.map(([value, label]) => h("option", { value, selected: value === "7d" }, label)),
      );
      const password = h("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 200 });
      const allowDownload = h("input", { type: "checkbox" });
      const problem = h("p", { class: "form-error", role: "alert" });
      const form = h(
        "form",
        { id: formId, class: "stack", novalidate: true },
        field("Expires", expires),
        field("Password (optional)", password, { hint: "Visitors must enter it to see the image." }),
        h("label", { class: "check" }, allowDownload, h("span", {}, "Allow download")),
        problem,
      );

      const link = h("input", { type: "text", readonly: true, class: "share-url" });
      const about = h("p", { class: "muted small" });
      const open = h("a", { target: "_blank", rel: "noopener noreferrer", class: "small" }, "Open link");
      const linkArea = h(
        "div",
        { class: "share-link stack", hidden: true },
        field("Share link", link, { wide: true }),
        about,
        h(
          "div",
          { class: "row" },
          button("Copy link", async () => {
            if (await copyText(link.value)) notify("Link copied");
            else notifyError("The link could not be copied: select it and copy it by hand");
          }, { kind: "primary" }),
          button("Revoke link", async () => {
            try {
              await ctx.api.delete(path);
              show(null);
              notify("Link revoked");
            } catch (error) {
              problem.textContent = error.message;
            }
          }, { kind: "danger" }),
          open,
        ),
      );

      function show(share) {
        linkArea.hidden = !share;
        if (!share) {
          link.value = "";
          open.removeAttribute("href");
          return;
        }
        link.value = share.shareUrl;
        open.href = share.shareUrl;
        const facts = [share.expiresAt ? `Expires ${date(share.expiresAt)}` : "Never expires"];
        if (share.passwordProtected) facts.push("password protected");
        facts.push(share.allowDownload ? "downloads allowed" : "view only");
        facts.push(`${share.views} ${share.views === 1 ? "view" : "views"}`);
        about.textContent = facts.join(" · ");
        expires.value = share.expiresIn || "7d";
        allowDownload.checked = share.allowDownload;
      }

      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        problem.textContent = "";
        const options = { expiresIn: expires.value, allowDownload: allowDownload.checked };
        if (password.value) options.password = password.value;
        try {
          let { status, body: share } = await ctx.api.post(path, options, { full: true });
          if (status === 200) share = await ctx.api.patch(path, options); // an active link: new options
          show(share);
          password.value = "";
          link.focus();
          link.select();
          notify("Share link ready");
        } catch (error) {
          problem.textContent = error.message;
        }
      });

      body.append(form, linkArea);
      footer.append(
        button("Create link", null, { kind: "primary", type: "submit", form: formId }),
        button("Close", () => close()),
      );
      // The item's links, revoked ones included (GET …/share answers 404 while there is none):
      // an active one is shown as it is.
      ctx.api.get(`${path}s`, { signal }).then(
        ({ shares }) => {
          const now = Date.now();
          const active = shares.find(
            (share) => !share.revokedAt && (!share.expiresAt || Date.parse(share.expiresAt) > now),
          );
          if (active && linkArea.hidden) show(active);
        },
        () => null,
      );
    },
  });
}
