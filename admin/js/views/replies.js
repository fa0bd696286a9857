// The unit's reply templates (GET /admin/replies): put into a note or a message with two
// clicks, "templates" and then the one wanted, in the language the site is shown in; and
// the admins' screen to change them (PUT /admin/replies).

import { api, currentUser } from "../api.js";
import { busy, confirmMove, counter, empty, field, h, length, notice, problemList,
  when } from "../dom.js";
import { ErrorCode, REPLY_LIMITS } from "../enums.js";
import { LANGUAGES, currentLanguage, errorMessage, label, t } from "../i18n.js";

let loaded = null;
// The editor's form as the admin left it for another page or the other language, until
// it is saved or the saved list is loaded instead: coming back shows it again with the
// version it was read at, so nothing typed is lost and its save still cannot overwrite
// a newer one. Only its own admin gets it back (a shared desk, signed out and in again).
let draft = null;

/** The templates, read once per page load (an admin changes them rarely, and a save on
 * this page replaces what was read). */
function templates() {
  loaded ??= api("GET", "/admin/replies").then((answer) => answer.replies).catch((error) => {
    loaded = null;
    throw error;
  });
  return loaded;
}

/** The text of a template in the site's language, else in the other. */
function inLanguage(texts) {
  return texts[currentLanguage()] ?? Object.values(texts)[0];
}

/** A disclosure listing the templates; choosing one puts its text into `textarea` where
 * the cursor is, and gives the focus back to the field. */
export function templatePicker(textarea) {
  const list = h("ul", { class: "template-list" });
  const picker = h("details", { class: "templates" },
    h("summary", {}, t("replies.insert")), list);
  picker.addEventListener("toggle", async () => {
    if (!picker.open || list.children.length) return;
    try {
      const replies = await templates();
      list.replaceChildren(...(replies.length ? replies.map((reply) => h("li", {},
        h("button", { type: "button", class: "link", dataset: { replyId: reply.id },
          onclick: () => {
            insert(textarea, inLanguage(reply.text));
            picker.open = false;
          } }, inLanguage(reply.title))))
        : [h("li", { class: "muted" }, t("replies.none"))]));
    } catch (error) {
      list.replaceChildren(h("li", { class: "notice-error" }, errorMessage(error)));
    }
  });
  return picker;
}

function insert(textarea, text) {
  const { selectionStart: start, selectionEnd: end, value } = textarea;
  textarea.value = `${value.slice(0, start)}${text}${value.slice(end)}`;
  textarea.focus();
  textarea.setSelectionRange(start + text.length, start + text.length);
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

/** After a save or a reload: the pickers show this list from now on, without reloading
 * the page. */
function remember(replies) {
  loaded = Promise.resolve(replies);
}

const ID = new RegExp(`^(?:${REPLY_LIMITS.id_pattern})$`);

/** An id for a new template made from its English title ("Ask for a photo" →
 * "ask-for-a-photo"), unlike every id in `taken`; "reply" when the title gives no
 * letter or digit of a–z, 0–9. */
function idFrom(title, taken) {
  const max = REPLY_LIMITS.id_characters;
  const cut = (text, room) => text.slice(0, room).replace(/-+$/, "");
  const base = cut(title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, ""), max) || "reply";
  let id = base;
  for (let number = 2; taken.has(id); number += 1) {
    id = `${cut(base, max - `-${number}`.length)}-${number}`;
  }
  return id;
}

/** The admins' screen for the templates: the list as the API holds it, edited here and
 * saved whole with the version it was read at, so a save never overwrites another
 * admin's meanwhile (409: the form keeps what was typed and offers their version). */
export async function editor() {
  const current = await api("GET", "/admin/replies");
  let version = current.version;
  const rows = [];
  let serial = 0;
  const list = h("ol", { class: "reply-rows" });
  const none = h("div", {});
  const count = h("p", { class: "muted reply-count", role: "status" });
  const lastSaved = h("p", { class: "muted" });
  const problems = problemList();
  const message = notice();
  const add = h("button", { type: "button", class: "reply-add", onclick: () => {
    const row = templateRow(null);
    rows.push(row);
    list.append(row.element);
    redraw();
    keepDraft();
    row.titles[LANGUAGES[0]].focus();
  } }, t("replies.add"));
  const save = h("button", { type: "submit", class: "primary" }, t("replies.save"));
  const reload = h("button", { type: "button", class: "reply-reload", hidden: true,
    onclick: () => busy(reload, async () => {
      if (!await confirmMove(t("replies.reload_confirm"), t("replies.reload"))) return;
      try {
        show(await api("GET", "/admin/replies"));
        message.announce(t("replies.reloaded"));
      } catch (error) {
        message.error(error);
        message.focus();
      }
    }) }, t("replies.reload"));

  /** `answer` (the API's list and version) becomes the form and what a save replaces. */
  function show(answer) {
    draft = null;
    version = answer.version;
    remember(answer.replies);
    fill(answer.replies.map((reply) => templateRow(reply)));
    reload.hidden = true;
    showLastSaved(answer);
  }

  /** The draft left on this page before, over the list saved now (`answer`). */
  function resume(answer) {
    version = draft.version;
    serial = Math.max(0, ...draft.rows.map((kept) => kept.key + 1));
    fill(draft.rows.map((kept) => templateRow(kept.reply, kept)));
    reload.hidden = false;
    showLastSaved(answer);
    message.show(t(answer.version === version ? "replies.draft_kept" : "replies.draft_stale"),
      answer.version === version ? "ok" : "error");
  }

  function fill(made) {
    rows.splice(0, rows.length, ...made);
    list.replaceChildren(...rows.map((row) => row.element));
    redraw();
  }

  function showLastSaved(answer) {
    lastSaved.replaceChildren(...(answer.updated_at
      ? [t("replies.last_saved"), " ", when(answer.updated_at)] : [t("replies.never_saved")]));
  }

  function keepDraft() {
    draft = { version, by: currentUser().id, rows: rows.map((row) => row.kept()) };
  }

  function redraw() {
    rows.forEach((row, index) => row.number(index + 1, rows.length));
    none.replaceChildren(rows.length ? "" : empty(t("replies.empty"), t("replies.empty_hint")));
    const full = rows.length >= REPLY_LIMITS.templates;
    count.textContent = t(full ? "replies.full" : "replies.count",
      { count: rows.length, max: REPLY_LIMITS.templates });
    add.disabled = full;
  }

  function move(row, by, button) {
    const index = rows.indexOf(row);
    rows.splice(index, 1);
    rows.splice(index + by, 0, row);
    list.replaceChildren(...rows.map((each) => each.element));
    redraw();
    // At the top or the bottom the button pressed is disabled: the focus stays on the row.
    (button.disabled ? row.otherMove(button) : button).focus();
    keepDraft();
  }

  function remove(row) {
    rows.splice(rows.indexOf(row), 1);
    row.element.remove();
    redraw();
    keepDraft();
    message.announce(t("replies.removed"));
  }

  /** One template's fields; `reply` null for a new one, whose id follows its English
   * title until the admin types an id of their own. A row back from the draft keeps its
   * key (its fields' names) and whether its id was chosen. */
  function templateRow(reply, { key = serial++, idChosen: chosen = Boolean(reply?.id) } = {}) {
    const legend = h("legend", {});
    const id = h("input", { type: "text", name: `reply-id-${key}`, id: `reply-id-${key}`,
      value: reply?.id ?? "", autocomplete: "off", spellcheck: false, autocapitalize: "off",
      class: "reply-id" });
    let idChosen = chosen;
    id.addEventListener("input", () => { idChosen = true; });
    const texts = {};
    const titles = {};
    const languageFields = LANGUAGES.map((language) => {
      const name = label("replies.language", language);
      titles[language] = h("input", { type: "text", name: `reply-title-${language}-${key}`,
        id: `reply-title-${language}-${key}`, lang: language, autocomplete: "off",
        value: reply?.title[language] ?? "" });
      texts[language] = h("textarea", { name: `reply-text-${language}-${key}`,
        id: `reply-text-${language}-${key}`, lang: language, rows: 3 });
      texts[language].value = reply?.text[language] ?? "";
      const titleCount = counter(titles[language], { max: REPLY_LIMITS.title_characters });
      const textCount = counter(texts[language], { max: REPLY_LIMITS.text_characters });
      return h("div", { class: "reply-language" },
        field(t("replies.title_field", { language: name }), titles[language], titleCount),
        field(t("replies.text_field", { language: name }), texts[language], textCount));
    });
    titles.en.addEventListener("input", () => {
      if (idChosen) return;
      id.value = idFrom(titles.en.value.trim(),
        new Set(rows.filter((other) => other.id !== id).map((other) => other.id.value.trim())));
    });
    const up = h("button", { type: "button", class: "quiet reply-up" }, t("replies.move_up"));
    const down = h("button", { type: "button", class: "quiet reply-down" },
      t("replies.move_down"));
    const drop = h("button", { type: "button", class: "quiet reply-remove" },
      t("replies.remove"));
    const element = h("li", { class: "reply-row" }, h("fieldset", {}, legend,
      field(t("replies.id"), id, t("replies.id_hint", { max: REPLY_LIMITS.id_characters })),
      h("div", { class: "reply-languages" }, languageFields),
      h("div", { class: "actions" }, up, down, drop)));
    const row = {
      element, id, titles, texts,
      label: "",
      number(number, of) {
        row.label = t("replies.number", { number });
        legend.textContent = row.label;
        up.setAttribute("aria-label", t("replies.move_up_of", { number }));
        down.setAttribute("aria-label", t("replies.move_down_of", { number }));
        drop.setAttribute("aria-label", t("replies.remove_of", { number }));
        up.disabled = number === 1;
        down.disabled = number === of;
      },
      otherMove: (button) => (button === up ? down : up),
      read: (tidy = (value) => value.trim()) => ({ id: tidy(id.value),
        title: Object.fromEntries(LANGUAGES.map((each) => [each, tidy(titles[each].value)])),
        text: Object.fromEntries(LANGUAGES.map((each) => [each, tidy(texts[each].value)])) }),
      kept: () => ({ key, idChosen, reply: row.read((value) => value) }),
    };
    up.addEventListener("click", () => move(row, -1, up));
    down.addEventListener("click", () => move(row, 1, down));
    drop.addEventListener("click", () => remove(row));
    return row;
  }

  /** Every field against the API's limits at once; false (the problems listed and
   * focused) when one fails. */
  function checked() {
    const seen = new Set();
    const found = rows.flatMap((row) => {
      const within = (name) => `${row.label} · ${name}`;
      const typed = row.id.value.trim();
      const idName = within(t("replies.id"));
      const idProblem = !typed ? t("form.required", { field: idName })
        : !ID.test(typed) ? t("replies.id_invalid", { field: idName,
          max: REPLY_LIMITS.id_characters })
          : seen.has(typed) ? t("replies.id_taken", { field: idName, id: typed }) : null;
      seen.add(typed);
      const checks = [[row.id, idProblem]];
      for (const language of LANGUAGES) {
        const name = label("replies.language", language);
        checks.push(
          [row.titles[language], textProblem(row.titles[language],
            within(t("replies.title_field", { language: name })), REPLY_LIMITS.title_characters)],
          [row.texts[language], textProblem(row.texts[language],
            within(t("replies.text_field", { language: name })), REPLY_LIMITS.text_characters)]);
      }
      return checks.flatMap(([control, problem]) => {
        if (problem) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
        return problem ? [[control.name, control, problem]] : [];
      });
    });
    return problems.show(found);
  }

  async function submit() {
    if (!checked()) return;
    try {
      show(await api("PUT", "/admin/replies",
        { body: { version, replies: rows.map((row) => row.read()) } }));
      message.announce(t("replies.saved", { count: rows.length }));
    } catch (error) {
      if (error.code === ErrorCode.EDIT_CONFLICT) {
        reload.hidden = false;
        message.announce(t("replies.conflict"), "error");
        return;
      }
      message.error(error);
      message.focus();
    }
  }

  if (draft && draft.by === currentUser().id) resume(current);
  else show(current);
  return h("section", { class: "reply-editor" },
    h("div", { class: "page-head" }, h("h1", {}, t("replies.title"))),
    h("p", { class: "lead" }, t("replies.lead")),
    h("form", { novalidate: true, oninput: keepDraft, onsubmit: (event) => {
      event.preventDefault();
      busy(save, submit);
    } }, lastSaved, list, none, h("div", { class: "actions" }, add), count, problems, message,
    h("div", { class: "actions" }, save, reload)));
}

function textProblem(control, name, max) {
  const typed = length(control.value.trim());
  if (!typed) return t("form.required", { field: name });
  return typed > max ? t("text.too_long", { field: name, max, over: typed - max }) : null;
}
