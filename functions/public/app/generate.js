// The generate panel: prompt, model (from /api/v1/models), ratio, style, count, an optional source
// image; the job's progress, then its images at the top of the grid.

import { idempotencyKey } from "./api.js";
import { h } from "./dom.js";
import { plural } from "./format.js";
import { itemsOfJob, statusWord, waitForJob } from "./jobs.js";
import { notify, notifyError } from "./notify.js";

const MAX_SOURCE_BYTES = 10 * 1024 * 1024;

function humanize(preset) {
  if (preset === "3d-model") return "3D model";
  const words = preset.replace(/-/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error("The source image could not be read"));
    reader.readAsDataURL(file);
  });
}

export function createGeneratePanel(ctx) {
  const $ = (id) => document.getElementById(id);
  const toggle = $("new-image");
  const panel = $("generate-panel");
  const form = $("generate-form");
  const prompt = $("gen-prompt");
  const model = $("gen-model");
  const ratio = $("gen-ratio");
  const style = $("gen-style");
  const number = $("gen-count");
  const source = $("gen-source");
  const price = $("gen-price");
  const status = $("gen-status");
  const submit = $("gen-submit");
  let catalog = null;
  let busy = false;

  const selectedModel = () => catalog?.models.find((entry) => entry.id === model.value);

  function fillOptions(select, values, label = (value) => value, keep = select.value) {
    select.replaceChildren(...values.map((value) => h("option", { value }, label(value))));
    if (values.includes(keep)) select.value = keep;
  }

  function fitToModel() {
    const chosen = selectedModel();
    if (!chosen) return;
    const caps = chosen.capabilities;
    fillOptions(ratio, caps.aspectRatios?.length ? caps.aspectRatios : catalog.aspectRatios);
    for (const option of number.options) option.disabled = Number(option.value) > caps.maxImages;
    if (Number(number.value) > caps.maxImages) number.value = String(caps.maxImages);
    source.disabled = !caps.sourceImage;
    if (!caps.sourceImage) source.value = "";
    showPrice();
  }

  function showPrice() {
    const chosen = selectedModel();
    if (!chosen) return;
    const n = Number(number.value);
    const parts = [`${plural(chosen.pricePerImage, "credit")} per image`, `${plural(chosen.pricePerImage * n, "credit")} in all`];
    if (chosen.bestFor) parts.unshift(chosen.bestFor);
    if (!chosen.capabilities.sourceImage) parts.push("no source image");
    price.textContent = parts.join(" · ");
  }

  async function loadCatalog() {
    if (catalog) return;
    catalog = await ctx.api.get("/api/v1/models");
    model.replaceChildren(
      ...catalog.models.map((entry) =>
        h("option", { value: entry.id, disabled: !entry.available, title: entry.available ? entry.bestFor : "Not available in this deployment" }, entry.id),
      ),
    );
    const preferred =
      catalog.models.find((entry) => entry.default && entry.available) || catalog.models.find((entry) => entry.available);
    if (preferred) model.value = preferred.id;
    fillOptions(style, catalog.stylePresets, humanize, "none");
    fitToModel();
  }

  function setOpen(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      loadCatalog().catch((error) => notifyError(error));
      prompt.focus();
    }
  }

  async function generate() {
    const text = prompt.value.trim();
    if (!text) {
      status.textContent = "Write a prompt first.";
      prompt.focus();
      return;
    }
    const file = source.files?.[0];
    if (file && file.size > MAX_SOURCE_BYTES) {
      status.textContent = "The source image is larger than 10 MB.";
      return;
    }
    const n = Number(number.value) || 1;
    const request = {
      prompt: text,
      model: model.value || undefined,
      aspectRatio: ratio.value || undefined,
      stylePreset: style.value || "none",
      numImages: n,
      async: true,
    };
    busy = true;
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    status.textContent = `Generating ${plural(n, "image")}…`;
    try {
      if (file) request.sourceImage = await readAsDataUrl(file);
      const { status: code, body } = await ctx.api.post("/api/v1/generate-image", request, {
        full: true,
        headers: { "Idempotency-Key": idempotencyKey() },
      });
      let job = code === 200 ? { result: body } : null;
      if (!job) {
        job = await waitForJob(ctx.api, body.jobId, {
          onStatus: (current) => {
            status.textContent = `Generating ${plural(n, "image")}… (${statusWord(current.status)})`;
          },
        });
      }
      const made = await itemsOfJob(ctx.api, job);
      ctx.gallery.prepend(made);
      status.textContent = `Done: ${plural(made.length, "new image")} at the top of the gallery.`;
      notify(`Generated ${plural(made.length, "image")}`);
    } catch (error) {
      status.textContent = `Generation failed: ${error.message}`;
      notifyError(error);
    } finally {
      busy = false;
      submit.disabled = false;
      form.removeAttribute("aria-busy");
      ctx.refreshAccount();
    }
  }

  toggle.addEventListener("click", () => setOpen(panel.hidden));
  model.addEventListener("change", fitToModel);
  number.addEventListener("change", showPrice);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!busy) generate();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !busy) {
      setOpen(false);
      toggle.focus();
    }
  });
  // Ctrl/Cmd+Enter in the prompt generates, as in most prompt boxes.
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  return { open: () => setOpen(true) };
}
