// The unit's reply templates (GET /admin/replies): put into a note or a message with two
// clicks, "templates" and then the one wanted, in the language the site is shown in.

import { api } from "../api.js";
import { h } from "../dom.js";
import { currentLanguage, errorMessage, t } from "../i18n.js";

let loaded = null;

/** The templates, read once per page load (an admin changes them rarely). */
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
