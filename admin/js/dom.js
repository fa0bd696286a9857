// Building the page from data without ever parsing HTML: every text from the API goes
// in as a text node, so nothing an officer or a citizen typed can run as script (the
// CSP's require-trusted-types-for refuses HTML strings anyway).

import { age, errorMessage, formatTime, label, t } from "./i18n.js";

/** h("a", {class: "x", href: "#/", onclick: fn}, "text", child, [more]) */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...flatten(children));
  return element;
}

/** An SVG element (charts), built as h() builds HTML: every text a text node. */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  element.append(...flatten(children));
  return element;
}

function flatten(children) {
  return children.flat(Infinity).filter((child) => child !== null && child !== undefined
    && child !== false).map((child) => (child instanceof Node ? child : String(child)));
}

/** The designed states every list and page goes through: loading, empty, failed. */
export function loading(label = t("state.loading")) {
  return h("div", { class: "state state-loading", "aria-busy": "true", role: "status" },
    h("span", { class: "spinner", "aria-hidden": "true" }), label);
}

export function empty(title, hint) {
  return h("div", { class: "state state-empty", role: "status" },
    h("span", { class: "state-mark", "aria-hidden": "true" }),
    h("strong", {}, title), hint ? h("p", {}, hint) : null);
}

export function failure(error, retry) {
  return h("div", { class: "state state-error", role: "alert" },
    h("strong", {}, t("state.failed")), h("p", {}, errorMessage(error)),
    retry ? h("button", { type: "button", onclick: retry }, t("action.retry")) : null);
}

/** A line for messages about an action (errors and confirmations), read out by screen
 * readers when it changes. */
export function notice() {
  const line = h("p", { class: "notice", role: "status", "aria-live": "polite", tabindex: -1 });
  line.show = (text, kind = "ok") => {
    line.textContent = text;
    line.className = `notice notice-${kind}`;
  };
  line.error = (error) => line.show(errorMessage(error), "error");
  line.clear = () => line.show("", "ok");
  // After a redraw the officer's focus would fall to the page: it goes to what changed.
  line.announce = (text, kind = "ok") => {
    line.show(text, kind);
    line.focus();
  };
  return line;
}

/** Focus on the page's heading (after a navigation or a redraw of the whole page). */
export function focusHeading(root) {
  const heading = root.querySelector("h1");
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus();
}

/** Asks before a move that cannot be undone; resolves true when confirmed. The safe
 * choice (cancel) has the focus, so Enter pressed by habit changes nothing. */
export function confirmMove(text, confirmLabel = t("confirm.yes")) {
  let dialog = document.getElementById("confirm-dialog");
  if (!dialog) {
    dialog = h("dialog", { id: "confirm-dialog", class: "confirm-dialog",
      "aria-labelledby": "confirm-dialog-title" });
    document.body.append(dialog);
  }
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button", value: "cancel",
      onclick: () => dialog.close("cancel") }, t("action.cancel"));
    dialog.replaceChildren(h("h2", { id: "confirm-dialog-title" }, t("confirm.title")),
      h("p", {}, text), h("div", { class: "actions" }, cancel,
        h("button", { type: "button", class: "danger", value: "confirm",
          onclick: () => dialog.close("confirm") }, confirmLabel)));
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"),
      { once: true });
    dialog.showModal();
    cancel.focus();
  });
}

/** The number of characters as the API counts them (code points, not UTF-16 units). */
export function length(text) {
  return [...text].length;
}

/** A counter under a text field of at most `limit.max` characters: it warns from 90 %
 * on, and says by how much a pasted text is too long (nothing is cut). `problem()` is
 * the message that stops the form, or null. */
export function counter(control, limit, fieldName) {
  const line = h("span", { class: "counter", id: `${control.name}-counter` });
  control.setAttribute("aria-describedby", line.id);
  const update = () => {
    const count = length(control.value.trim());
    const values = { count, max: limit.max, left: limit.max - count, over: count - limit.max };
    const state = count > limit.max ? "over" : count >= limit.max * 0.9 ? "near" : "count";
    line.textContent = t(`counter.${state}`, values);
    line.className = `counter counter-${state}`;
    // Read out only once it matters, not at every keystroke.
    line.setAttribute("aria-live", state === "count" ? "off" : "polite");
    if (state === "over") control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
  };
  control.addEventListener("input", update);
  line.update = update;
  line.problem = () => {
    const count = length(control.value.trim());
    return count > limit.max
      ? t("text.too_long", { field: fieldName, max: limit.max, over: count - limit.max }) : null;
  };
  update();
  return line;
}

/** A <select> filter that applies a pick at once with the mouse, but by keyboard only on
 * Enter or on leaving it: arrowing through the choices does not reload the list at every
 * step. */
export function filterSelect(props, options, apply) {
  let byKeyboard = false;
  const pick = () => {
    byKeyboard = false;
    apply(select.value);
  };
  const select = h("select", { ...props,
    onkeydown: (event) => {
      byKeyboard = true;
      if (event.key === "Enter") {
        event.preventDefault();
        pick();
      }
    },
    onpointerdown: () => { byKeyboard = false; },
    onchange: () => { if (!byKeyboard) pick(); },
    onblur: () => { if (byKeyboard) pick(); } }, options);
  return select;
}

export function badge(kind, value) {
  return h("span", { class: `badge badge-${value}`, dataset: { value } }, label(kind, value));
}

/** "3 小时前" with the exact time on hover. */
export function when(iso) {
  if (!iso) return null;
  return h("time", { datetime: iso, title: formatTime(iso) }, age(iso));
}

/** Loads page after page: `fetchPage(cursor)` answers the API's {items, next_cursor}
 * and `showPage(page)` shows it. A failure is shown in `state` with a retry; the "load
 * more" button it answers is shown while there is more. */
export function pager(state, fetchPage, showPage) {
  const more = h("button", { type: "button", class: "more", hidden: true }, t("action.more"));
  let cursor = null;

  async function load() {
    try {
      const page = await fetchPage(cursor);
      showPage(page);
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      state.replaceChildren(failure(error, () => {
        state.replaceChildren(loading());
        load();
      }));
    }
  }
  more.addEventListener("click", () => busy(more, load));
  load();
  return more;
}

/** A list that loads page after page (pager); `items` is the element the rendered items
 * go into. Shows the loading, empty and failed states, and a "load more" button while
 * there is more. */
export function pagedList(items, fetchPage, renderItem, whenEmpty) {
  const state = h("div", {}, loading());
  const more = pager(state, fetchPage, (page) => {
    state.replaceChildren();
    items.append(...page.items.map(renderItem));
    if (!items.children.length) state.replaceChildren(whenEmpty());
  });
  return [items, state, more];
}

/** Runs `action` while `button` shows that it is busy; a second click does nothing. */
export async function busy(button, action) {
  if (button.disabled) return undefined;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** Where a form lists what stops it being sent, each problem a link to its field.
 * `show([[name, element, text]])` lists them (focused, so they are read out) and
 * answers whether there were none. */
export function problemList() {
  const problems = h("div", { class: "problems", role: "alert", tabindex: -1, hidden: true });
  problems.show = (found) => {
    problems.hidden = !found.length;
    problems.replaceChildren(h("p", {}, t("form.problems")), h("ul", {},
      found.map(([name, element, problem]) => h("li", { dataset: { field: name } },
        h("a", { href: `#${element.id}`, onclick: (event) => {
          event.preventDefault();
          element.focus();
        } }, problem)))));
    if (found.length) problems.focus();
    return !found.length;
  };
  return problems;
}

/** A labelled form field around `control`. */
export function field(label, control, hint) {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), control,
    hint ? h("span", { class: "field-hint" }, hint) : null);
}

/** The large (1280 px) view of an image in the page's one image dialog. */
export function showImage(url, caption) {
  const dialog = document.getElementById("image-dialog");
  dialog.replaceChildren(
    h("div", { class: "image-dialog-bar" }, h("span", {}, caption ?? ""),
      h("button", { type: "button", class: "quiet", onclick: () => dialog.close() },
        t("action.close"))),
    h("img", { src: url, alt: caption ?? "" }));
  dialog.showModal();
}
