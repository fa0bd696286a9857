// Possible duplicates of a report: the reports near it in place and time, each beside
// this one with their photos side by side, a one-click link either way, and the reports
// already linked (chalicelib/reports/nearby.py and linking.py).

import { api } from "../api.js";
import { badge, busy, empty, failure, h, loading, showImage } from "../dom.js";
import { MediaStatus } from "../enums.js";
import { formatTime, label, t } from "../i18n.js";

/** The panel for one report. `onChanged(report)` gets the report after a link or an
 * unlink of this one, so the page redraws its status. */
export function duplicatesPanel(report, message, onChanged) {
  const panel = h("section", { class: "duplicates", "aria-labelledby": "duplicates-title" });
  const draw = async (current) => {
    report = current;
    panel.replaceChildren(h("h2", { id: "duplicates-title" }, t("duplicates.title")),
      linkedBox(), loading());
    try {
      const nearby = await api("GET", `/admin/reports/${report.report_id}/nearby`);
      panel.lastChild.replaceWith(nearbyList(nearby));
    } catch (error) {
      panel.lastChild.replaceWith(failure(error, () => draw(report)));
    }
  };

  async function act(button, method, path, body, done) {
    await busy(button, async () => {
      try {
        await api(method, path, body ? { body } : {});
        message.show(t(done));
        const fresh = await api("GET", `/admin/reports/${report.report_id}`);
        onChanged(fresh);
        await draw(fresh);
      } catch (error) {
        message.error(error);
      }
    });
  }

  const linkTo = (button, duplicateId, primaryId) => act(button, "POST",
    `/admin/reports/${duplicateId}/duplicate-of`, { report_id: primaryId }, "duplicates.linked");
  const unlink = (button, duplicateId) => act(button, "DELETE",
    `/admin/reports/${duplicateId}/duplicate-of`, null, "duplicates.unlinked");

  function linkedBox() {
    if (report.duplicate_of) {
      return h("div", { class: "linked-box", dataset: { primary: report.duplicate_of } },
        h("p", {}, t("duplicates.is_duplicate"), " ",
          h("a", { href: `#/reports/${report.duplicate_of}` }, t("duplicates.open_primary"))),
        h("button", { type: "button", class: "unlink", onclick: (event) =>
          unlink(event.target, report.report_id) }, t("duplicates.unlink")));
    }
    const linked = report.duplicates ?? [];
    return h("div", { class: "linked-box" },
      h("h3", {}, t("duplicates.linked_title", { count: linked.length })),
      linked.length ? h("ul", { class: "linked-list" }, linked.map((duplicateId) =>
        h("li", { dataset: { reportId: duplicateId } },
          h("a", { href: `#/reports/${duplicateId}` }, duplicateId.slice(0, 8)),
          h("button", { type: "button", class: "link unlink", onclick: (event) =>
            unlink(event.target, duplicateId) }, t("duplicates.unlink")))))
        : h("p", { class: "muted" }, t("duplicates.none_linked")));
  }

  function nearbyList(nearby) {
    const samePhoto = nearby.same_photo.length ? h("p", { class: "same-photo" },
      t("duplicates.same_photo"), " ", nearby.same_photo.map((reportId, index) =>
        [index ? ", " : "", h("a", { href: `#/reports/${reportId}` }, reportId.slice(0, 8))]))
      : null;
    if (!nearby.located) return h("div", {}, samePhoto, empty(t("duplicates.not_located")));
    if (!nearby.items.length) {
      return h("div", {}, samePhoto, empty(t("duplicates.none_nearby",
        { radius: nearby.radius_m, days: nearby.days })));
    }
    return h("div", {}, samePhoto,
      h("p", { class: "muted" }, t("duplicates.within", { radius: nearby.radius_m,
        days: nearby.days })),
      h("ol", { class: "nearby-list" }, nearby.items.map(nearbyItem)));
  }

  function nearbyItem(item) {
    const linkedHere = item.duplicate_of === report.report_id;
    const canLink = !report.duplicate_of && !item.duplicate_of && !linkedHere;
    return h("li", { class: "nearby-item", dataset: { reportId: item.report_id } },
      h("div", { class: "card-top" }, badge("report_status", item.status),
        h("a", { class: "alias", href: `#/reports/${item.report_id}` }, item.alias),
        h("span", { class: item.same_category ? "" : "muted" },
          label("report_category", item.category)),
        similarityBadge(item)),
      h("p", { class: "muted nearby-facts" },
        t("duplicates.distance", { metres: item.distance_m }), " · ", apart(item.seconds_apart),
        " · ", formatTime(item.occurred_at)),
      h("p", { class: "excerpt" }, item.description.length > 160
        ? `${item.description.slice(0, 160)}…` : item.description),
      h("div", { class: "side-by-side" },
        photoColumn(t("duplicates.this_report"), thumbs(report), report.alias),
        photoColumn(t("duplicates.that_report"), item.thumb_urls, item.alias)),
      h("div", { class: "actions" },
        linkedHere ? h("span", { class: "badge" }, t("duplicates.linked_here")) : null,
        item.duplicate_of && !linkedHere
          ? h("span", { class: "muted" }, t("duplicates.linked_elsewhere")) : null,
        canLink && !(report.duplicates ?? []).length ? h("button", { type: "button",
          class: "link-this", onclick: (event) => linkTo(event.target, report.report_id,
            item.report_id) }, t("duplicates.link_this")) : null,
        canLink ? h("button", { type: "button", class: "primary link-that",
          onclick: (event) => linkTo(event.target, item.report_id, report.report_id) },
        t("duplicates.link_that")) : null));
  }

  draw(report);
  return { element: panel, redraw: draw };
}

function thumbs(report) {
  return report.evidence.filter((item) => item.status === MediaStatus.READY && item.thumb_url)
    .map((item) => item.thumb_url);
}

function photoColumn(title, urls, caption) {
  return h("figure", { class: "photo-column" }, h("figcaption", { class: "muted" }, title),
    urls.length ? urls.map((url) => h("button", { type: "button", class: "thumb",
      onclick: () => showImage(url, caption) }, h("img", { src: url, alt: caption })))
      : h("span", { class: "muted" }, t("duplicates.no_photos")));
}

function similarityBadge(item) {
  if (item.identical_photo) return h("span", { class: "badge badge-identical" },
    t("duplicates.identical_photo"));
  if (item.similar_photo) return h("span", { class: "badge badge-similar" },
    t("duplicates.similar_photo", { percent: Math.round(item.similarity * 100) }));
  return null;
}

function apart(seconds) {
  const minutes = Math.round(Math.abs(seconds) / 60);
  const amount = minutes < 120 ? t("duplicates.minutes", { count: minutes })
    : t("duplicates.hours", { count: Math.round(minutes / 60) });
  return t(seconds < 0 ? "duplicates.earlier" : "duplicates.later", { amount });
}
