// Getting things out of the page: a file download, a link followed, text to the clipboard.

import { seg } from "./api.js";
import { slug } from "./format.js";

/** Save a Blob under a name (through a temporary object URL). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Follow a URL on another origin (a presigned S3 URL answers with Content-Disposition). */
export function followDownload(url) {
  const link = document.createElement("a");
  link.href = url;
  link.rel = "noopener noreferrer";
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

/** The image as PNG: GET /api/v1/gallery/{id}/download?format=png needs the key, so it is fetched
 * and saved; a file too large for the API redirects to S3, which the page may not fetch (CSP
 * connect-src 'self'): its permanent link is followed instead. */
export async function downloadPng(api, item) {
  // A video is downloaded as it is; an image as PNG ("Download PNG").
  const video = item.type === "video";
  const extension = video ? (item.mimeType || "video/mp4").split("/")[1].split(";")[0] : "png";
  try {
    const blob = await api.get(`/api/v1/gallery/${seg(item.id)}/download`, {
      query: { format: video ? "original" : "png" },
      as: "blob",
    });
    saveBlob(blob, `${slug(item.title || item.prompt)}-${item.id}.${extension}`);
  } catch (error) {
    if (error && error.code === "network_error" && item.url) followDownload(item.url);
    else throw error;
  }
}

export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the selection copy (the permission may be refused)
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  (document.querySelector("dialog[open]") || document.body).append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}
