// How the unit is doing (GET /admin/stats): reports by status, category and district as
// bar charts drawn in inline SVG (no chart library, nothing from a CDN), how long
// reports waited, the oldest waiting, and the conversations awaiting an answer; and the
// period's reports as a CSV file for a spreadsheet (POST /admin/exports, a queued job).

import { api } from "../api.js";
import { busy, field, h, notice, svg, when } from "../dom.js";
import { ExportStatus, ReportCategory, ReportStatus } from "../enums.js";
import { label, t } from "../i18n.js";

const BAR_HEIGHT = 22;
// Narrow enough that a phone shrinks the chart's 12 px text only a little.
const CHART_WIDTH = 360;
const MAX_LABEL_WIDTH = 200;
const DISTRICTS_SHOWN = 10;
const EXPORT_POLL_MS = 2000;

export async function dashboard(page) {
  const from = page.params.get("from") ?? "";
  const to = page.params.get("to") ?? "";
  const stats = await api("GET", "/admin/stats", { query: { from, to } });
  const fromInput = h("input", { type: "date", name: "from", value: stats.from });
  const toInput = h("input", { type: "date", name: "to", value: stats.to });
  const apply = h("button", { type: "submit" }, t("dashboard.apply"));
  const districts = Object.entries(stats.by_district).sort(([, a], [, b]) => b - a)
    .slice(0, DISTRICTS_SHOWN)
    .map(([name, count]) => [name || t("dashboard.no_district"), count]);
  return h("section", { class: "dashboard" },
    h("div", { class: "page-head" }, h("h1", {}, t("dashboard.title"))),
    h("form", { class: "filters", onsubmit: (event) => {
      event.preventDefault();
      location.hash = `#/dashboard?${new URLSearchParams({ from: fromInput.value,
        to: toInput.value })}`;
    } }, field(t("dashboard.from"), fromInput), field(t("dashboard.to"), toInput),
    h("div", { class: "actions" }, apply)),
    exportPanel(page, stats.from, stats.to),
    h("div", { class: "tiles" },
      tile("filed", t("dashboard.filed"), String(stats.filed)),
      tile("median-review", t("dashboard.median_to_review"),
        duration(stats.to_in_review.median_seconds)),
      tile("p90-review", t("dashboard.p90_to_review"), duration(stats.to_in_review.p90_seconds)),
      tile("median-final", t("dashboard.median_to_final"),
        duration(stats.to_final.median_seconds)),
      tile("p90-final", t("dashboard.p90_to_final"), duration(stats.to_final.p90_seconds)),
      tile("awaiting", t("dashboard.awaiting_answer"), String(stats.awaiting_answer.count),
        stats.awaiting_answer.oldest_since
          ? [t("dashboard.since"), " ", when(stats.awaiting_answer.oldest_since)] : null),
      tile("oldest", t("dashboard.oldest_waiting"), stats.oldest_waiting
        ? duration(stats.oldest_waiting.waiting_seconds) : "—", stats.oldest_waiting
        ? h("a", { href: `#/reports/${stats.oldest_waiting.report_id}` },
          label("report_category", stats.oldest_waiting.category)) : null)),
    h("div", { class: "charts" },
      barChart("status", t("dashboard.by_status"), Object.values(ReportStatus).map((status) =>
        [label("report_status", status), stats.by_status[status] ?? 0])),
      barChart("category", t("dashboard.by_category"), Object.values(ReportCategory).map(
        (category) => [label("report_category", category), stats.by_category[category] ?? 0])),
      barChart("district", t("dashboard.by_district"), districts),
      barChart("wait", t("dashboard.review_histogram"), stats.to_in_review.buckets.map(
        (bucket) => [bucket.up_to_seconds === null ? t("dashboard.longer")
          : t("dashboard.up_to", { time: duration(bucket.up_to_seconds) }), bucket.count]))));
}

/** "Export as CSV" for the period shown: the job is queued, then polled until its file
 * is ready to download (the file lives 24 hours). */
function exportPanel(page, from, to) {
  const message = notice();
  const result = h("p", { class: "export-result" });
  const button = h("button", { type: "button", class: "export" }, t("export.start"));
  button.addEventListener("click", () => busy(button, async () => {
    result.replaceChildren();
    try {
      let job = await api("POST", "/admin/exports", { body: { from, to },
        headers: { "Idempotency-Key": crypto.randomUUID() } });
      message.announce(t("export.queued"));
      while ([ExportStatus.QUEUED, ExportStatus.RUNNING].includes(job.status)) {
        await new Promise((resolve) => { setTimeout(resolve, EXPORT_POLL_MS); });
        if (!page.isCurrent()) return;
        job = await api("GET", `/admin/exports/${job.export_id}`);
      }
      if (job.status !== ExportStatus.READY) {
        message.announce(t("export.failed"), "error");
        return;
      }
      message.announce(t("export.ready", { count: job.rows }));
      result.replaceChildren(h("a", { class: "button primary", href: job.url, rel: "noopener",
        download: "" }, t("export.download")), " ",
      h("span", { class: "muted" }, t("export.expires"), " ", when(job.expires_at)));
    } catch (error) {
      message.error(error);
      message.focus();
    }
  }));
  return h("div", { class: "panel export-panel" }, h("h2", {}, t("export.title")),
    h("p", { class: "field-hint" }, t("export.hint")), h("div", { class: "actions" }, button),
    message, result);
}

function tile(name, title, value, extra = null) {
  return h("div", { class: "tile", dataset: { tile: name } },
    h("span", { class: "tile-title" }, title), h("strong", { class: "tile-value" }, value),
    extra ? h("span", { class: "tile-extra muted" }, extra) : null);
}

/** A horizontal bar chart of [label, count] rows. The SVG is one image to a screen
 * reader, named by its title and described by a summary of its rows. */
function barChart(name, title, rows) {
  const id = `chart-${name}`;
  const largest = Math.max(1, ...rows.map(([, count]) => count));
  const labelWidth = Math.min(MAX_LABEL_WIDTH,
    Math.max(40, ...rows.map(([text]) => textWidth(text))) + 10);
  const barSpace = CHART_WIDTH - labelWidth - 40;
  const summary = rows.map(([text, count]) => `${text} ${count}`).join(t("dashboard.list_separator"));
  const chart = svg("svg", { viewBox: `0 0 ${CHART_WIDTH} ${Math.max(1, rows.length) * BAR_HEIGHT}`,
    role: "img", "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-summary`,
    class: "bar-chart", preserveAspectRatio: "xMinYMin meet" },
  rows.map(([text, count], index) => {
    const y = index * BAR_HEIGHT;
    const width = Math.round((count / largest) * barSpace);
    return svg("g", { class: "bar", "data-count": count },
      svg("text", { x: labelWidth - 8, y: y + BAR_HEIGHT * 0.68, "text-anchor": "end",
        class: "bar-label" }, text),
      svg("rect", { x: labelWidth, y: y + 3, width: Math.max(width, count ? 2 : 0),
        height: BAR_HEIGHT - 6, rx: 3, class: "bar-fill" }),
      svg("text", { x: labelWidth + width + 6, y: y + BAR_HEIGHT * 0.68, class: "bar-value" },
        String(count)));
  }));
  return h("figure", { class: "chart", dataset: { chart: name } },
    h("figcaption", { id: `${id}-title` }, title), chart,
    h("p", { id: `${id}-summary`, class: "visually-hidden" }, summary || t("dashboard.no_data")));
}

/** About how wide a label is at 12 px: a Chinese character is a full em, Latin about half. */
function textWidth(text) {
  return [...text].reduce((width, character) =>
    width + (character.codePointAt(0) >= 0x2e80 ? 12 : 6.6), 0);
}

/** Seconds as "3 h 20 min" / "3 小时 20 分钟"; "—" when there is no figure. */
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const minutes = Math.round(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (hours >= 48) return t("dashboard.days", { count: Math.round(hours / 24) });
  if (hours) {
    return minutes % 60 ? t("dashboard.hours", { hours, minutes: minutes % 60 })
      : t("dashboard.whole_hours", { count: hours });
  }
  return t("dashboard.minutes", { count: Math.max(minutes, seconds ? 1 : 0) });
}
