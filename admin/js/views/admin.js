// Admin pages: grant and revoke the officer role, and read the audit trail.

import { api } from "../api.js";
import { busy, empty, field, h, notice, pagedList, when } from "../dom.js";
import { AuditAction } from "../enums.js";
import { formatTime, label, t } from "../i18n.js";

const PAGE_SIZE = 50;
// Details whose values are codes the site has names for, by action.
const NAMED_DETAILS = {
  [AuditAction.ROLE_CHANGE]: { from: "role", to: "role" },
  [AuditAction.REPORT_STATUS_CHANGED]: { from: "report_status", to: "report_status" },
  [AuditAction.REPORT_NOTE_ADDED]: { visibility: "note.visibility" },
  [AuditAction.BULLETIN_PUBLISH]: { category: "bulletin_category" },
  [AuditAction.BULLETIN_RESOLVE]: { outcome: "outcome" },
};

export function officers() {
  const phone = h("input", { type: "tel", name: "officer-phone", required: true, maxlength: 32,
    placeholder: t("signin.phone_placeholder") });
  const message = notice();
  const done = h("ol", { class: "role-changes" });
  const grant = h("button", { type: "submit", class: "primary", value: "grant" },
    t("officers.grant"));
  const revoke = h("button", { type: "button", class: "danger", value: "revoke" },
    t("officers.revoke"));

  async function change(button, granting) {
    const typed = phone.value.trim();
    if (!typed) {
      message.show(t("officers.phone_required"), "error");
      return;
    }
    await busy(button, async () => {
      try {
        const path = `/admin/officers/${encodeURIComponent(typed)}`;
        const answer = await api(granting ? "PUT" : "DELETE", path);
        const text = granting ? t("officers.granted", { phone: answer.phone })
          : t("officers.revoked", { phone: typed });
        message.show(text);
        done.prepend(h("li", {}, text, " ", when(new Date().toISOString())));
        phone.value = "";
      } catch (error) {
        message.error(error);
      }
    });
  }
  revoke.addEventListener("click", () => change(revoke, false));

  return h("section", { class: "officers" },
    h("div", { class: "page-head" }, h("h1", {}, t("officers.title"))),
    h("p", { class: "lead" }, t("officers.lead")),
    h("form", { class: "panel", onsubmit: (event) => {
      event.preventDefault();
      change(grant, true);
    } }, field(t("signin.phone"), phone, t("officers.phone_hint")), message,
    h("div", { class: "actions" }, grant, revoke)),
    h("h2", {}, t("officers.this_session")), done,
    h("p", { class: "muted" }, t("officers.audit_hint"), " ",
      h("a", { href: "#/audit" }, t("nav.audit"))));
}

export function audit() {
  const [rows, state, more] = pagedList(h("tbody"),
    (cursor) => api("GET", "/admin/audit", { query: { limit: PAGE_SIZE, cursor } }),
    eventRow, () => empty(t("audit.empty")));
  return h("section", { class: "audit" },
    h("div", { class: "page-head" }, h("h1", {}, t("audit.title"))),
    h("p", { class: "lead" }, t("audit.lead")),
    h("div", { class: "table-wrap" }, h("table", { class: "audit-table" },
      h("thead", {}, h("tr", {}, ["at", "actor", "action", "target", "details"].map((name) =>
        h("th", { scope: "col" }, t(`audit.${name}`))))),
      rows)),
    state, more);
}

function eventRow(event) {
  return h("tr", { dataset: { action: event.action } },
    h("td", {}, h("time", { datetime: event.at }, formatTime(event.at))),
    h("td", {}, label("role", event.actor.role), h("br"),
      h("code", { class: "muted" }, event.actor.id)),
    h("td", {}, label("action", event.action)),
    h("td", {}, targetLink(event.target)),
    h("td", {}, details(event.action, event.details)));
}

/** "report#<id>" and "bulletin#<id>" open the item; anything else is shown as is. */
function targetLink(target) {
  const [kind, id] = String(target).split("#");
  if (kind === "report" || kind === "bulletin") {
    return h("a", { href: `#/${kind}s/${id}` }, `${label("target", kind)} ${id.slice(0, 8)}…`);
  }
  return h("code", {}, target);
}

function details(action, values) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return "";
  const named = NAMED_DETAILS[action] ?? {};
  return h("dl", { class: "details" }, entries.flatMap(([name, value]) => [
    h("dt", {}, label("field", name)),
    h("dd", {}, typeof value === "object" ? JSON.stringify(value)
      : named[name] ? label(named[name], value) : String(value))]));
}
