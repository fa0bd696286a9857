// Sign-in: the mobile number, then the 6-digit code the API sends by SMS. Used as the
// whole page when nobody is signed in, and in a dialog over the officer's work when
// the session ends (main.js).

import { requestCode, signIn } from "../api.js";
import { busy, field, h, notice } from "../dom.js";
import { currentLanguage, errorMessage, t } from "../i18n.js";

const RESEND_SECONDS = 60;

/** The form; `onSignedIn(user)` runs once an officer or admin is signed in. */
export function signInForm({ onSignedIn, message = "" }) {
  const phone = h("input", { type: "tel", name: "phone", autocomplete: "tel", required: true,
    maxlength: 32, placeholder: t("signin.phone_placeholder"), inputmode: "tel" });
  const code = h("input", { type: "text", name: "code", autocomplete: "one-time-code",
    inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6, required: true,
    placeholder: "123456" });
  const status = notice();
  if (message) status.show(message, "error");
  const send = h("button", { type: "submit", class: "primary" }, t("signin.send_code"));
  const resend = h("button", { type: "button", class: "quiet" }, t("signin.resend"));
  const enter = h("button", { type: "submit", class: "primary" }, t("signin.submit"));
  const change = h("button", { type: "button", class: "quiet" }, t("signin.change_number"));
  const codeStep = h("div", { class: "signin-code", hidden: true },
    field(t("signin.code"), code, t("signin.code_hint")), h("div", { class: "actions" }, enter,
      resend, change));
  let countdown = null;

  function waitToResend(seconds) {
    clearInterval(countdown);
    let left = seconds;
    resend.disabled = true;
    resend.textContent = t("signin.resend_in", { seconds: left });
    countdown = setInterval(() => {
      left -= 1;
      if (left > 0) {
        resend.textContent = t("signin.resend_in", { seconds: left });
        return;
      }
      clearInterval(countdown);
      resend.disabled = false;
      resend.textContent = t("signin.resend");
    }, 1000);
  }

  async function sendCode(button) {
    await busy(button, async () => {
      try {
        await requestCode(phone.value, currentLanguage());
        status.show(t("signin.code_sent"));
        phone.readOnly = true;
        send.hidden = true;
        codeStep.hidden = false;
        code.focus();
        waitToResend(RESEND_SECONDS);
      } catch (error) {
        status.show(errorMessage(error), "error");
        if (error.retryAfter && !codeStep.hidden) waitToResend(error.retryAfter);
      }
    });
  }

  const form = h("form", { class: "signin-form", novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    if (codeStep.hidden) {
      sendCode(send);
      return;
    }
    busy(enter, async () => {
      try {
        const user = await signIn(phone.value, code.value.trim());
        clearInterval(countdown);
        onSignedIn(user);
      } catch (error) {
        status.show(errorMessage(error), "error");
        code.select();
      }
    });
  } }, field(t("signin.phone"), phone), h("div", { class: "actions" }, send), codeStep, status);

  resend.addEventListener("click", () => sendCode(resend));
  change.addEventListener("click", () => {
    clearInterval(countdown);
    phone.readOnly = false;
    send.hidden = false;
    codeStep.hidden = true;
    code.value = "";
    status.clear();
    phone.focus();
  });
  return form;
}
