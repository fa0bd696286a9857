"""What the admin site's browser tests share: the whole local stack as `make dev` runs
it, the SMS sink's codes, citizens working through the API, and Chromium."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from local import config
from support.dev_stack import dev_environment, dev_ports
from support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Headless, offline, quiet: no sandbox (containers), no QUIC, no background updates.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BOOTSTRAP_ADMIN = "+8613800000000"  # MASSES_BOOTSTRAP_ADMIN of the local stage
UI_TIMEOUT_MS = 10_000
# The two screens the site is tried on: an officer's laptop and a phone.
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class Stack:
    """`python -m local.dev` on free ports."""

    api: str
    site: str
    sink: str
    process: subprocess.Popen
    emulator: str = ""
    push_sink: str = ""

    @classmethod
    def start(cls, log: Path) -> "Stack":
        ports = dev_ports()
        env = dev_environment(ports)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as output:
            process = subprocess.Popen([sys.executable, "-m", "local.dev"], cwd=ROOT, env=env,
                                       stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        url = f"http://{config.HOST}:{{}}".format
        stack = cls(url(ports["API_PORT"]), url(ports["ADMIN_PORT"]),
                    url(ports["SMS_SINK_PORT"]), process, url(ports["MOTO_PORT"]),
                    url(ports["PUSH_SINK_PORT"]))
        if not wait_until(stack.ready, timeout=90, interval=0.3):
            stack.stop()
            raise RuntimeError(f"the local stack did not start; see {log}")
        return stack

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"local.dev exited with {self.process.returncode}")
        try:
            return (requests.get(f"{self.api}/health", timeout=1).ok
                    and requests.get(f"{self.site}/config.js", timeout=1).ok)
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)   # local.dev stops its children
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    # --- the SMS sink ------------------------------------------------------------------

    def messages_to(self, phone: str) -> list[dict]:
        response = requests.get(
            f"{self.sink}/2010-04-01/Accounts/{config.TWILIO_ACCOUNT_SID}/Messages.json",
            params={"To": phone}, auth=(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN),
            timeout=5)
        response.raise_for_status()
        return response.json()["messages"]

    def new_code(self, phone: str, seen: set[str]) -> str:
        """The code in the first message to `phone` whose sid is not in `seen`."""
        def fresh():
            return [m for m in self.messages_to(phone) if m["sid"] not in seen]
        messages = wait_until(fresh, timeout=10)
        assert messages, f"no new SMS reached {phone}"
        return re.search(r"\b(\d{6})\b", messages[0]["body"]).group(1)

    def seen(self, phone: str) -> set[str]:
        return {message["sid"] for message in self.messages_to(phone)}

    # --- the push sink -----------------------------------------------------------------

    def pushes_to(self, token: str) -> list[dict]:
        response = requests.get(f"{self.push_sink}/pushes", params={"token": token}, timeout=5)
        response.raise_for_status()
        return response.json()["pushes"]

    # --- the API, as a citizen's app calls it -------------------------------------------

    def call(self, method: str, path: str, token: str | None = None, body=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, f"{self.api}{path}", headers=headers,
                                json=body, timeout=10)

    def sign_in(self, phone: str) -> dict:
        seen = self.seen(phone)
        assert self.call("POST", "/auth/otp", body={"phone": phone}).status_code == 202
        answer = self.call("POST", "/auth/verify",
                           body={"phone": phone, "code": self.new_code(phone, seen)})
        assert answer.status_code == 200, answer.text
        return answer.json()


def jpeg(width: int = 1600, height: int = 1200, colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class FiledReport:
    report_id: str
    description: str
    citizen_token: str
    citizen_phone: str


def file_report_with_photo(stack: Stack, citizen: dict, **fields) -> FiledReport:
    """A citizen files a theft report through the API and uploads a photo with the
    presigned POST, as the app does."""
    token = citizen["access_token"]
    description = f"Someone cut my bicycle lock outside the metro. Case {uuid.uuid4().hex[:8]}."
    body = {"category": "theft", "description": description,
            "location": {"latitude": 39.9219, "longitude": 116.4436, "accuracy_m": 12.5,
                         "address": "朝阳公园南门"},
            "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(), **fields}
    filed = stack.call("POST", "/reports", token, body)
    assert filed.status_code == 201, filed.text
    report_id = filed.json()["report_id"]
    photo = jpeg()
    ticket = stack.call("POST", f"/reports/{report_id}/evidence", token,
                        {"content_type": "image/jpeg", "size": len(photo)})
    assert ticket.status_code == 201, ticket.text
    upload = ticket.json()["upload"]
    posted = requests.post(upload["url"], data=upload["fields"],
                           files={"file": ("photo.jpg", photo, "image/jpeg")}, timeout=10)
    assert posted.status_code == 204, posted.text
    return FiledReport(report_id, description, token, citizen["user"]["phone"])


def session_storage(page) -> dict | None:
    stored = page.evaluate("() => sessionStorage.getItem('masses.session')")
    return json.loads(stored) if stored else None


class SiteTab:
    """A browser tab on the site for one phone number, and what went wrong in it that
    the site did not show: uncaught errors and CSP or CORS refusals fail the test."""

    def __init__(self, browser, stack: "Stack", phone: str, viewport: dict | None = None):
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                           locale="zh-CN", timezone_id="Asia/Shanghai")
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(UI_TIMEOUT_MS)
        self.stack, self.phone = stack, phone
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("console", self._console)

    def _console(self, message):
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text
                                        or "Trusted Type" in text or "CORS" in text):
            self.problems.append(text)

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.stack.site}/{route}")

    def sign_in(self, phone: str | None = None, within=None) -> None:
        """Phone, then the code the SMS sink received, as an officer types them."""
        phone = phone or self.phone
        form = within or self.page
        seen = self.stack.seen(phone)
        form.locator("input[name=phone]").fill(phone)
        form.get_by_role("button", name="获取验证码").click()
        form.locator("input[name=code]").fill(self.stack.new_code(phone, seen))
        form.get_by_role("button", name="登录", exact=True).click()

    def token(self) -> str:
        return session_storage(self.page)["access_token"]

    def check(self) -> None:
        problems, self.problems[:] = list(self.problems), []
        assert not problems, problems

    # --- what every page must be ---------------------------------------------------------

    def axe_violations(self) -> list[dict]:
        """axe-core's WCAG 2.x A/AA violations on the page as it is now. The site's CSP
        refuses an injected <script>, so axe's source is evaluated instead."""
        if not self.page.evaluate("() => 'axe' in window"):
            self.page.evaluate(AXE.read_text())
        return self.page.evaluate("""tags => axe.run(document,
            {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(result => result.violations.map(v => ({id: v.id, impact: v.impact,
              help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))""",
                                  WCAG_AA)

    def fits_the_screen(self) -> bool:
        return self.page.evaluate(
            "() => document.scrollingElement.scrollWidth <= window.innerWidth")

    def audit_page(self, name: str) -> None:
        """The page passes axe and fits the screen, at an officer's laptop's size and a
        phone's, with a screenshot of each in test-artifacts/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        original = self.page.viewport_size
        try:
            for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
                self.page.set_viewport_size(size)
                self.page.wait_for_timeout(150)        # the layout settles
                self.page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
                assert self.axe_violations() == [], (name, label)
                assert self.fits_the_screen(), (name, label, self.page.evaluate(
                    "() => document.scrollingElement.scrollWidth"))
        finally:
            self.page.set_viewport_size(original)

    def focused(self) -> dict:
        """The focused element: its tag, text and classes."""
        return self.page.evaluate("""() => { const e = document.activeElement;
            return {tag: e.tagName.toLowerCase(), text: e.textContent.trim(),
                    id: e.id, className: e.className}; }""")

    def tab_to(self, selector: str, limit: int = 80) -> None:
        """Presses Tab until the element matching `selector` has the focus."""
        for _ in range(limit):
            if self.page.evaluate("selector => document.activeElement?.matches(selector)",
                                  selector):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"{selector} never got the focus in {limit} presses of Tab")

    def outline_contrast(self) -> float:
        """The contrast ratio of the focused element's outline against what is behind it
        (the nearest ancestor with a background colour), by WCAG's formula."""
        colours = self.page.evaluate("""() => {
            const focused = document.activeElement;
            const style = getComputedStyle(focused);
            if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) < 2) return null;
            let behind = focused.parentElement;
            while (behind && ['rgba(0, 0, 0, 0)', 'transparent'].includes(
                getComputedStyle(behind).backgroundColor)) behind = behind.parentElement;
            const background = behind ? getComputedStyle(behind).backgroundColor
                : 'rgb(255, 255, 255)';
            return [style.outlineColor, background];
        }""")
        assert colours, "the focused element shows no outline of at least 2 px"
        return contrast(*(rgb(colour) for colour in colours))


def rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(part) for part in re.findall(r"\d+", css)[:3])


def contrast(first: tuple, second: tuple) -> float:
    def luminance(colour):
        channels = [value / 255 for value in colour]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def require_chromium() -> None:
    """At a browser test module's import: Debian's Chromium must be there (`make test`
    installs it). CI never skips the browser tests; elsewhere the module is skipped."""
    if CHROMIUM.exists():
        return
    message = (f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
               "(apt-get install chromium)")
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


def chromium():
    """A module fixture's body: headless Chromium until the module's tests end."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def signed_in_admin(browser, stack: "Stack"):
    """A module fixture's body: the stage's first admin, signed in through the site."""
    admin = SiteTab(browser, stack, BOOTSTRAP_ADMIN)
    admin.open()
    admin.sign_in()
    expect(admin.page.locator(".who-role")).to_have_text("管理员")
    yield admin
    admin.context.close()


def signed_in_officer(browser, stack: "Stack", phone: str):
    """A module fixture's body: an officer (already granted), signed in through the site."""
    officer = SiteTab(browser, stack, phone)
    officer.open()
    officer.sign_in()
    expect(officer.page.locator(".masthead")).to_be_visible()
    yield officer
    officer.context.close()


def site_fixtures(name: str) -> tuple:
    """A browser test module's fixtures, as `stack, browser, admin,
    nothing_went_wrong_unseen = site_fixtures(name)`: its own stack (logging to
    test-artifacts/<name>-stack.log), a Chromium, the stage's first admin signed in
    through the site, and, after every test, the check of the admin's and officer's
    tabs (page errors, refused requests) the test used."""
    @pytest.fixture(scope="module")
    def stack():
        running = Stack.start(ARTIFACTS / f"{name}-stack.log")
        yield running
        running.stop()

    @pytest.fixture(scope="module")
    def browser():
        yield from chromium()

    @pytest.fixture(scope="module")
    def admin(browser, stack):
        yield from signed_in_admin(browser, stack)

    @pytest.fixture(autouse=True)
    def nothing_went_wrong_unseen(request):
        yield
        for tab in ("admin", "officer"):
            if tab in request.fixturenames:
                request.getfixturevalue(tab).check()

    return stack, browser, admin, nothing_went_wrong_unseen
