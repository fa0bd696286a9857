// Reports: the triage queue (every category at once, or one; filtered by district, who
// took a report and urgency) and the full view of one report.

import { api, currentUser } from "../api.js";
import { badge, busy, confirmMove, counter, empty, failure, field, filterSelect, h, notice,
  pagedList, showImage, when } from "../dom.js";
import { ErrorCode, MediaKind, MediaStatus, NEXT_STATUSES, NoteVisibility, Order,
  ReportCategory, ReportStatus, Role, TEXT_LIMITS } from "../enums.js";
import { errorMessage, formatBytes, formatTime, label, t } from "../i18n.js";
import { ConversationPanel, unreadBadge } from "./conversations.js";
import { duplicatesPanel } from "./duplicates.js";
import { templatePicker } from "./replies.js";

export const CATEGORIES = Object.values(ReportCategory);
export const STATUSES = Object.values(ReportStatus);
const PAGE_SIZE = 20;
const POLL_MS = 3000;
const POLL_FOR_MS = 120_000;
// The open queue looks for new reports this often, and says how many came.
const QUEUE_POLL_MS = 10_000;
const ASSIGNED = ["", "me", "none"];

export async function queue(page) {
  const params = page.params;
  const category = CATEGORIES.includes(params.get("category")) ? params.get("category") : "";
  const status = STATUSES.includes(params.get("status")) ? params.get("status") : STATUSES[0];
  const assigned = ASSIGNED.includes(params.get("assigned")) ? params.get("assigned") : "";
  const urgent = params.get("urgent") === "true";
  const district = params.get("district")?.trim() ?? "";
  const current = { category, status, assigned, urgent: urgent ? "true" : "", district };
  const go = (changes) => {
    const next = Object.entries({ ...current, ...changes }).filter(([, value]) => value);
    location.hash = `#/reports?${new URLSearchParams(next)}`;
  };
  const query = { status, category, district, assigned, urgent: urgent || null };
  const first = await api("GET", "/admin/reports", { query: { ...query, limit: PAGE_SIZE } });
  const counts = first.category_counts ?? {};
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const countOf = (value) => (value ? counts[value] ?? 0 : total);
  const categoryName = (value) => (value ? t(`report_category.${value}`)
    : t("queue.all_categories"));

  const filters = h("div", { class: "filters" },
    field(t("report.category"), filterSelect({ name: "category" }, ["", ...CATEGORIES].map(
      (value) => h("option", { value, selected: value === category },
        t("queue.category_count", { category: categoryName(value), count: countOf(value) }))),
    (value) => { if (value !== category) go({ category: value }); })),
    h("div", { class: "segmented", role: "group", "aria-label": t("report.status") },
      STATUSES.map((value) => h("button", { type: "button", dataset: { status: value },
        "aria-pressed": String(value === status), onclick: () => go({ status: value }) },
      t(`report_status.${value}`)))),
    field(t("queue.assigned"), filterSelect({ name: "assigned" }, ASSIGNED.map((value) =>
      h("option", { value, selected: value === assigned }, t(`queue.assigned.${value || "any"}`))),
    (value) => { if (value !== assigned) go({ assigned: value }); })),
    field(t("queue.district"), h("input", { type: "search", name: "district", value: district,
      maxlength: 64, onchange: (event) => go({ district: event.target.value.trim() }) })),
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "urgent",
      checked: urgent, onchange: (event) => go({ urgent: event.target.checked ? "true" : "" }) }),
    t("queue.urgent_only")));
  const counted = h("ul", { class: "category-counts", "aria-label": t("queue.counts") },
    CATEGORIES.filter((value) => counts[value]).map((value) => h("li", {},
      h("a", { href: `#/reports?${new URLSearchParams({ category: value, status })}`,
        "aria-current": value === category ? "true" : null, dataset: { category: value } },
      t(`report_category.${value}`), " ", h("span", { class: "count" }, counts[value])))));
  const fresh = h("div", { class: "fresh", role: "status", "aria-live": "polite" });
  let since = Date.now();
  let list = queueList(query, first, category, status);
  const holder = h("div", {}, list);

  function showList(answer) {
    list = queueList(query, answer, category, status);
    holder.replaceChildren(list);
    since = Date.now();
    fresh.replaceChildren();
  }

  /** New reports matching the filters, newest first: announced with a button that shows
   * them, without reloading the page or losing the officer's place before they ask. */
  async function watch() {
    while (page.isCurrent()) {
      await new Promise((resolve) => { setTimeout(resolve, QUEUE_POLL_MS); });
      if (!page.isCurrent()) return;
      try {
        const newest = await api("GET", "/admin/reports", { query: { ...query,
          order: Order.NEWEST_FIRST, limit: PAGE_SIZE } });
        const arrived = newest.items.filter((report) => Date.parse(report.created_at) > since);
        if (!arrived.length) continue;
        const urgentCount = arrived.filter((report) => report.urgent).length;
        fresh.replaceChildren(h("button", { type: "button", class: "primary fresh-button",
          onclick: async (event) => busy(event.target, async () => {
            showList(await api("GET", "/admin/reports", { query: { ...query,
              limit: PAGE_SIZE } }));
            holder.querySelector("a")?.focus();
          }) }, t("queue.new", { count: arrived.length }),
        urgentCount ? [" · ", t("queue.new_urgent", { count: urgentCount })] : null));
      } catch {
        return;  // the officer can reload; a failed poll is not worth an alarm
      }
    }
  }
  watch();
  return h("section", { class: "queue" },
    h("div", { class: "page-head" }, h("h1", {}, t("queue.title")), fresh),
    filters, counted, holder);
}

/** The queue's list from its first page (already read), paging on from there; each card
 * with its "take" button. */
function queueList(query, first, category, status) {
  let firstPage = first;
  return reportList(
    async (cursor) => {
      if (!cursor && firstPage) {
        const answer = firstPage;
        firstPage = null;
        return answer;
      }
      return api("GET", "/admin/reports", { query: { ...query, limit: PAGE_SIZE, cursor } });
    },
    () => empty(t("queue.empty", { category: category ? t(`report_category.${category}`)
      : t("queue.all_categories"), status: t(`report_status.${status}`) }),
    t("queue.empty_hint")),
    takeAction);
}

/** "Take" on a card nobody holds, or who holds it. */
function takeAction(report, redraw) {
  if (report.assignee) {
    return h("p", { class: "assignee muted" }, report.assignee.id === currentUser()?.id
      ? t("assignee.me") : t("assignee.other", { name: officerName(report.assignee) }));
  }
  if (NEXT_STATUSES[report.status]?.length === 0) return null;
  const button = h("button", { type: "button", class: "take", dataset: { take: report.report_id },
    onclick: () => busy(button, async () => {
      try {
        const taken = await api("PATCH", `/admin/reports/${report.report_id}`,
          { body: { assignee: "me" }, headers: { "Idempotency-Key": crypto.randomUUID() } });
        redraw(taken);
      } catch (error) {
        button.replaceWith(h("p", { class: "notice notice-error", role: "alert" },
          errorMessage(error)));
      }
    }) }, t("assignee.take"));
  return button;
}

function officerName(officer) {
  return officer.display_name || officer.id;
}

/** A paged list of report cards; `fetchPage(cursor)` answers {items, next_cursor}.
 * `action(report, redraw)`, when given, adds a control beside each card. */
export function reportList(fetchPage, whenEmpty, action = null) {
  return h("div", { class: "report-list" },
    pagedList(h("ol", { class: "cards" }), fetchPage,
      (report) => reportCard(report, action), whenEmpty));
}

function reportCard(report, action) {
  const place = report.location?.address ?? coordinates(report.location);
  const card = h("li", { class: `card report-card${report.urgent ? " card-urgent" : ""}`,
    dataset: { card: report.report_id } },
  h("a", { href: `#/reports/${report.report_id}`, dataset: { reportId: report.report_id } },
    h("div", { class: "card-top" }, badge("report_status", report.status),
      report.urgent ? h("span", { class: "badge badge-urgent" }, t("urgent.badge")) : null,
      h("strong", { class: "alias" }, report.alias),
      h("span", { class: "muted" }, label("report_category", report.category)),
      h("span", { class: "age" }, when(report.created_at)),
      unreadBadge(report.unread_messages)),
    h("p", { class: "excerpt" }, excerpt(report.description, 140)),
    h("div", { class: "card-meta muted" }, place ? h("span", {}, place) : null,
      report.district ? h("span", {}, report.district) : null,
      h("span", {}, t("report.evidence_count", { count: report.evidence_count })))),
  action ? h("div", { class: "card-action" },
    action(report, (fresh) => card.replaceWith(reportCard(fresh, action)))) : null);
  return card;
}

function excerpt(text, length) {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

function coordinates(location) {
  if (location?.latitude === null || location?.latitude === undefined) return "";
  return `${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)}`;
}

export async function report(page, reportId) {
  const view = new ReportView(page, await api("GET", `/admin/reports/${reportId}`));
  return view.element;
}

/** A report's chain-of-custody record, laid out to print or attach to a case file.
 * Opening it is audited by the API. */
export async function custody(page, reportId) {
  const data = await api("GET", `/admin/reports/${reportId}/custody`);
  const cell = (value) => h("td", {}, value ?? "—");
  const time = (iso) => (iso ? formatTime(iso) : null);
  const accessRows = (accesses) => accesses.length
    ? h("div", { class: "table-wrap" }, h("table", { class: "custody-table" },
      h("thead", {}, h("tr", {}, ...["custody.at", "custody.who", "custody.role",
        "custody.evidence_id"].map((key) => h("th", {}, t(key))))),
      h("tbody", {}, ...accesses.map((access) => h("tr", {}, cell(time(access.at)),
        h("td", { class: "mono" }, access.actor.id), cell(label("role", access.actor.role)),
        h("td", { class: "mono" }, access.evidence_id ?? "—"))))))
    : h("p", { class: "muted" }, t("custody.none"));
  return h("section", { class: "custody" },
    h("a", { class: "back no-print", href: `#/reports/${reportId}` }, t("custody.back")),
    h("h1", {}, t("custody.title"), " ", h("span", { class: "alias" }, data.alias)),
    h("p", { class: "muted" }, label("report_category", data.category), " · ",
      t("report.filed"), " ", formatTime(data.filed_at), " · ", t("custody.generated"), " ",
      formatTime(data.generated_at), " · ", h("span", { class: "mono" }, data.report_id)),
    h("button", { type: "button", class: "no-print", onclick: () => window.print() },
      t("custody.print")),
    h("h2", {}, t("report.evidence")),
    data.evidence.length ? h("div", { class: "table-wrap" }, h("table", {
      class: "custody-table custody-evidence" },
      h("thead", {}, h("tr", {}, ...["custody.evidence_id", "custody.verdict", "custody.sha256",
        "custody.version", "custody.size", "custody.type", "custody.uploaded",
        "custody.processed"].map((key) => h("th", {}, t(key))))),
      h("tbody", {}, ...data.evidence.map((item) => h("tr", {
        dataset: { evidenceId: item.evidence_id, verdict: item.verdict } },
      h("td", { class: "mono" }, item.evidence_id),
      cell(t(`custody.verdict.${item.verdict}`) + (item.reject_reason
        ? ` (${label("evidence.reject", item.reject_reason)})` : "")),
      h("td", { class: "mono hash" }, item.sha256 ?? "—"),
      h("td", { class: "mono" }, item.version_id ?? "—"),
      cell(item.size != null ? formatBytes(item.size) : null),
      cell(item.sniffed_type ?? item.declared_content_type),
      cell(time(item.uploaded_at)), cell(time(item.processed_at))))))) : empty(t("report.no_evidence")),
    h("h2", {}, t("custody.accesses")), accessRows(data.original_accesses),
    h("h2", {}, t("custody.openings")), accessRows(data.record_openings));
}

/** One report. Its sections are redrawn from each answer of the API, while the note
 * being typed stays untouched. */
class ReportView {
  constructor(page, data) {
    this.page = page;
    this.data = data;
    this.fetchedAt = Date.now();
    this.head = h("div", { class: "report-head" });
    this.facts = h("div", { class: "report-facts" });
    this.gallery = h("div", { class: "gallery" });
    this.statusBox = h("div", { class: "status-box" });
    this.handling = h("div", { class: "handling" });
    this.notes = h("ol", { class: "notes" });
    this.message = notice();
    this.duplicates = duplicatesPanel(data, this.message, (fresh) => {
      this.data = fresh;
      this.fetchedAt = Date.now();
      this.draw();
    });
    this.conversation = new ConversationPanel(page, data.report_id,
      (item) => this.evidenceItem(item));
    this.element = h("section", { class: "report" },
      h("a", { class: "back", href: `#/reports?status=${data.status}` }, t("report.back")),
      this.head, this.message,
      h("div", { class: "report-columns" },
        h("div", { class: "report-main" }, this.facts,
          h("h2", {}, t("report.evidence")), this.gallery,
          h("p", {}, h("a", { class: "custody-link", href: `#/reports/${data.report_id}/custody` },
            t("custody.open"))),
          this.conversation.element, this.duplicates.element),
        h("aside", { class: "report-side" },
          h("h2", {}, t("report.handling")), this.handling,
          h("h2", {}, t("report.status")), this.statusBox,
          h("h2", {}, t("report.notes")), this.notes, this.noteForm(),
          currentUser()?.role === Role.ADMIN ? this.revealBox() : null)));
    this.draw();
    this.pollWhilePending(Date.now() + POLL_FOR_MS);
  }

  draw() {
    const data = this.data;
    this.head.replaceChildren(
      h("h1", {}, h("span", { class: "alias" }, data.alias), " ",
        badge("report_status", data.status), data.hold ? [" ", holdBadge(data.hold)] : null),
      h("p", { class: "muted" }, label("report_category", data.category), " · ",
        t("report.filed"), " ", when(data.created_at), " · ",
        t("report.updated"), " ", when(data.updated_at)));
    this.facts.replaceChildren(
      h("p", { class: "description" }, data.description),
      h("dl", { class: "facts" },
        h("dt", {}, t("report.occurred_at")), h("dd", {}, formatTime(data.occurred_at)),
        h("dt", {}, t("report.location")), h("dd", {}, locationText(data.location)),
        data.bulletin_id ? [h("dt", {}, t("report.clue_on")), h("dd", {},
          h("a", { href: `#/bulletins/${data.bulletin_id}` }, t("report.open_bulletin")))]
          : null));
    this.drawGallery();
    this.drawHandling();
    this.drawStatus();
    this.notes.replaceChildren(...(data.notes.length ? data.notes.map(noteItem)
      : [h("li", { class: "muted" }, t("report.no_notes"))]));
  }

  drawGallery() {
    const evidence = this.data.evidence;
    this.gallery.replaceChildren(...(evidence.length
      ? evidence.map((item) => this.evidenceItem(item))
      : [empty(t("report.no_evidence"))]));
  }

  evidenceItem(item) {
    const meta = [item.kind ? label("evidence.kind", item.kind) : null,
      item.width ? `${item.width}×${item.height}` : null,
      item.duration_seconds ? duration(item.duration_seconds) : null,
      formatBytes(item.size)].filter(Boolean).join(" · ");
    if (item.status !== MediaStatus.READY) {
      const text = item.status === MediaStatus.REJECTED
        ? t("evidence.rejected", { reason: label("evidence.reject", item.reject_reason) })
        : t([MediaStatus.EXPIRED, MediaStatus.ABORTED].includes(item.status)
          ? `evidence.${item.status}` : "evidence.pending");
      return h("figure", { class: `evidence evidence-${item.status}`,
        dataset: { evidenceId: item.evidence_id, status: item.status } },
      h("div", { class: "evidence-placeholder" }, text), h("figcaption", {}, meta));
    }
    const caption = `${this.data.alias} · ${meta}`;
    return h("figure", { class: "evidence evidence-ready",
      dataset: { evidenceId: item.evidence_id, status: item.status } },
    h("button", { type: "button", class: "thumb", title: t("evidence.view_large"),
      onclick: async () => showImage((await this.fresh(item)).large_url, caption) },
    h("img", { src: item.thumb_url, alt: t("evidence.thumb_alt",
      { kind: label("evidence.kind", item.kind) }) }),
    item.kind === MediaKind.VIDEO ? h("span", { class: "play", "aria-hidden": "true" }, "▶") : null),
    h("figcaption", {}, meta,
      item.captured_at ? h("span", { class: "muted" },
        ` · ${t("evidence.captured")} ${formatTime(item.captured_at)}`) : null,
      h("button", { type: "button", class: "link", onclick: (event) =>
        busy(event.target, () => this.downloadOriginal(item)) }, t("evidence.original"))));
  }

  /** The evidence item with URLs that have not expired: the view's URLs live
   * `evidence_urls_expire_in` seconds, and an officer may look for longer. */
  async fresh(item) {
    const lifetime = (this.data.evidence_urls_expire_in - 30) * 1000;
    if (Date.now() - this.fetchedAt < lifetime) return item;
    try {
      await this.reload();
    } catch (error) {
      this.message.error(error);
    }
    return this.data.evidence.find((each) => each.evidence_id === item.evidence_id) ?? item;
  }

  async reload() {
    const fresh = await api("GET", `/admin/reports/${this.data.report_id}`);
    this.fetchedAt = Date.now();
    this.data = { ...this.data, evidence: fresh.evidence };
    this.drawGallery();
  }

  async downloadOriginal(item) {
    try {
      const { url } = await api("GET",
        `/admin/reports/${this.data.report_id}/evidence/${item.evidence_id}/original`);
      // The URL answers with Content-Disposition: attachment, so this downloads.
      // Its file name (the evidence id and the extension of its type) comes from there too.
      h("a", { href: url, download: "", rel: "noopener" }).click();
      this.message.announce(t("evidence.original_started"));
    } catch (error) {
      this.message.error(error);
      this.message.focus();
    }
  }

  /** Evidence is processed after the upload; redraw the gallery until none is pending. */
  async pollWhilePending(until) {
    while (this.data.evidence.some((item) => item.status === MediaStatus.PENDING)) {
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      if (!this.page.isCurrent() || Date.now() > until) return;
      try {
        await this.reload();
      } catch {
        return;  // the officer can reload; a failed poll is not worth an alarm
      }
    }
  }

  /** Who has the report (take it, give it back) and whether it is urgent. */
  drawHandling() {
    const { assignee, urgent } = this.data;
    const mine = assignee?.id === currentUser()?.id;
    const closed = !NEXT_STATUSES[this.data.status]?.length;
    const button = (text, body, done, props) => h("button", { type: "button", ...props,
      onclick: (event) => busy(event.target, () => this.change(body, done)) }, text);
    this.handling.replaceChildren(...[
      h("p", { class: "assignee" }, !assignee ? t("assignee.none")
        : mine ? t("assignee.me") : t("assignee.other", { name: officerName(assignee) })),
      closed ? null : h("div", { class: "actions" },
        !assignee ? button(t("assignee.take"), { assignee: "me" }, t("assignee.taken"),
          { class: "take" }) : null,
        mine ? button(t("assignee.give_back"), { assignee: null }, t("assignee.given_back"),
          { class: "give-back" }) : null,
        assignee && !mine && currentUser()?.role === Role.ADMIN ? h("button", {
          type: "button", class: "take-over", onclick: (event) => busy(event.target, async () => {
            if (!await confirmMove(t("confirm.take_over", { name: officerName(assignee) }),
              t("assignee.take_over"))) return;
            await this.change({ assignee: "me", force: true }, t("assignee.taken"));
          }) }, t("assignee.take_over")) : null,
        button(t("urgent.toggle"), { urgent: !urgent },
          t(urgent ? "urgent.cleared" : "urgent.marked"),
          { class: "urgent-toggle", "aria-pressed": String(Boolean(urgent)) })),
      urgent ? h("p", {}, h("span", { class: "badge badge-urgent" }, t("urgent.badge"))) : null,
    ].filter(Boolean));
  }

  /** The next moves, then, in a section of their own below, the final ones. A final move
   * is confirmed first, and never takes the place of the button just pressed: the row of
   * next moves keeps its room, so a double click cannot close the report. */
  drawStatus() {
    // A linked duplicate moves with its primary, never on its own.
    const moves = this.data.duplicate_of ? [] : NEXT_STATUSES[this.data.status];
    const isFinal = (status) => !NEXT_STATUSES[status]?.length;
    const next = moves.filter((status) => !isFinal(status));
    const final = moves.filter(isFinal);
    const button = (status, kind) => h("button", { type: "button", class: kind,
      dataset: { moveTo: status }, onclick: (event) => busy(event.target, async () => {
        if (isFinal(status) && !await confirmMove(t("confirm.report_final",
          { status: label("report_status", status) }), t(`report.move.${status}`))) return;
        await this.change({ status });
      }) }, t(`report.move.${status}`));
    this.statusBox.replaceChildren(...[
      h("p", {}, badge("report_status", this.data.status)),
      moves.length ? h("div", { class: "actions status-next" }, next.length
        ? next.map((status) => button(status, "primary"))
        : h("p", { class: "muted" }, t("report.close_below")))
        : h("p", { class: "muted" }, t(this.data.duplicate_of ? "duplicates.is_duplicate"
          : "report.final")),
      final.length ? h("div", { class: "status-final" },
        h("h3", {}, t("report.close_title")),
        h("p", { class: "field-hint" }, t("report.close_hint")),
        h("div", { class: "actions" }, final.map((status) => button(status,
          status === ReportStatus.DISMISSED ? "" : "primary")))) : null].filter(Boolean));
  }

  async change(body, done = null) {
    try {
      // One key per change: a retry of this request (api.js retries after refreshing
      // the session) cannot add the note twice.
      this.data = await api("PATCH", `/admin/reports/${this.data.report_id}`, { body,
        headers: { "Idempotency-Key": crypto.randomUUID() } });
      this.fetchedAt = Date.now();
      this.draw();
      this.message.announce(done ?? (body.status
        ? t("report.moved", { status: label("report_status", body.status) })
        : t("report.note_added")));
      return true;
    } catch (error) {
      if (error.code === ErrorCode.VALIDATION_ERROR && error.field === "note.text") {
        this.message.announce(t("text.limit", { field: t("note.text"),
          max: TEXT_LIMITS.note.max }), "error");
      } else {
        this.message.error(error);
        this.message.focus();
      }
      return false;
    }
  }

  noteForm() {
    // No maxlength: the browser would cut a pasted note silently; the counter says by
    // how much it is too long instead.
    const text = h("textarea", { name: "note", rows: 4, required: true });
    const count = counter(text, TEXT_LIMITS.note, t("note.text"));
    const visibility = (value, checked) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "visibility", value, checked }),
      t(`note.visibility.${value}`));
    const submit = h("button", { type: "submit", class: "primary" }, t("note.add"));
    const form = h("form", { class: "note-form", onsubmit: async (event) => {
      event.preventDefault();
      const problem = text.value.trim() ? count.problem() : t("note.empty");
      if (problem) {
        this.message.announce(problem, "error");
        return;
      }
      const chosen = form.querySelector("input[name=visibility]:checked").value;
      const added = await busy(submit, () => this.change({ note: { text: text.value.trim(),
        visibility: chosen } }));
      if (added) {
        text.value = "";
        count.update();
        // The next note is internal again unless the officer chooses otherwise: a
        // choice left on "for the reporter" would send it to the citizen too.
        form.querySelector(`input[name=visibility][value=${NoteVisibility.INTERNAL}]`)
          .checked = true;
      }
    } },
    templatePicker(text), field(t("note.text"), text, count),
    h("fieldset", { class: "choices" }, h("legend", {}, t("note.visibility")),
      visibility(NoteVisibility.INTERNAL, true), visibility(NoteVisibility.REPORTER, false)),
    h("p", { class: "field-hint" }, t("note.reporter_hint")),
    h("div", { class: "actions" }, submit));
    return form;
  }

  revealBox() {
    const reason = h("textarea", { name: "reason", rows: 3,
      minlength: TEXT_LIMITS.reveal_reason.min, maxlength: TEXT_LIMITS.reveal_reason.max });
    const result = h("div", { class: "reveal-result" });
    const submit = h("button", { type: "submit", class: "danger" }, t("reveal.submit"));
    return h("details", { class: "reveal" }, h("summary", {}, t("reveal.title")),
      h("p", { class: "field-hint" }, t("reveal.warning")),
      h("form", { onsubmit: (event) => {
        event.preventDefault();
        busy(submit, async () => {
          try {
            const revealed = await api("POST", `/admin/reports/${this.data.report_id}/reveal`,
              { body: { reason: reason.value } });
            result.replaceChildren(h("dl", { class: "facts" },
              h("dt", {}, t("reveal.phone")), h("dd", { class: "revealed-phone" },
                revealed.phone ?? t("reveal.account_deleted")),
              h("dt", {}, t("reveal.user_id")), h("dd", {}, revealed.user_id)));
          } catch (error) {
            result.replaceChildren(failure(error));
          }
        });
      } }, field(t("reveal.reason"), reason, t("reveal.reason_hint")),
      h("div", { class: "actions" }, submit)), result);
  }
}

function noteItem(note) {
  const mine = note.author_id === currentUser()?.id;
  return h("li", { class: `note note-${note.visibility}` },
    h("div", { class: "note-head" },
      h("span", { class: `badge badge-note-${note.visibility}` },
        t(`note.visibility.${note.visibility}`)),
      h("span", { class: "muted" }, mine ? t("note.by_me") : t("note.by_officer")),
      when(note.created_at)),
    h("p", {}, note.text));
}

function locationText(location) {
  const parts = [];
  if (location.address) parts.push(location.address);
  if (location.latitude !== null && location.latitude !== undefined) {
    parts.push(t("report.coordinates", { latitude: location.latitude.toFixed(6),
      longitude: location.longitude.toFixed(6), accuracy: Math.round(location.accuracy_m) }));
  }
  return parts.join(" · ");
}

function duration(seconds) {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** A legal hold on the report (admins place it): kept past its retention, originals
 * locked in S3; the reason shows on hover. */
function holdBadge(hold) {
  const text = t("hold.badge");
  return h("span", { class: "badge badge-hold", title: t("hold.since", {
    reason: hold.reason, at: formatTime(hold.placed_at) }) }, text);
}
