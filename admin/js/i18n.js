// The officers' language: Chinese (zh-CN) by default, English on request. Messages live
// in i18n/<language>.json; API errors are translated by their stable `code`, falling
// back to the server's (English) message for a code this site does not know yet.

import { ErrorCode } from "./enums.js";

export const LANGUAGES = ["zh-CN", "en"];
const STORED = "masses.language";

let language = LANGUAGES.includes(localStorage.getItem(STORED))
  ? localStorage.getItem(STORED) : LANGUAGES[0];
let messages = {};

export function currentLanguage() {
  return language;
}

export async function loadLanguage(wanted = language) {
  const response = await fetch(`i18n/${wanted}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`i18n/${wanted}.json: ${response.status}`);
  messages = await response.json();
  language = wanted;
  localStorage.setItem(STORED, wanted);
  document.documentElement.lang = wanted;
  document.title = t("app.title");
}

/** t("report.filed", {age: "3 分钟前"}): the message with its {placeholders} filled.
 * With a numeric `count`, the language's plural form of the message where it has one
 * ("report.evidence_count.one": "{count} evidence item"). */
export function t(key, values = {}) {
  const form = typeof values.count === "number"
    ? `${key}.${new Intl.PluralRules(language).select(values.count)}` : null;
  const message = messages[form] ?? messages[key] ?? key;
  return message.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

export function has(key) {
  return key in messages;
}

/** The name of a value the API sends (a status, a category, an action): translated
 * when this site knows it, else the value itself, so a new value still shows. */
export function label(group, value) {
  return has(`${group}.${value}`) ? t(`${group}.${value}`) : String(value);
}

/** What the officer reads for a failed call: the code's message in their language
 * (naming the field, and when to retry, where the API said), else the server's. */
export function errorMessage(error) {
  const code = error?.code ?? "unknown";
  const values = {
    field: error?.field ? fieldLabel(error.field) : "",
    seconds: error?.retryAfter ?? "",
    detail: error?.message ?? "",
  };
  if (code === ErrorCode.VALIDATION_ERROR && error?.field) return t("error.validation_error_field", values);
  if (has(`error.${code}`)) return t(`error.${code}`, values);
  return error?.message || t("error.unknown");
}

/** The label of a body field named in an error ("location.address", "age"). */
export function fieldLabel(path) {
  const name = String(path).split(".").pop();
  return has(`field.${name}`) ? t(`field.${name}`) : path;
}

export function formatTime(iso) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return String(iso);
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" })
    .format(moment);
}

export function formatDate(isoDate) {
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeZone: "UTC" })
    .format(new Date(`${isoDate}T00:00:00Z`));
}

const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
  ["hour", 3600], ["minute", 60], ["second", 1]];

/** How long ago (or how far ahead), e.g. "3 小时前" / "3 hours ago". */
export function age(iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const relative = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return relative.format(Math.trunc(seconds / size), unit);
    }
  }
  return "";
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
