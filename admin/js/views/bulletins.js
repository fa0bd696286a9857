// Bulletins: the list by category, the form (each category has its own fields, described
// in bulletin-fields.json), one bulletin with its images, resolve, retract, and its clues.

import { api, publicApi, upload } from "../api.js";
import { badge, busy, confirmMove, counter, empty, field, filterSelect, h, length, notice,
  pagedList, problemList, showImage, when } from "../dom.js";
import { BulletinStatus, MediaStatus, TEXT_LIMITS } from "../enums.js";
import { errorMessage, formatDate, formatTime, label, t } from "../i18n.js";
import { reportList } from "./reports.js";

const PAGE_SIZE = 20;
const POLL_MS = 2000;
// Images are listed once the worker has made their derivatives, and a refused one is
// listed with its reason; an upload neither listed nor refused after this long was not
// processed at all.
const PROCESSING_FOR_MS = 120_000;

let schemaLoaded = null;
function schema() {
  schemaLoaded ??= fetch("bulletin-fields.json", { cache: "no-cache" }).then((response) => {
    if (!response.ok) throw new Error(`bulletin-fields.json: ${response.status}`);
    return response.json();
  }).catch((error) => {
    schemaLoaded = null;
    throw error;
  });
  return schemaLoaded;
}

export async function list(page) {
  const { categories, statuses } = await schema();
  const category = categories[page.params.get("category")] ? page.params.get("category") : "";
  const status = statuses.includes(page.params.get("status")) ? page.params.get("status")
    : statuses[0];
  const go = (changes) => {
    const params = new URLSearchParams({ category, status, ...changes });
    location.hash = `#/bulletins?${params}`;
  };
  const listing = pagedList(h("ol", { class: "cards bulletin-cards" }),
    (cursor) => api("GET", "/bulletins", { query: { category, status, limit: PAGE_SIZE,
      cursor, include_expired: "true" } }),
    bulletinCard,
    () => empty(t("bulletins.empty", { status: label("bulletin_status", status) }),
      t("bulletins.empty_hint")));

  return h("section", { class: "bulletins" },
    h("div", { class: "page-head" }, h("h1", {}, t("bulletins.title")),
      h("a", { class: "button primary", id: "new-bulletin",
        href: `#/bulletins/new?category=${category || Object.keys(categories)[0]}` },
      t("bulletins.new"))),
    h("div", { class: "filters" },
      field(t("bulletin.category"), filterSelect({ name: "category" }, [
        h("option", { value: "", selected: !category }, t("bulletins.all_categories")),
        Object.keys(categories).map((value) => h("option", { value,
          selected: value === category }, label("bulletin_category", value)))],
      (value) => { if (value !== category) go({ category: value }); })),
      h("div", { class: "segmented", role: "group", "aria-label": t("bulletin.status") },
        statuses.map((value) => h("button", { type: "button", dataset: { status: value },
          "aria-pressed": String(value === status), onclick: () => go({ status: value }) },
        label("bulletin_status", value))))),
    listing);
}

function bulletinCard(bulletin) {
  return h("li", { class: "card bulletin-card" },
    h("a", { href: `#/bulletins/${bulletin.id}`, dataset: { bulletinId: bulletin.id } },
      bulletin.thumb_url ? h("img", { class: "card-thumb", src: bulletin.thumb_url, alt: "" })
        : h("span", { class: "card-thumb card-thumb-none", "aria-hidden": "true" }),
      h("div", {},
        h("div", { class: "card-top" }, badge("bulletin_status", bulletin.status),
          h("strong", {}, bulletin.title),
          isExpired(bulletin) ? h("span", { class: "badge badge-expired" }, t("bulletin.expired"))
            : null),
        h("p", { class: "muted" }, label("bulletin_category", bulletin.category), " · ",
          bulletin.district, " · ", t("bulletin.published"), " ", when(bulletin.published_at)))));
}

function isExpired(bulletin) {
  return bulletin.expires_at && new Date(bulletin.expires_at) <= new Date();
}

export async function create(page) {
  const fields = await schema();
  const wanted = page.params.get("category");
  const category = fields.categories[wanted] ? wanted : Object.keys(fields.categories)[0];
  return bulletinForm(fields, category, null);
}

export async function edit(page, bulletinId) {
  const current = await api("GET", `/bulletins/${bulletinId}`);
  return bulletinForm(await schema(), current.category, current);
}

/** The form to publish a bulletin of `category`, or to edit `current`. Choosing another
 * category for a new bulletin swaps only the category's own fields, keeping the rest. */
function bulletinForm(fields, initialCategory, current) {
  let category = initialCategory;
  const controls = new Map();
  const message = notice();
  const images = h("input", { type: "file", name: "images", multiple: true,
    accept: fields.image_types.join(",") });
  // One key per form: a retried publish (a lost answer, a double click) finds the
  // bulletin its first attempt made instead of publishing it twice.
  const idempotencyKey = crypto.randomUUID();
  const submit = h("button", { type: "submit", class: "primary" },
    current ? t("bulletin.save") : t("bulletin.publish"));
  const inputs = (specs) => specs.map((each) => control(each, controls, current));
  const categoryFieldset = () => h("fieldset", {}, h("legend", {}, t("bulletin.category_fields",
    { category: label("bulletin_category", category) })), inputs(fields.categories[category]));
  let categoryFields = categoryFieldset();
  const alert = current && current.status !== BulletinStatus.PUBLISHED ? null
    : alertChoice(() => category, () => controls.get("district").read());

  const categoryPicker = h("select", { name: "category", disabled: Boolean(current),
    onchange: (event) => {
      fields.categories[category].forEach((each) => controls.delete(each.name));
      category = event.target.value;
      const next = categoryFieldset();
      categoryFields.replaceWith(next);
      categoryFields = next;
      form.dataset.category = category;
      alert?.refresh();
      history.replaceState(null, "", `#/bulletins/new?category=${category}`);
    } },
  Object.keys(fields.categories).map((value) => h("option", { value,
    selected: value === category }, label("bulletin_category", value))));

  const problems = problemList();
  const form = h("form", { class: "bulletin-form", novalidate: true, dataset: { category },
    onsubmit: (event) => {
      event.preventDefault();
      if (!checked()) return;
      busy(submit, () => (current ? saveEdit() : publish()));
    } },
  field(t("bulletin.category"), categoryPicker, current ? t("bulletin.category_fixed") : null),
  h("fieldset", {}, h("legend", {}, t("bulletin.common_fields")), inputs(fields.common)),
  categoryFields,
  alert?.fieldset,
  current ? null : h("fieldset", {}, h("legend", {}, t("bulletin.images")),
    field(t("bulletin.choose_images"), images, t("bulletin.images_hint"))),
  problems, message, h("div", { class: "actions" }, submit,
    h("a", { class: "button", href: current ? `#/bulletins/${current.id}` : "#/bulletins" },
      t("action.cancel"))));

  /** Every field checked against the API's rules at once; false (with the list of
   * problems shown and focused) when any fails. */
  function checked() {
    const inFormOrder = [...controls].sort(([, first], [, second]) =>
      (first.element.compareDocumentPosition(second.element)
        & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    const found = inFormOrder.flatMap(([name, { element, read, spec }]) => {
      const problem = fieldProblem(spec, read());
      if (problem) element.setAttribute("aria-invalid", "true");
      else element.removeAttribute("aria-invalid");
      return problem ? [[name, element, problem]] : [];
    });
    return problems.show(found);
  }

  function showError(error) {
    message.error(error);
    const name = error.field?.split(".")[0];
    if (controls.has(name)) {
      controls.get(name).element.setAttribute("aria-invalid", "true");
      controls.get(name).element.focus();
    }
  }

  async function publish() {
    const body = { category };
    for (const [name, { read }] of controls) {
      const value = read();
      if (value !== null) body[name] = value;
    }
    if (alert?.checked()) body.alert = true;
    let bulletin;
    try {
      bulletin = await api("POST", "/bulletins", { body,
        headers: { "Idempotency-Key": idempotencyKey } });
    } catch (error) {
      showError(error);
      return;
    }
    try {
      await uploadImages(bulletin.id, [...images.files], message);
    } catch {
      // Published; the officer can add the images again from the bulletin's page.
      sessionStorage.setItem("masses.notice", t("bulletin.published_without_images"));
    }
    location.hash = `#/bulletins/${bulletin.id}`;
  }

  async function saveEdit() {
    const changes = {};
    for (const [name, { read, initial }] of controls) {
      const value = read();
      if (JSON.stringify(value) !== JSON.stringify(initial)) changes[name] = value;
    }
    if (alert?.checked()) changes.alert = true;
    if (!Object.keys(changes).length) {
      message.show(t("bulletin.nothing_changed"), "error");
      return;
    }
    try {
      await api("PATCH", `/bulletins/${current.id}`, { body: changes });
      location.hash = `#/bulletins/${current.id}`;
    } catch (error) {
      showError(error);
    }
  }

  const district = controls.get("district").element;
  district.addEventListener("change", () => alert?.refresh());
  offerDistricts(district);
  alert?.refresh();
  return h("section", { class: "bulletin-editor" },
    h("a", { class: "back", href: "#/bulletins" }, t("bulletins.back")),
    h("h1", {}, current ? t("bulletin.edit_title") : t("bulletin.new_title")), form);
}

/** The stage's districts (GET /districts) as the suggestions of the district field: the
 * API takes no other name. Without the list the field still takes typing. */
function offerDistricts(input) {
  const options = h("datalist", { id: "district-options" });
  input.setAttribute("list", options.id);
  input.after(options);
  publicApi("/districts").then(({ districts }) => options.replaceChildren(
    ...districts.map((name) => h("option", { value: name }))), () => {});
}

/** "Send as alert": pushes the bulletin to the devices subscribed to its category and
 * district, with how many that is now (GET /admin/alerts/audience). */
function alertChoice(category, district) {
  const box = h("input", { type: "checkbox", name: "alert", id: "field-alert" });
  const reach = h("span", { class: "field-hint alert-reach", role: "status",
    "aria-live": "polite" });
  let asked = 0;
  async function refresh() {
    const where = district();
    const ask = ++asked;
    if (!where) {
      reach.textContent = t("bulletin.alert_needs_district");
      return;
    }
    try {
      const { devices } = await api("GET", `/admin/alerts/audience?${new URLSearchParams(
        { category: category(), district: where })}`);
      if (ask === asked) reach.textContent = t("bulletin.alert_reach", { count: devices });
    } catch (error) {
      if (ask === asked) reach.textContent = errorMessage(error);
    }
  }
  return {
    fieldset: h("fieldset", { class: "alert-choice" }, h("legend", {}, t("bulletin.alert_legend")),
      h("label", { class: "choice" }, box, t("bulletin.alert")), reach),
    checked: () => box.checked,
    refresh,
  };
}

/** The input for one field, registered in `controls` with how to read its value back in
 * the API's terms (null when empty) and the value it started with. */
function control(spec, controls, current) {
  const value = current?.[spec.name] ?? null;
  const common = { name: spec.name, required: spec.required, id: `field-${spec.name}` };
  let element;
  let read;
  switch (spec.type) {
    case "text":
      // No maxlength, here or on a line: the browser would cut a pasted text silently;
      // the form's check says how much is too long instead.
      element = h("textarea", { ...common, rows: 4 });
      element.value = value ?? "";
      read = () => element.value.trim() || null;
      break;
    case "int":
      element = h("input", { ...common, type: "number", step: 1, min: spec.min, max: spec.max });
      element.value = value ?? "";
      read = () => (element.value === "" ? null : Number(element.value));
      break;
    case "date":
      element = h("input", { ...common, type: "date" });
      element.value = value ?? "";
      read = () => element.value || null;
      break;
    case "datetime":
      element = h("input", { ...common, type: "datetime-local" });
      element.value = value ? localInputValue(value) : "";
      read = () => (element.value ? new Date(element.value).toISOString() : null);
      break;
    case "bool":
      element = h("input", { ...common, type: "checkbox", checked: Boolean(value) });
      read = () => element.checked;
      break;
    case "choice":
      element = h("select", common, h("option", { value: "" }, t("form.choose")),
        spec.options.map((option) => h("option", { value: option, selected: option === value },
          label(`option.${spec.name}`, option))));
      read = () => element.value || null;
      break;
    case "place":
      // "39.9219, 116.4436", as a map app copies it; what does not parse goes to the
      // API as typed, which answers naming the field.
      element = h("input", { ...common, type: "text", inputmode: "decimal",
        placeholder: "39.9219, 116.4436" });
      element.value = value ? `${value.latitude}, ${value.longitude}` : "";
      read = () => readPlace(element.value);
      break;
    case "list":
      element = h("textarea", { ...common, rows: 3 });
      element.value = (value ?? []).join("\n");
      read = () => element.value.split("\n").map((item) => item.trim()).filter(Boolean);
      break;
    default:
      element = h("input", { ...common, type: "text" });
      element.value = value ?? "";
      read = () => element.value.trim() || null;
  }
  element.addEventListener("input", () => element.removeAttribute("aria-invalid"));
  controls.set(spec.name, { element, read, spec, initial: read() });
  const hint = spec.type === "list" ? t("form.one_per_line")
    : spec.required ? null : t("form.optional");
  return spec.type === "bool"
    ? h("label", { class: "choice" }, element, label("field", spec.name))
    : field(label("field", spec.name), element, hint);
}

/** What is wrong with a field's value by the rules bulletin-fields.json gives, or null. */
function fieldProblem(spec, value) {
  const name = label("field", spec.name);
  if (value === null || (Array.isArray(value) && !value.length)) {
    return spec.required ? t("form.required", { field: name }) : null;
  }
  switch (spec.type) {
    case "line":
    case "text":
      return length(value) > spec.max
        ? t("text.too_long", { field: name, max: spec.max, over: length(value) - spec.max })
        : null;
    case "int":
      if (!Number.isInteger(value)) return t("form.whole_number", { field: name });
      return value < spec.min || value > spec.max
        ? t("form.range", { field: name, min: spec.min, max: spec.max }) : null;
    case "place":
      return typeof value === "string" ? t("form.place", { field: name }) : null;
    case "list":
      if (value.length > spec.max_items) return t("form.too_many_items", { field: name,
        max: spec.max_items });
      return value.some((item) => length(item) > spec.max)
        ? t("form.item_too_long", { field: name, max: spec.max }) : null;
    default:
      return null;
  }
}

function readPlace(text) {
  if (!text.trim()) return null;
  const match = text.trim().match(/^(-?\d+(?:\.\d+)?)\s*[,，]\s*(-?\d+(?:\.\d+)?)$/);
  return match ? { latitude: Number(match[1]), longitude: Number(match[2]) } : text.trim();
}

function localInputValue(iso) {
  const moment = new Date(iso);
  const local = new Date(moment.getTime() - moment.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** The bulletin's uploads as the worker left them (officers only): how a refused image
 * is known, with its reason. */
async function imageUploads(bulletinId) {
  return (await api("GET", `/bulletins/${bulletinId}/images`)).items;
}

const PENDING = (bulletinId) => `masses.pending-images.${bulletinId}`;

function pendingImages(bulletinId) {
  try {
    return JSON.parse(sessionStorage.getItem(PENDING(bulletinId))) ?? [];
  } catch {
    return [];
  }
}

/** Uploads each file with its own presigned POST; remembers them as pending until the
 * bulletin lists them. */
async function uploadImages(bulletinId, files, message) {
  for (const [index, file] of files.entries()) {
    message.show(t("bulletin.uploading", { index: index + 1, count: files.length,
      name: file.name }));
    try {
      const ticket = await api("POST", `/bulletins/${bulletinId}/images`,
        { body: { content_type: file.type || "application/octet-stream", size: file.size },
          headers: { "Idempotency-Key": crypto.randomUUID() } });
      await upload(ticket, file);
      const pending = pendingImages(bulletinId);
      pending.push({ media_id: ticket.media_id, name: file.name, at: Date.now() });
      sessionStorage.setItem(PENDING(bulletinId), JSON.stringify(pending));
    } catch (error) {
      message.error(error);
      throw error;
    }
  }
}

export async function bulletin(page, bulletinId) {
  const fields = await schema();
  let [data, uploads] = await Promise.all([api("GET", `/bulletins/${bulletinId}`),
    imageUploads(bulletinId)]);
  const message = notice();
  const carried = sessionStorage.getItem("masses.notice");
  if (carried) {
    message.show(carried, "error");
    sessionStorage.removeItem("masses.notice");
  }
  const head = h("div", { class: "bulletin-head" });
  const details = h("dl", { class: "facts" });
  const gallery = h("div", { class: "gallery" });
  const actions = h("div", { class: "bulletin-actions" });

  function draw() {
    head.replaceChildren(
      h("h1", {}, data.title, " ", badge("bulletin_status", data.status),
        isExpired(data) ? h("span", { class: "badge badge-expired" }, t("bulletin.expired"))
          : null),
      h("p", { class: "muted" }, label("bulletin_category", data.category), " · ", data.district,
        " · ", t("bulletin.published"), " ", when(data.published_at),
        data.closed_at ? [" · ", t("bulletin.closed"), " ", when(data.closed_at)] : null));
    const shown = [...fields.common, ...fields.categories[data.category]]
      .filter((spec) => spec.name !== "title");
    details.replaceChildren(...shown.flatMap((spec) => {
      const text = displayValue(spec, data[spec.name]);
      return text === null ? [] : [h("dt", {}, label("field", spec.name)),
        h("dd", { class: spec.type === "text" ? "prose" : null }, text)];
    }), ...closing(data));
    drawGallery();
    actions.replaceChildren(...(data.status === BulletinStatus.PUBLISHED ? [
      h("a", { class: "button", href: `#/bulletins/${data.id}/edit` }, t("bulletin.edit")),
      imageUploader(), resolveForm(), retractForm()] : []));
  }

  function drawGallery() {
    const listed = new Set(data.images.map((image) => image.media_id));
    const refused = new Map(uploads.filter((upload) => upload.status === MediaStatus.REJECTED)
      .map((upload) => [upload.media_id, upload]));
    const waiting = pendingImages(data.id).filter((item) => !listed.has(item.media_id)
      && !refused.has(item.media_id));
    const names = new Map(pendingImages(data.id).map((item) => [item.media_id, item.name]));
    sessionStorage.setItem(PENDING(data.id), JSON.stringify(waiting));
    const figures = [
      ...data.images.map((image) => h("figure", { class: "evidence evidence-ready",
        dataset: { mediaId: image.media_id } },
      h("button", { type: "button", class: "thumb", title: t("evidence.view_large"),
        onclick: () => showImage(image.large_url, data.title) },
      h("img", { src: image.thumb_url, alt: t("bulletin.image_alt", { title: data.title }) })),
      h("figcaption", {}, image.width ? `${image.width}×${image.height}` : ""))),
      ...waiting.map((item) => h("figure", { class: "evidence evidence-pending",
        dataset: { mediaId: item.media_id } },
      h("div", { class: "evidence-placeholder" }, Date.now() - item.at > PROCESSING_FOR_MS
        ? t("bulletin.image_not_processed") : t("evidence.pending")),
      h("figcaption", {}, item.name))),
      ...[...refused.values()].map((upload) => h("figure", { class: "evidence evidence-rejected",
        dataset: { mediaId: upload.media_id, status: upload.status } },
      h("div", { class: "evidence-placeholder" }, t("evidence.rejected",
        { reason: label("evidence.reject", upload.reject_reason) })),
      h("figcaption", {}, names.get(upload.media_id) ?? formatTime(upload.created_at))))];
    gallery.replaceChildren(...(figures.length ? figures
      : [empty(t("bulletin.no_images"), data.status === BulletinStatus.PUBLISHED
        ? t("bulletin.no_images_hint") : null)]));
    return waiting.some((item) => Date.now() - item.at <= PROCESSING_FOR_MS);
  }

  /** Images are listed once processed: redraw the gallery (only, so that what the
   * officer is typing in the forms stays) until no upload is waiting. */
  async function poll() {
    while (drawGallery()) {
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      if (!page.isCurrent()) return;
      try {
        [data, uploads] = await Promise.all([api("GET", `/bulletins/${data.id}`),
          imageUploads(data.id)]);
      } catch {
        return;   // the officer can reload; a failed poll is not worth an alarm
      }
    }
  }

  function imageUploader() {
    const input = h("input", { type: "file", multiple: true, accept: fields.image_types.join(","),
      name: "more-images" });
    const button = h("button", { type: "submit" }, t("bulletin.upload"));
    return h("form", { class: "panel", onsubmit: (event) => {
      event.preventDefault();
      if (!input.files.length) {
        message.show(t("bulletin.choose_images_first"), "error");
        return;
      }
      busy(button, async () => {
        try {
          await uploadImages(data.id, [...input.files], message);
          message.show(t("bulletin.uploaded"));
          input.value = "";
        } catch {
          // uploadImages has shown why
        }
        poll();
      });
    } }, h("h2", {}, t("bulletin.images")), field(t("bulletin.choose_images"), input,
      t("bulletin.images_hint")), h("div", { class: "actions" }, button));
  }

  /** A form that closes the bulletin for good: checked, then confirmed (`question()`
   * gives the question, or a problem to show instead when it gives `{problem}`). */
  function closeForm(kind, inputs, makeBody, question) {
    const button = h("button", { type: "submit", class: kind === "retract" ? "danger" : "primary" },
      t(`bulletin.${kind}`));
    return h("form", { class: `panel ${kind}-form`, novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      busy(button, async () => {
        const asked = question();
        if (asked.problem) {
          message.announce(asked.problem, "error");
          return;
        }
        if (!await confirmMove(asked.text, t(`bulletin.${kind}`))) return;
        try {
          data = await api("PATCH", `/bulletins/${data.id}`, { body: makeBody() });
          draw();
          message.announce(t(`bulletin.${kind}_done`));
        } catch (error) {
          message.error(error);
          message.focus();
        }
      });
    } }, h("h2", {}, t(`bulletin.${kind}_title`)), inputs, h("div", { class: "actions" }, button));
  }

  function resolveForm() {
    // No outcome is preset: the officer says how it ended.
    const outcome = h("select", { name: "outcome", required: true },
      h("option", { value: "", selected: true }, t("form.choose")),
      fields.outcomes.map((value) => h("option", { value }, label("outcome", value))));
    const note = h("textarea", { name: "resolve-note", rows: 2 });
    const count = counter(note, TEXT_LIMITS.resolve_note, t("bulletin.resolve_note"));
    return closeForm("resolve", [field(t("field.outcome"), outcome),
      field(t("bulletin.resolve_note"), note, [t("form.optional"), " · ", count])],
    () => ({ status: BulletinStatus.RESOLVED, outcome: outcome.value, ...(note.value.trim()
      ? { note: note.value.trim() } : {}) }),
    () => (!outcome.value ? { problem: t("form.required", { field: t("field.outcome") }) }
      : count.problem() ? { problem: count.problem() }
        : { text: t("confirm.resolve", { outcome: label("outcome", outcome.value) }) }));
  }

  function retractForm() {
    const reason = h("textarea", { name: "retract-reason", rows: 2, required: true });
    const count = counter(reason, TEXT_LIMITS.retract_reason, t("field.reason"));
    return closeForm("retract", [field(t("field.reason"), reason,
      [t("bulletin.retract_hint"), " · ", count])],
    () => ({ status: BulletinStatus.RETRACTED, reason: reason.value.trim() }),
    () => (!reason.value.trim() ? { problem: t("form.required", { field: t("field.reason") }) }
      : count.problem() ? { problem: count.problem() } : { text: t("confirm.retract") }));
  }

  const clues = reportList(
    (cursor) => api("GET", "/admin/reports", { query: { bulletin_id: bulletinId,
      limit: PAGE_SIZE, cursor } }),
    () => empty(t("bulletin.no_clues"), t("bulletin.no_clues_hint")));

  draw();
  poll();
  return h("section", { class: "bulletin" },
    h("a", { class: "back", href: `#/bulletins?category=${data.category}` },
      t("bulletins.back")),
    head, message,
    h("div", { class: "report-columns" },
      h("div", { class: "report-main" }, details, h("h2", {}, t("bulletin.images")), gallery,
        h("h2", {}, t("bulletin.clues")), clues),
      h("aside", { class: "report-side" }, actions)));
}

function displayValue(spec, value) {
  if (value === null || value === undefined || value === "") return null;
  if (Array.isArray(value)) return value.length ? value.join("、") : null;
  switch (spec.type) {
    case "datetime": return formatTime(value);
    case "date": return formatDate(value);
    case "place": return `${value.latitude}, ${value.longitude}`;
    case "bool": return value ? t("form.yes") : t("form.no");
    case "choice": return label(`option.${spec.name}`, value);
    default: return String(value);
  }
}

function closing(data) {
  const rows = [];
  if (data.outcome) rows.push([t("field.outcome"), label("outcome", data.outcome)]);
  if (data.note) rows.push([t("bulletin.resolve_note"), data.note]);
  if (data.reason) rows.push([t("field.reason"), data.reason]);
  if (data.updated_at) rows.push([t("bulletin.updated"), formatTime(data.updated_at)]);
  return rows.flatMap(([name, text]) => [h("dt", {}, name), h("dd", {}, text)]);
}
