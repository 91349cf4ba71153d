// A small client of the Galleria HTTP API (same origin): the key as a Bearer token, JSON in and
// out, and the API's error envelope ({"error", "code", ...}) as an ApiError.

export class ApiError extends Error {
  constructor(message, { status = 0, code = "error", details = {} } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const NETWORK_MESSAGE = "The service could not be reached. Check your connection and try again.";

async function toError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const message = (body && (body.error || body.message)) || `The request failed (HTTP ${response.status})`;
  const { error: _e, code, ...details } = body || {};
  const retryAfter = response.headers.get("retry-after");
  if (retryAfter) details.retryAfter = Number(retryAfter);
  return new ApiError(message, { status: response.status, code: code || `http_${response.status}`, details });
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * getKey(): the stored key; onUnauthorized(error): the stored key was refused (sign out).
 * Every method takes options { query, headers, signal, key, full, as }:
 *   key  — a key to try instead of the stored one (sign-in), never reported as a sign-out;
 *   full — answer { status, body } instead of the body;
 *   as   — "blob" for files.
 */
export function createApi({ getKey, onUnauthorized }) {
  async function request(method, path, options = {}) {
    const { json, query, headers = {}, signal, key, full = false, as } = options;
    const init = { method, headers: { Accept: "application/json", ...headers }, signal, credentials: "same-origin" };
    const token = key ?? getKey();
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(withQuery(path, query), init);
    } catch (error) {
      if (error && error.name === "AbortError") throw error;
      throw new ApiError(NETWORK_MESSAGE, { code: "network_error" });
    }
    if (!response.ok) {
      const error = await toError(response);
      if (response.status === 401 && key === undefined && token) onUnauthorized(error);
      throw error;
    }
    let body = null;
    if (as === "blob") {
      body = await response.blob();
    } else if (response.status !== 204) {
      const type = response.headers.get("content-type") || "";
      body = type.includes("json") ? await response.json() : await response.text();
    }
    return full ? { status: response.status, body } : body;
  }

  return {
    request,
    get: (path, options) => request("GET", path, options),
    post: (path, json, options = {}) => request("POST", path, { ...options, json }),
    patch: (path, json, options = {}) => request("PATCH", path, { ...options, json }),
    delete: (path, json, options = {}) => request("DELETE", path, { ...options, json }),
  };
}

/** A path segment made safe for a URL (ids come from the API, but never trust text in a URL). */
export function seg(value) {
  return encodeURIComponent(String(value));
}

/** A fresh Idempotency-Key: a retried request then charges and creates once. */
export function idempotencyKey() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
