// Admin pages: the officers and admins with their profiles, granting and revoking the
// officer role, and the audit trail.

import { api } from "../api.js";
import { busy, confirmMove, empty, field, filterSelect, h, loading, notice, pagedList,
  pager, when } from "../dom.js";
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
  const displayName = h("input", { type: "text", name: "display-name", maxlength: 64,
    autocomplete: "off" });
  const badgeNumber = h("input", { type: "text", name: "badge", maxlength: 32, autocomplete: "off" });
  const message = notice();
  const done = h("ol", { class: "role-changes" });
  const staff = h("div", { class: "staff" }, officerTable());
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
      if (!granting && !await confirmMove(t("confirm.revoke", { phone: typed }),
        t("officers.revoke"))) return;
      try {
        const path = `/admin/officers/${encodeURIComponent(typed)}`;
        const profile = displayName.value.trim() ? { display_name: displayName.value.trim(),
          ...(badgeNumber.value.trim() ? { badge: badgeNumber.value.trim() } : {}) } : undefined;
        const answer = await api(granting ? "PUT" : "DELETE", path,
          granting ? { body: profile } : {});
        const text = granting ? t("officers.granted", { phone: answer.phone })
          : t("officers.revoked", { phone: typed });
        message.announce(text);
        done.prepend(h("li", {}, text, " ", when(new Date().toISOString())));
        phone.value = "";
        displayName.value = "";
        badgeNumber.value = "";
        staff.replaceChildren(officerTable());
      } catch (error) {
        message.error(error);
        message.focus();
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
    } }, field(t("signin.phone"), phone, t("officers.phone_hint")),
    h("div", { class: "profile-fields" },
      field(t("field.display_name"), displayName, t("officers.display_name_hint")),
      field(t("field.badge"), badgeNumber, t("form.optional"))), message,
    h("div", { class: "actions" }, grant, revoke)),
    h("h2", {}, t("officers.this_session")), done,
    h("h2", {}, t("officers.list")), staff,
    h("p", { class: "muted" }, t("officers.audit_hint"), " ",
      h("a", { href: "#/audit" }, t("nav.audit"))));
}

const OFFICER_COLUMNS = ["display_name", "phone", "role", "badge", "granted_at"];

/** Who holds the officer or admin role now, longest-serving first (GET /admin/officers). */
function officerTable() {
  const [rows, state, more] = pagedList(h("tbody"),
    (cursor) => api("GET", "/admin/officers", { query: { limit: PAGE_SIZE, cursor } }),
    (officer) => {
      const cell = (column, ...content) => h("td", { "data-label": t(`officers.${column}`) },
        ...content);
      return h("tr", { dataset: { userId: officer.user_id, phone: officer.phone } },
        cell("display_name", officer.display_name ?? h("span", { class: "muted" },
          t("officers.no_name"))),
        cell("phone", officer.phone), cell("role", label("role", officer.role)),
        cell("badge", officer.badge ?? "—"),
        cell("granted_at", officer.granted_at ? formatTime(officer.granted_at) : "—"));
    }, () => empty(t("officers.none")));
  return h("div", {}, h("div", { class: "table-wrap" }, h("table", { class: "audit-table officer-table" },
    h("thead", {}, h("tr", {}, OFFICER_COLUMNS.map((name) =>
      h("th", { scope: "col" }, t(`officers.${name}`))))), rows)), state, more);
}

/** The trail, newest first, filtered by who, what and which report among the events
 * loaded so far (the API pages the whole trail); "load more" goes further back. */
export function audit() {
  const events = [];
  const rows = h("tbody");
  const state = h("div", {}, loading());
  const shown = h("p", { class: "muted", role: "status" });
  const actor = filterSelect({ name: "actor" }, [], draw);
  const action = filterSelect({ name: "action" }, [
    h("option", { value: "" }, t("audit.any_action")),
    Object.values(AuditAction).map((value) => h("option", { value }, label("action", value)))],
  draw);
  const reportId = h("input", { type: "search", name: "report", spellcheck: false,
    autocomplete: "off", oninput: draw });

  function actorOptions() {
    const chosen = actor.value;
    const people = new Map(events.map((event) => [event.actor.id, actorName(event.actor)]));
    actor.replaceChildren(h("option", { value: "" }, t("audit.any_actor")),
      ...[...people].map(([id, name]) => h("option", { value: id, selected: id === chosen },
        name)));
  }

  function draw() {
    const wantedReport = reportId.value.trim().toLowerCase();
    const matching = events.filter((event) => (!actor.value || event.actor.id === actor.value)
      && (!action.value || event.action === action.value)
      && (!wantedReport || String(event.target).startsWith(`report#${wantedReport}`)));
    rows.replaceChildren(...matching.map(eventRow));
    shown.textContent = t("audit.showing", { shown: matching.length, count: events.length });
    state.replaceChildren(events.length && !matching.length ? empty(t("audit.none_match"))
      : events.length ? "" : empty(t("audit.empty")));
  }

  const more = pager(state,
    (cursor) => api("GET", "/admin/audit", { query: { limit: PAGE_SIZE, cursor } }),
    (page) => {
      events.push(...page.items);
      actorOptions();
      draw();
    });
  return h("section", { class: "audit" },
    h("div", { class: "page-head" }, h("h1", {}, t("audit.title"))),
    h("p", { class: "lead" }, t("audit.lead")),
    h("div", { class: "filters audit-filters" },
      field(t("audit.filter_actor"), actor), field(t("audit.filter_action"), action),
      field(t("audit.filter_report"), reportId)),
    shown,
    h("div", { class: "table-wrap" }, h("table", { class: "audit-table" },
      h("thead", {}, h("tr", {}, COLUMNS.map((name) =>
        h("th", { scope: "col" }, t(`audit.${name}`))))),
      rows)),
    state, more);
}

const COLUMNS = ["at", "actor", "action", "target", "details"];

/** An officer as other officers know them: their display name once they have a profile,
 * else their number, else their id. */
function actorName(actor) {
  return actor.display_name || actor.phone || actor.id;
}

function eventRow(event) {
  const name = actorName(event.actor);
  const cell = (column, ...content) => h("td", { "data-label": t(`audit.${column}`) }, ...content);
  return h("tr", { dataset: { action: event.action, actorId: event.actor.id } },
    cell("at", h("time", { datetime: event.at }, formatTime(event.at))),
    cell("actor", h("span", { class: "actor-name" }, name), " · ", label("role", event.actor.role),
      name === event.actor.id ? null : [h("br"), h("code", { class: "muted" }, event.actor.id)]),
    cell("action", label("action", event.action)),
    cell("target", targetLink(event.target)),
    cell("details", details(event.action, event.details)));
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
