// The public transparency report (no sign-in): the last 12 months as a table and a bar
// chart, drawn as inline SVG from DOM nodes (no library, nothing the CSP refuses). A
// count from 1 to 4 arrives as {count: null, fewer_than: 5} and is shown only so.

import { publicApi } from "../api.js";
import { h } from "../dom.js";
import { label, t } from "../i18n.js";

const MONTHS = 12;
// The rows after reports filed (per category), in the order the API documents them.
const ACTS = ["reports_actioned", "reports_dismissed", "identity_reveals", "original_downloads",
  "holds_placed", "holds_released", "reports_purged", "evidence_purged", "accounts_deleted",
  "bulletins_published", "alerts_published"];
const SVG = "http://www.w3.org/2000/svg";

export async function page(view) {
  const [report, policy] = await Promise.all([
    publicApi("/transparency", { months: MONTHS }), publicApi("/transparency/policy")]);
  const months = report.months;
  const categories = Object.keys(months[0].reports_filed);
  const row = (measure, name, counts) => h("tr", { dataset: { measure } },
    h("th", { scope: "row" }, name),
    ...counts.map((value) => h("td", { class: value.count === null ? "fewer" : null },
      shown(value))));
  const texts = policy.texts[document.documentElement.lang] ?? policy.texts.en;
  return h("section", { class: "transparency" },
    h("div", { class: "signin-top" }, h("h1", {}, t("transparency.title")),
      view.languageSwitch()),
    h("p", { class: "lead" }, t("transparency.lead")),
    h("figure", { class: "transparency-chart" }, chart(months),
      h("figcaption", {}, t("transparency.chart"))),
    h("div", { class: "table-scroll" }, h("table", { class: "transparency-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("transparency.measure")),
        ...months.map((month) => h("th", { scope: "col" }, month.month)))),
      h("tbody", {},
        h("tr", { class: "group" }, h("th", { scope: "rowgroup", colspan: months.length + 1 },
          t("transparency.reports_filed"))),
        ...categories.map((category) => row(`reports_filed.${category}`,
          label("report_category", category), months.map((month) => month.reports_filed[category]))),
        ...ACTS.map((act) => row(act, t(`transparency.${act}`),
          months.map((month) => month[act])))))),
    h("p", { class: "muted" }, t("transparency.fewer_note")),
    h("h2", {}, t("transparency.policy")),
    h("p", {}, texts.retention), h("p", {}, texts.identity), h("p", {}, texts.audit));
}

function shown(value) {
  return value.count === null ? t("transparency.fewer_than", { n: value.fewer_than })
    : String(value.count);
}

/** Reports filed per month: the categories counted exactly (those under 5 are left out,
 * so the bar is never more precise than the table). */
function chart(months) {
  const totals = months.map((month) => Object.values(month.reports_filed)
    .reduce((sum, value) => sum + (value.count ?? 0), 0));
  const width = 640;
  const height = 220;
  const top = 20;
  const bottom = 30;
  const step = width / months.length;
  const highest = Math.max(1, ...totals);
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": t("transparency.chart") });
  months.forEach((month, index) => {
    const barHeight = ((height - top - bottom) * totals[index]) / highest;
    const x = index * step + step * 0.15;
    const y = height - bottom - barHeight;
    svg.append(
      node("rect", { x, y, width: step * 0.7, height: barHeight, class: "bar" }),
      text(String(totals[index]), x + step * 0.35, y - 4, "bar-value"),
      text(month.month.slice(2), x + step * 0.35, height - bottom + 16, "bar-label"));
  });
  return svg;
}

function node(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

function text(content, x, y, className) {
  const element = node("text", { x, y, "text-anchor": "middle", class: className });
  element.textContent = content;
  return element;
}
