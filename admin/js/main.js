// The site's shell: language, sign-in, the header, and a hash router (the site is static
// files on S3, so every page is index.html and the route lives after the #).

import { currentUser, onSessionEnded, resumeSession, signOut } from "./api.js";
import { empty, failure, focusHeading, h, loading } from "./dom.js";
import { LANGUAGES, currentLanguage, errorMessage, loadLanguage, t } from "./i18n.js";
import * as admin from "./views/admin.js";
import * as bulletins from "./views/bulletins.js";
import * as conversations from "./views/conversations.js";
import { dashboard } from "./views/dashboard.js";
import * as replies from "./views/replies.js";
import * as reports from "./views/reports.js";
import * as transparency from "./views/transparency.js";
import { signInForm } from "./views/signin.js";
import { ID_PATTERN, Role } from "./enums.js";

const ID = `(${ID_PATTERN})`;
const ROUTES = [
  { path: "/reports", view: reports.queue, section: "reports" },
  { path: `/reports/${ID}`, view: reports.report, section: "reports" },
  { path: "/inbox", view: conversations.inbox, section: "inbox" },
  { path: "/dashboard", view: dashboard, section: "dashboard" },
  { path: `/reports/${ID}/custody`, view: reports.custody, section: "reports" },
  { path: "/bulletins", view: bulletins.list, section: "bulletins" },
  { path: "/bulletins/new", view: bulletins.create, section: "bulletins" },
  { path: `/bulletins/${ID}`, view: bulletins.bulletin, section: "bulletins" },
  { path: `/bulletins/${ID}/edit`, view: bulletins.edit, section: "bulletins" },
  { path: "/officers", view: admin.officers, section: "officers", role: Role.ADMIN },
  { path: "/audit", view: admin.audit, section: "audit", role: Role.ADMIN },
  { path: "/replies", view: replies.editor, section: "replies", role: Role.ADMIN },
  // Public: shown with or without a session.
  { path: "/transparency", view: transparency.page, section: "transparency", public: true },
].map((route) => ({ ...route, pattern: new RegExp(`^${route.path}$`) }));
const SECTIONS = [["reports"], ["inbox"], ["bulletins"], ["dashboard"], ["officers", Role.ADMIN],
  ["audit", Role.ADMIN], ["replies", Role.ADMIN]];

const main = document.getElementById("main");
const masthead = document.querySelector(".masthead");
let rendering = 0;
let workShown = false;
let signInMessage = "";

function currentRoute() {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  return { path: path || "/reports", params: new URLSearchParams(query) };
}

function renderShell(user) {
  masthead.hidden = !user;
  const brand = masthead.querySelector(".brand");
  brand.textContent = t("app.name");
  if (!user) return;
  const section = ROUTES.find((route) => route.pattern.test(currentRoute().path))?.section;
  masthead.querySelector(".nav").replaceChildren(...SECTIONS
    .filter(([, role]) => !role || user.role === role)
    .map(([name]) => h("a", { href: `#/${name}`, "aria-current": name === section ? "page" : null },
      t(`nav.${name}`))));
  masthead.querySelector(".who").replaceChildren(
    h("span", { class: "who-phone" }, user.phone), h("span", { class: "who-role" },
      t(`role.${user.role}`)),
    languageSwitch(),
    h("button", { type: "button", class: "quiet", id: "logout", onclick: async () => {
      await signOut();
      signInMessage = t("signin.signed_out");
      render();
    } }, t("action.logout")));
}

function languageSwitch() {
  const other = LANGUAGES.find((language) => language !== currentLanguage());
  return h("button", { type: "button", class: "quiet language", lang: other,
    onclick: async () => {
      const typed = formValues();
      await loadLanguage(other);
      await render();
      restoreFormValues(typed);
      document.querySelector("button.language")?.focus();
    } }, t("language.switch"));
}

/** What the officer has typed or chosen in the page's forms, by field name, so that a
 * page redrawn in the other language gets it back. */
function formValues() {
  return [...main.querySelectorAll("input[name], textarea[name], select[name]")]
    .filter((control) => !["file", "hidden"].includes(control.type))
    .map((control) => ({ name: control.name, value: control.value,
      checked: control.checked, type: control.type }));
}

function restoreFormValues(values) {
  const seen = new Map();
  for (const { name, value, checked, type } of values) {
    const index = seen.get(name) ?? 0;
    seen.set(name, index + 1);
    const control = type === "radio"
      ? main.querySelector(`[name="${CSS.escape(name)}"][value="${CSS.escape(value)}"]`)
      : main.querySelectorAll(`[name="${CSS.escape(name)}"]`)[index];
    if (!control) continue;
    if (type === "radio" || type === "checkbox") control.checked = checked;
    else control.value = value;
    control.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

/** Renders the current route (or the sign-in page); a newer render wins. */
async function render() {
  const token = ++rendering;
  const user = currentUser();
  renderShell(user);
  const { path, params } = currentRoute();
  const route = ROUTES.find((candidate) => candidate.pattern.test(path));
  if (!user && !route?.public) {
    workShown = false;
    main.replaceChildren(h("section", { class: "signin-page" },
      h("div", { class: "signin-top" }, h("h1", {}, t("signin.title")), languageSwitch()),
      h("p", { class: "lead" }, t("signin.lead")),
      signInForm({ message: signInMessage, onSignedIn: () => {
        signInMessage = "";
        render();
      } }),
      h("p", {}, h("a", { href: "#/transparency" }, t("transparency.link")))));
    main.querySelector("input")?.focus();
    return;
  }
  workShown = Boolean(user);
  if (!route) {
    location.replace("#/reports");
    return;
  }
  if (route.role && user.role !== route.role) {
    main.replaceChildren(empty(t("state.admin_only"), t("state.admin_only_hint")));
    return;
  }
  const page = { params, isCurrent: () => token === rendering, refresh: render, languageSwitch };
  main.replaceChildren(loading());
  try {
    const view = await route.view(page, ...path.match(route.pattern).slice(1));
    if (page.isCurrent()) {
      main.replaceChildren(view);
      focusHeading(main);
    }
  } catch (error) {
    if (page.isCurrent()) {
      main.replaceChildren(failure(error, render));
      main.querySelector(".state-error").tabIndex = -1;
      main.querySelector(".state-error").focus();
    }
  }
}

/** The session ended while the officer worked: sign in again over the page, so what
 * they typed stays where it is. */
function askToSignInAgain(reason) {
  const dialog = document.getElementById("signin-dialog");
  if (!workShown || dialog.open) return;
  const message = reason === "not_staff" ? errorMessage({ code: "not_staff" })
    : t("signin.again_hint");
  dialog.replaceChildren(
    h("h2", { id: "signin-dialog-title" }, t("signin.again_title")),
    signInForm({ message, onSignedIn: (user) => {
      dialog.close();
      renderShell(user);
    } }));
  dialog.showModal();
  dialog.querySelector("input")?.focus();
}

async function start() {
  await loadLanguage();
  onSessionEnded(askToSignInAgain);
  window.addEventListener("hashchange", render);
  if (currentUser()) {
    main.replaceChildren(loading());
    try {
      await resumeSession();
    } catch (error) {
      if (error.status === 0 || error.status >= 500) {
        main.replaceChildren(failure(error, () => location.reload()));
        return;
      }
      signInMessage = errorMessage(error);
    }
  }
  render();
}

start().catch((error) => {
  main.replaceChildren(h("p", { class: "state state-error", role: "alert" }, String(error)));
});
