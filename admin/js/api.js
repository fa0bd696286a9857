// The API client: JSON calls with the officer's bearer token, the session in
// sessionStorage (gone when the tab closes), quiet refreshes, and presigned uploads.
//
// The access token lives 15 minutes. It is refreshed a minute before it expires, and
// again when a call answers 401 (a sleeping laptop misses timers); the refresh token
// rotates on every use and is spent once, so only one refresh is ever in flight. When
// the session cannot be refreshed the site asks the officer to sign in again, over the
// page they were working on (main.js), so nothing they typed is lost.

import { API_BASE } from "../config.js";
import { STAFF } from "./enums.js";

const STORED = "masses.session";
const REFRESH_AHEAD_MS = 60_000;

export class ApiError extends Error {
  constructor(status, code, message, { field = null, retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

let session = readStored();
let refreshing = null;
let refreshTimer = null;
const sessionEnded = new Set();

function readStored() {
  try {
    return JSON.parse(sessionStorage.getItem(STORED));
  } catch {
    return null;
  }
}

export function currentUser() {
  return session?.user ?? null;
}

/** `listener(reason)` runs when the session ends other than by logging out: expired,
 * revoked, or the account is no longer an officer's. */
export function onSessionEnded(listener) {
  sessionEnded.add(listener);
}

function keep(answer) {
  session = {
    access_token: answer.access_token,
    refresh_token: answer.refresh_token,
    expires_at: Date.now() + answer.expires_in * 1000,
    user: answer.user,
  };
  sessionStorage.setItem(STORED, JSON.stringify(session));
  scheduleRefresh();
}

function end(reason) {
  session = null;
  sessionStorage.removeItem(STORED);
  clearTimeout(refreshTimer);
  if (reason) sessionEnded.forEach((listener) => listener(reason));
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const due = Math.max(0, session.expires_at - Date.now() - REFRESH_AHEAD_MS);
  refreshTimer = setTimeout(() => refresh(), due);
}

/** Rotates the refresh token; true when there is a fresh access token. */
function refresh() {
  if (!session) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const answer = await call("POST", "/auth/refresh",
        { body: { refresh_token: session.refresh_token } });
      if (!STAFF.includes(answer.user?.role)) {
        end("not_staff");
        return false;
      }
      keep(answer);
      return true;
    } catch (error) {
      // A refused token ends the session; a network or server failure keeps it, and
      // the next call tries again.
      if (error.status === 401) end("session_expired");
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** One call to the API; errors are ApiError with the API's code. */
async function call(method, path, { body, query, token, headers = {} } = {}) {
  const url = new URL(`${API_BASE}${path}`);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, value);
  }
  const sent = { ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (token) sent.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, {
      method, headers: sent, cache: "no-store", mode: "cors",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network_error", "The API could not be reached.");
  }
  if (response.status === 204) return null;
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    // Not JSON: an answer from API Gateway or a proxy rather than from the app.
  }
  if (!response.ok) {
    const error = answer?.error ?? {};
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    throw new ApiError(response.status, error.code ?? `http_${response.status}`,
      error.message ?? answer?.message ?? response.statusText,
      { field: error.field ?? null, retryAfter });
  }
  return answer;
}

/** A public read (no sign-in): the transparency report, the districts. */
export function publicApi(path, query) {
  return call("GET", path, { query });
}

/** A call as the signed-in officer; on 401 refreshes once and retries. */
export async function api(method, path, options = {}) {
  if (session && Date.now() >= session.expires_at) await refresh();
  if (!session) {
    sessionEnded.forEach((listener) => listener("session_expired"));
    throw sessionExpired();
  }
  try {
    return await call(method, path, { ...options, token: session.access_token });
  } catch (error) {
    if (error.status !== 401 || !session) throw error;
    if (await refresh()) return call(method, path, { ...options, token: session.access_token });
    if (session) end("session_expired");
    throw sessionExpired();
  }
}

function sessionExpired() {
  return new ApiError(401, "session_expired", "The session has ended; sign in again.");
}

export function requestCode(phone, locale) {
  const sms = locale.startsWith("zh") ? "zh" : "en";
  return call("POST", "/auth/otp", { body: { phone, locale: sms } });
}

/** Signs in with the SMS code; only officers and admins keep the session. */
export async function signIn(phone, code) {
  const answer = await call("POST", "/auth/verify", { body: { phone, code } });
  if (!STAFF.includes(answer.user?.role)) {
    // The session is a citizen's: end it at once rather than keep it in the browser.
    await call("POST", "/auth/logout", { body: { refresh_token: answer.refresh_token },
      token: answer.access_token }).catch(() => {});
    throw new ApiError(403, "not_staff", "This account is not an officer's.");
  }
  keep(answer);
  return answer.user;
}

/** Checks a session found in sessionStorage (a reload) against the API. */
export async function resumeSession() {
  if (!session) return null;
  const me = await api("GET", "/me");
  if (!STAFF.includes(me.role)) {
    end(null);
    throw new ApiError(403, "not_staff", "This account is not an officer's.");
  }
  session.user = { id: me.id, phone: me.phone, role: me.role };
  sessionStorage.setItem(STORED, JSON.stringify(session));
  scheduleRefresh();
  return session.user;
}

export async function signOut() {
  const ending = session;
  end(null);
  if (ending) {
    await call("POST", "/auth/logout", { body: { refresh_token: ending.refresh_token },
      token: ending.access_token }).catch(() => {});
  }
}

/** Sends a file with the presigned POST the API handed out: straight to the bucket. */
export async function upload(ticket, file) {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.upload.fields)) form.append(name, value);
  form.append("file", file);
  let response;
  try {
    response = await fetch(ticket.upload.url, { method: "POST", body: form, mode: "cors" });
  } catch {
    throw new ApiError(0, "upload_failed", "The upload did not reach storage.");
  }
  if (!response.ok) {
    throw new ApiError(response.status, "upload_failed", `Storage answered ${response.status}.`);
  }
}
