"""The admin site through a whole shift, in headless Chromium against the local stack:
no WCAG A/AA violation (axe-core) and no page wider than the screen at 1366×768 and
390×844, focus that follows what changed, the keyboard alone, and no irreversible
slip; then issue 17's screens: the all-categories queue, taking a report, reply
templates, the officers list, the dashboard and its CSV export. Screenshots land in
test-artifacts/screenshots/."""

import json
import re
import uuid

import pytest
import requests
from support.admin_site import (
    BOOTSTRAP_ADMIN,
    DESKTOP,
    PHONE,
    ROOT,
    SCREENSHOTS,
    SiteTab,
    file_report_with_photo,
    require_chromium,
    signed_in_officer,
    site_fixtures,
)
from support.auth import new_phone
from support.bulletins import unique_district

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.stack]

EVIDENCE_TIMEOUT_MS = 30_000
# What sticks out past the right edge of the screen, for a failure's message.
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
    .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
    .slice(0, 8)"""


stack, browser, admin, nothing_went_wrong_unseen = site_fixtures("admin-site-shift")


@pytest.fixture(scope="module")
def officer_phones(admin, stack):
    """Numbers made officers through the API (the Officers page has its own test)."""
    phones = [new_phone() for _ in range(3)]
    for phone in phones:
        granted = stack.call("PUT", f"/admin/officers/{phone}", admin.token())
        assert granted.status_code == 200, granted.text
    return phones


@pytest.fixture(scope="module")
def officer(browser, stack, officer_phones):
    yield from signed_in_officer(browser, stack, officer_phones[0])


@pytest.fixture
def citizen(stack):
    """A citizen of each test's own: a citizen files at most 10 reports an hour."""
    return stack.sign_in(new_phone())


@pytest.fixture
def report(stack, citizen):
    return file_report_with_photo(stack, citizen)


def test_every_page_passes_axe_and_fits_a_phone(browser, stack, admin, report):
    visitor = SiteTab(browser, stack, new_phone())
    try:
        visitor.open()
        expect(visitor.page.locator("input[name=phone]")).to_be_focused()
        visitor.audit_page("signin")
        visitor.check()
    finally:
        visitor.context.close()
    page = admin.page
    admin.open("#/reports?category=theft&status=submitted")
    expect(page.locator(f"[data-report-id='{report.report_id}']")).to_be_visible()
    admin.audit_page("queue")
    admin.open(f"#/reports/{report.report_id}")
    expect(page.locator("figure[data-status=ready] img")).to_be_visible(
        timeout=EVIDENCE_TIMEOUT_MS)
    admin.audit_page("report")
    admin.open("#/bulletins/new?category=missing_person")
    expect(page.locator("form.bulletin-form")).to_be_visible()
    admin.audit_page("bulletin-form")
    admin.open("#/officers")
    expect(page.locator("input[name=officer-phone]")).to_be_visible()
    admin.audit_page("officers")
    admin.open("#/audit")
    expect(page.locator("tbody tr").first).to_be_visible()
    admin.audit_page("audit")


def note_limit() -> int:
    return json.loads((ROOT / "admin" / "enums.json").read_text())["TEXT_LIMITS"]["note"]["max"]


def status_of(stack, report) -> str:
    return stack.call("GET", f"/reports/{report.report_id}", report.citizen_token).json()["status"]


def test_a_second_click_never_closes_a_report_and_closing_is_confirmed(officer, report, stack):
    page = officer.page
    officer.open(f"#/reports/{report.report_id}")
    start = page.locator("button[data-move-to=in_review]")
    box = start.bounding_box()
    start.click()
    expect(page.locator("h1 .badge")).to_have_text("核查中")
    expect(page.locator("section.report > .notice")).to_be_focused()
    page.wait_for_timeout(700)
    # The officer clicks again where "start review" was: nothing final is there.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    for status in ("actioned", "dismissed"):
        final = page.locator(f"button[data-move-to={status}]").bounding_box()
        assert final["y"] >= box["y"] + box["height"], status
    assert status_of(stack, report) == "in_review"

    # Closing asks first; Enter by habit lands on "cancel".
    page.locator("button[data-move-to=actioned]").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("不可撤销")
    expect(dialog.get_by_role("button", name="取消")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert status_of(stack, report) == "in_review"
    page.screenshot(path=SCREENSHOTS / "report-in-review.png", full_page=True)

    page.locator("button[data-move-to=actioned]").click()
    dialog.get_by_role("button", name="已处置").click()
    expect(page.locator("h1 .badge")).to_have_text("已处置")
    expect(page.locator("button[data-move-to]")).to_have_count(0)
    assert status_of(stack, report) == "actioned"


def test_notes_go_back_to_internal_count_their_characters_and_are_never_cut(officer, report,
                                                                           stack):
    page = officer.page
    limit = note_limit()
    officer.open(f"#/reports/{report.report_id}")
    note = page.locator("textarea[name=note]")
    counter = page.locator("#note-counter")
    expect(counter).to_have_text(f"已输入 0 / {limit} 字")

    for_reporter = f"我们已收到您的举报。({uuid.uuid4().hex[:6]})"
    note.fill(for_reporter)
    page.locator("input[name=visibility][value=reporter]").check()
    page.get_by_role("button", name="添加备注").click()
    expect(page.locator(".note-reporter").last).to_contain_text(for_reporter)
    expect(page.locator("section.report > .notice")).to_be_focused()
    expect(page.locator("input[name=visibility][value=internal]")).to_be_checked()
    expect(counter).to_have_text(f"已输入 0 / {limit} 字")

    near = "近" * (limit - 10)
    note.fill(near)
    expect(counter).to_have_text(f"已输入 {limit - 10} / {limit} 字，还剩 10 字")
    expect(counter).to_have_class(re.compile("counter-near"))

    pasted = "长" * (limit + 1000)
    note.fill(pasted)
    expect(note).to_have_value(pasted)                      # nothing cut
    expect(counter).to_have_text(f"已输入 {limit + 1000} / {limit} 字，超出 1000 字")
    page.get_by_role("button", name="添加备注").click()
    message = page.locator("section.report > .notice")
    expect(message).to_have_text(f"“备注内容”超出 1000 字：最多 {limit} 字。")
    expect(message).to_be_focused()
    expect(note).to_have_value(pasted)
    notes = stack.call("GET", f"/reports/{report.report_id}", report.citizen_token).json()["notes"]
    assert [each["text"] for each in notes] == [for_reporter]    # the long one was not sent

    # The API's own refusal (its real answer to a note over the limit) names the limit too.
    refusal = stack.call("PATCH", f"/admin/reports/{report.report_id}", officer.token(),
                         {"note": {"text": pasted, "visibility": "internal"}})
    assert refusal.status_code == 400, refusal.text
    patch = re.compile(r".*/admin/reports/[0-9a-f]{32}$")
    page.route(patch, lambda route: route.fulfill(
        status=400, body=refusal.text, content_type="application/json",
        headers={"Access-Control-Allow-Origin": stack.site}))
    note.fill("A short note the API refuses anyway.")
    page.get_by_role("button", name="添加备注").click()
    expect(message).to_have_text(f"“备注内容”最多 {limit} 字。")
    page.unroute(patch)


def test_the_bulletin_form_shows_every_problem_at_once_before_any_request(officer, stack):
    page = officer.page
    fields = json.loads((ROOT / "admin" / "bulletin-fields.json").read_text())
    posts = []
    page.on("request", lambda request: posts.append(request.url)
            if request.method == "POST" and request.url.endswith("/bulletins") else None)
    officer.open("#/bulletins/new?category=missing_person")
    page.get_by_role("button", name="发布", exact=True).click()
    problems = page.locator(".problems")
    expect(problems).to_be_focused()
    required = [spec["name"] for spec in fields["common"] + fields["categories"]["missing_person"]
                if spec["required"] and spec["type"] != "bool"]
    expect(problems.locator("li")).to_have_count(len(required))
    assert problems.locator("li").evaluate_all(
        "items => items.map(item => item.dataset.field)") == required

    title = next(spec for spec in fields["common"] if spec["name"] == "title")
    age = next(spec for spec in fields["categories"]["missing_person"] if spec["name"] == "age")
    page.locator("[name=title]").fill("走" * (title["max"] + 5))
    page.locator("[name=age]").fill(str(age["max"] + 1))
    page.locator("[name=location]").fill("朝阳公园")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(problems.locator("li[data-field=title]")).to_have_text(
        f"“标题”超出 5 字：最多 {title['max']} 字。")
    expect(problems.locator("li[data-field=age]")).to_contain_text(str(age["max"]))
    expect(problems.locator("li[data-field=location]")).to_be_visible()
    expect(page.locator("[name=title]")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=SCREENSHOTS / "bulletin-form-problems.png", full_page=True)
    # A problem's link takes the officer to its field.
    problems.locator("li[data-field=age] a").click()
    expect(page.locator("[name=age]")).to_be_focused()
    assert posts == []

    for name, value in {"title": "寻找走失老人", "body": "王大爷于昨晚离家后未归。",
                        "district": "朝阳区", "contact": "110", "name": "王建国", "age": "78",
                        "location": "39.9219, 116.4436", "last_seen_place": "朝阳公园南门",
                        "last_seen_at": "2026-11-27T18:30"}.items():
        page.locator(f"[name={name}]").fill(value)
    page.locator("select[name=sex]").select_option("male")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/bulletins/[0-9a-f]{32}$"))
    assert len(posts) == 1


def test_resolve_has_no_preset_outcome_and_final_moves_are_confirmed(officer, stack):
    page = officer.page
    draft = {"category": "vehicle", "title": f"寻找车辆 {uuid.uuid4().hex[:6]}",
             "body": "一辆白色轿车被盗。", "district": "朝阳区", "contact": "110",
             "plate": "京A12345", "sought_for": "stolen"}
    made = [stack.call("POST", "/bulletins", officer.token(), draft).json()["id"]
            for _ in range(2)]
    officer.open(f"#/bulletins/{made[0]}")
    outcome = page.locator("select[name=outcome]")
    expect(outcome).to_have_value("")
    page.get_by_role("button", name="标记为已解决").click()
    expect(page.locator("section.bulletin > .notice")).to_have_text("请填写“结果”。")
    outcome.select_option("recovered")
    page.get_by_role("button", name="标记为已解决").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("已追回")
    dialog.get_by_role("button", name="标记为已解决").click()
    expect(page.locator("h1 .badge")).to_have_text("已解决")
    expect(page.locator("section.bulletin > .notice")).to_be_focused()

    officer.open(f"#/bulletins/{made[1]}")
    page.locator("textarea[name=retract-reason]").fill("信息有误。")
    page.get_by_role("button", name="撤回通报").click()
    dialog.get_by_role("button", name="取消").click()
    assert stack.call("GET", f"/bulletins/{made[1]}").json()["status"] == "published"
    page.get_by_role("button", name="撤回通报").click()
    dialog.get_by_role("button", name="撤回通报").click()
    expect(page.locator("h1 .badge")).to_have_text("已撤回")
    assert stack.call("GET", f"/bulletins/{made[1]}").json()["status"] == "retracted"


def test_a_refused_bulletin_image_shows_the_workers_reason(officer, stack):
    page = officer.page
    draft = {"category": "vehicle", "title": f"寻找车辆 {uuid.uuid4().hex[:6]}",
             "body": "一辆白色轿车被盗。", "district": "朝阳区", "contact": "110",
             "plate": "京A12345", "sought_for": "stolen"}
    bulletin_id = stack.call("POST", "/bulletins", officer.token(), draft).json()["id"]
    officer.open(f"#/bulletins/{bulletin_id}")
    page.locator("input[name=more-images]").set_input_files(
        [{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture at all " * 40}])
    page.get_by_role("button", name="上传").click()
    refused = page.locator("figure.evidence-rejected")
    expect(refused).to_contain_text("已拒收：", timeout=EVIDENCE_TIMEOUT_MS)
    expect(refused).to_contain_text("notes.jpg")
    reason = page.evaluate("() => document.querySelector('figure.evidence-rejected')"
                           ".textContent")
    assert "不是允许的图片或视频格式" in reason or "图片已损坏" in reason, reason
    page.screenshot(path=SCREENSHOTS / "bulletin-image-refused.png", full_page=True)


def test_focus_follows_every_navigation_and_the_original_keeps_its_extension(officer, report):
    page = officer.page
    officer.open("#/reports?category=theft&status=submitted")
    expect(page.locator("h1")).to_be_focused()
    page.locator("select[name=category]").select_option("fraud")
    expect(page).to_have_url(re.compile("category=fraud"))
    expect(page.locator("h1")).to_be_focused()
    officer.open(f"#/reports/{report.report_id}")
    expect(page.locator("h1")).to_be_focused()
    download_button = page.locator("figure[data-status=ready] button.link")
    expect(download_button).to_be_visible(timeout=EVIDENCE_TIMEOUT_MS)
    with page.expect_download() as downloading:
        download_button.click()
    assert downloading.value.suggested_filename == \
        f"{page.locator('figure[data-status=ready]').get_attribute('data-evidence-id')}.jpg"
    expect(page.locator("section.report > .notice")).to_be_focused()


def test_english_plurals_and_a_language_switch_keeps_what_was_typed(officer, report):
    page = officer.page
    officer.open(f"#/reports?category=theft&status={status_of(officer.stack, report)}")
    card = page.locator(f"[data-report-id='{report.report_id}']")
    expect(card).to_contain_text("证据 1 件")
    page.locator("button.language").click()
    expect(card).to_contain_text("1 evidence item")
    expect(card).not_to_contain_text("1 evidence items")

    officer.open(f"#/reports/{report.report_id}")
    typed = f"Half a note, still being written {uuid.uuid4().hex[:6]}"
    page.locator("textarea[name=note]").fill(typed)
    page.locator("input[name=visibility][value=reporter]").check()
    page.locator("button.language").click()
    expect(page.locator("h2").first).to_have_text("证据")
    expect(page.locator("textarea[name=note]")).to_have_value(typed)
    expect(page.locator("input[name=visibility][value=reporter]")).to_be_checked()
    expect(page.locator("#note-counter")).to_have_text(f"已输入 {len(typed)} / {note_limit()} 字")

    officer.open("#/bulletins/new?category=missing_person")
    page.locator("[name=title]").fill("寻找走失老人")
    page.locator("[name=age]").fill("78")
    page.locator("input[name=at_risk]").check()
    page.locator("button.language").click()
    expect(page.locator("h1")).to_have_text("Publish a bulletin")
    expect(page.locator("[name=title]")).to_have_value("寻找走失老人")
    expect(page.locator("[name=age]")).to_have_value("78")
    expect(page.locator("input[name=at_risk]")).to_be_checked()
    page.locator("button.language").click()
    expect(page.locator("[name=title]")).to_have_value("寻找走失老人")


def test_the_audit_trail_filters_by_actor_action_and_report(admin, officer, report, stack):
    page = officer.page
    officer.open(f"#/reports/{report.report_id}")
    page.locator("textarea[name=note]").fill("Checked.")
    page.get_by_role("button", name="添加备注").click()
    expect(page.locator(".note-internal").last).to_contain_text("Checked.")

    page = admin.page
    admin.open("#/audit")
    page.reload()                                  # the trail as it is now
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    officer_id = stack.call("GET", "/me", officer.token()).json()["id"]
    page.locator("select[name=actor]").select_option(officer_id)
    expect(rows.first).to_be_visible()
    assert set(rows.evaluate_all("rows => rows.map(row => row.dataset.actorId)")) == {officer_id}
    page.locator("select[name=action]").select_option("report.note_added")
    page.locator("input[name=report]").fill(report.report_id)
    expect(rows).to_have_count(1)
    expect(rows.first.locator("a")).to_have_attribute("href", f"#/reports/{report.report_id}")
    page.locator("input[name=report]").fill("0" * 32)
    expect(rows).to_have_count(0)
    expect(page.locator(".audit .state-empty")).to_be_visible()
    page.locator("input[name=report]").fill("")
    page.locator("select[name=actor]").select_option("")
    page.locator("select[name=action]").select_option("")
    expect(rows.first).to_be_visible()


def test_revoking_an_officer_is_confirmed(admin, stack):
    page = admin.page
    phone = new_phone()
    assert stack.call("PUT", f"/admin/officers/{phone}", admin.token()).status_code == 200
    admin.open("#/officers")
    page.locator("input[name=officer-phone]").fill(phone)
    page.get_by_role("button", name="撤销警员权限").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text(phone)
    dialog.get_by_role("button", name="取消").click()
    expect(page.locator(".role-changes li")).to_have_count(0)
    page.get_by_role("button", name="撤销警员权限").click()
    dialog.get_by_role("button", name="撤销警员权限").click()
    expect(page.locator(".officers .notice")).to_have_text(f"已撤销 {phone} 的警员权限。")
    expect(page.locator(".officers .notice")).to_be_focused()


def test_a_shift_by_keyboard_alone_with_a_focus_ring_that_shows(browser, stack, officer_phones,
                                                               citizen):
    """Sign in, pick a category, open a report, review it, write a note and close it,
    never touching the mouse; the focus ring is at least 3:1 wherever it goes."""
    categories = list(json.loads((ROOT / "admin" / "enums.json").read_text())[
        "ReportCategory"].values())
    # In the second category: the list starts with "all", then the categories in order.
    report = file_report_with_photo(stack, citizen, category=categories[1])
    tab = SiteTab(browser, stack, officer_phones[1])
    page, keys = tab.page, tab.page.keyboard
    try:
        tab.open()
        expect(page.locator("input[name=phone]")).to_be_focused()
        seen = stack.seen(tab.phone)
        keys.type(tab.phone)
        keys.press("Enter")
        expect(page.locator("input[name=code]")).to_be_focused()
        keys.type(stack.new_code(tab.phone, seen))
        keys.press("Enter")
        expect(page.locator("h1")).to_have_text("举报队列")
        expect(page.locator("h1")).to_be_focused()

        # In the blue header: the accent ring.
        tab.tab_to(".nav a[href='#/bulletins']")
        assert tab.outline_contrast() >= 3
        tab.tab_to("select[name=category]")
        assert tab.outline_contrast() >= 3
        before = page.url
        keys.press("ArrowDown")
        keys.press("ArrowDown")
        page.wait_for_timeout(300)
        assert page.url == before                      # arrowing does not reload the list
        keys.press("ArrowUp")
        keys.press("Tab")                              # leaving the field applies the choice
        expect(page).to_have_url(re.compile(f"category={categories[0]}"))
        expect(page.locator("h1")).to_be_focused()
        tab.tab_to("select[name=category]")
        keys.press("ArrowDown")
        keys.press("Enter")                            # and so does Enter
        expect(page).to_have_url(re.compile(f"category={categories[1]}"))
        expect(page.locator("h1")).to_be_focused()

        tab.tab_to(f"a[data-report-id='{report.report_id}']")
        assert tab.outline_contrast() >= 3
        keys.press("Enter")
        expect(page.locator("h1 .alias")).to_be_visible()
        expect(page.locator("h1")).to_be_focused()
        tab.tab_to("button[data-move-to=in_review]")
        assert tab.outline_contrast() >= 3               # a blue button on white
        keys.press("Enter")
        expect(page.locator("section.report > .notice")).to_be_focused()
        expect(page.locator("h1 .badge")).to_have_text("核查中")

        tab.tab_to("textarea[name=note]")
        keys.type("Reviewed by keyboard.")
        tab.tab_to(".note-form button[type=submit]")
        keys.press("Enter")
        expect(page.locator(".note-internal").last).to_contain_text("Reviewed by keyboard.")
        expect(page.locator("section.report > .notice")).to_be_focused()

        tab.tab_to("button[data-move-to=dismissed]")
        keys.press("Enter")
        dialog = page.locator("#confirm-dialog")
        expect(dialog.get_by_role("button", name="取消")).to_be_focused()
        keys.press("Tab")
        expect(dialog.get_by_role("button", name="不予处理")).to_be_focused()
        keys.press("Enter")
        expect(page.locator("h1 .badge")).to_have_text("不予处理")
        expect(page.locator("section.report > .notice")).to_be_focused()
        assert status_of(stack, report) == "dismissed"
        tab.check()
    finally:
        tab.context.close()


def test_the_phone_header_is_compact(browser, stack, officer_phones):
    tab = SiteTab(browser, stack, officer_phones[2], viewport=PHONE)
    try:
        tab.open()
        tab.sign_in()
        page = tab.page
        expect(page.locator(".who-role")).to_have_text("警员")
        line = page.locator(".who-role").evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert page.locator(".who-role").bounding_box()["height"] <= line * 1.2
        assert page.locator(".masthead").bounding_box()["height"] <= 120
        assert tab.fits_the_screen()
        tab.check()
    finally:
        tab.context.close()


def test_no_other_page_is_wider_than_a_phone(admin, stack, report):
    bulletin_id = stack.call("POST", "/bulletins", admin.token(), {
        "category": "suspect", "title": f"悬赏通缉 {uuid.uuid4().hex}", "body": "长" * 300,
        "district": "朝阳区", "contact": "110", "description": "身高一米八，" * 20,
        "wanted_for": "抢劫", "aliases": ["x" * 100]}).json()["id"]
    page = admin.page
    page.set_viewport_size(PHONE)
    try:
        for name, route, ready in (
                ("custody", f"#/reports/{report.report_id}/custody", ".custody-evidence"),
                ("bulletins", "#/bulletins", ".bulletin-card"),
                ("bulletin", f"#/bulletins/{bulletin_id}", ".bulletin-actions form"),
                ("bulletin-edit", f"#/bulletins/{bulletin_id}/edit", "form.bulletin-form"),
                ("inbox", "#/inbox", ".inbox [data-report-id], .inbox .state-empty")):
            admin.open(route)
            expect(page.locator(ready).first).to_be_visible(timeout=EVIDENCE_TIMEOUT_MS)
            page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
            assert admin.fits_the_screen(), (route, page.evaluate(WIDEST))
    finally:
        page.set_viewport_size(DESKTOP)


# --- the new screens of issue 17, on its API ------------------------------------------

def test_the_default_queue_shows_every_category_with_counts_take_urgency_and_new_ones(
        officer, stack, citizen):
    """Three new reports in three categories are on the first screen, with no click; one
    is taken from its card, an urgent one is marked, and one filed while the queue is
    open is announced and shown without reloading the page."""
    district = unique_district()
    filed = [file_report_with_photo(stack, citizen, category=category, district=district)
             for category in ("theft", "fraud", "traffic")]
    urgent = stack.call("PATCH", f"/admin/reports/{filed[1].report_id}", officer.token(),
                        {"urgent": True})
    assert urgent.status_code == 200, urgent.text
    page = officer.page
    officer.open(f"#/reports?district={district}")
    page.reload()
    cards = page.locator(".queue .report-card")
    expect(cards).to_have_count(3)
    assert cards.evaluate_all("cards => cards.map(card => card.dataset.card)") == [
        report.report_id for report in filed]                  # the longest wait first
    expect(page.locator(f"[data-card='{filed[1].report_id}'] .badge-urgent")).to_have_text("紧急")
    expect(page.locator(".category-counts a[data-category=fraud] .count")).to_have_text(
        re.compile(r"^[1-9]\d*$"))
    expect(page.locator("select[name=category] option").first).to_have_text(
        re.compile(r"^全部类别（\d+）$"))
    officer.audit_page("queue-all")

    page.locator(f"[data-card='{filed[0].report_id}'] button.take").click()
    expect(page.locator(f"[data-card='{filed[0].report_id}'] .assignee")).to_have_text(
        "您已接手此举报。")
    seen = stack.call("GET", f"/admin/reports/{filed[0].report_id}", officer.token()).json()
    assert seen["assignee"]["id"] == stack.call("GET", "/me", officer.token()).json()["id"]
    page.locator("select[name=assigned]").select_option("me")
    expect(cards).to_have_count(1)
    page.locator("select[name=assigned]").select_option("")
    expect(cards).to_have_count(3)

    page.evaluate("() => { window.stillThisPage = true; }")
    late = file_report_with_photo(stack, citizen, category="violence", district=district)
    fresh = page.locator(".fresh-button")
    expect(fresh).to_have_text("有 1 条新举报，点击显示", timeout=25_000)
    fresh.click()
    expect(cards).to_have_count(4)
    expect(page.locator(f"[data-card='{late.report_id}']")).to_be_visible()
    assert page.evaluate("() => window.stillThisPage === true")      # no reload


def test_a_report_is_taken_given_back_and_marked_urgent_from_its_page(officer, report, stack):
    page = officer.page
    officer.open(f"#/reports/{report.report_id}")
    expect(page.locator(".handling .assignee")).to_have_text("尚无人接手此举报。")
    page.locator(".handling button.take").click()
    expect(page.locator(".handling .assignee")).to_have_text("您已接手此举报。")
    expect(page.locator("section.report > .notice")).to_be_focused()
    page.locator(".handling button.urgent-toggle").click()
    expect(page.locator(".handling button.urgent-toggle")).to_have_attribute("aria-pressed",
                                                                             "true")
    seen = stack.call("GET", f"/admin/reports/{report.report_id}", officer.token()).json()
    assert seen["urgent"] is True and seen["assignee"] is not None
    page.locator(".handling button.give-back").click()
    expect(page.locator(".handling .assignee")).to_have_text("尚无人接手此举报。")
    seen = stack.call("GET", f"/admin/reports/{report.report_id}", officer.token()).json()
    assert seen["assignee"] is None


def test_a_reply_template_goes_into_a_note_and_a_message_in_two_clicks(admin, officer,
                                                                        report, stack):
    current = stack.call("GET", "/admin/replies", admin.token()).json()
    templates = [{"id": "thanks", "title": {"zh-CN": "感谢举报", "en": "Thanks"},
                  "text": {"zh-CN": "感谢您的举报，我们已开始核查。",
                           "en": "Thank you for your report; we are looking into it."}},
                 {"id": "photo", "title": {"zh-CN": "请补充照片", "en": "Ask for a photo"},
                  "text": {"zh-CN": "请补充一张现场照片。", "en": "Please send a photo."}}]
    saved = stack.call("PUT", "/admin/replies", admin.token(),
                       {"version": current["version"], "replies": templates})
    assert saved.status_code == 200, saved.text
    page = officer.page
    officer.open(f"#/reports/{report.report_id}")
    page.reload()                               # the templates are read once per load
    note_form = page.locator("form.note-form")
    note_form.locator("details.templates summary").click()                   # 1
    note_form.get_by_role("button", name="感谢举报").click()                    # 2
    expect(page.locator("textarea[name=note]")).to_have_value("感谢您的举报，我们已开始核查。")
    expect(page.locator("textarea[name=note]")).to_be_focused()
    expect(page.locator("#note-counter")).to_contain_text("已输入 15 /")
    reply_form = page.locator("form.reply-form")
    reply_form.locator("details.templates summary").click()
    reply_form.get_by_role("button", name="请补充照片").click()
    expect(page.locator("textarea[name=reply]")).to_have_value("请补充一张现场照片。")


def test_the_officers_page_lists_officers_by_name_and_the_audit_trail_names_them(
        admin, officer, stack):
    page = admin.page
    admin.open("#/officers")
    page.reload()
    name = f"王警官{uuid.uuid4().hex[:4]}"
    page.locator("input[name=officer-phone]").fill(officer.phone)
    page.locator("input[name=display-name]").fill(name)
    page.locator("input[name=badge]").fill("010203")
    page.get_by_role("button", name="授予警员权限").click()
    row = page.locator(f".officer-table tr[data-phone='{officer.phone}']")
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("010203")
    expect(page.locator(f".officer-table tr[data-phone='{BOOTSTRAP_ADMIN}']")).to_contain_text(
        "管理员")
    admin.audit_page("officers-list")

    officer.open("#/reports")                 # the officer does something audited
    officer.page.reload()
    report = officer.page.locator(".queue .report-card a").first
    report_id = report.get_attribute("data-report-id")
    officer.open(f"#/reports/{report_id}")
    officer.page.locator("textarea[name=note]").fill("Seen.")
    officer.page.get_by_role("button", name="添加备注").click()
    expect(officer.page.locator(".note-internal").last).to_contain_text("Seen.")
    admin.open("#/audit")
    page.reload()
    expect(page.locator("tr[data-action='report.note_added'] .actor-name").first).to_have_text(
        name)


def test_the_dashboard_draws_its_charts_in_both_languages(officer, stack, report):
    page = officer.page
    officer.open("#/dashboard")
    page.reload()
    expect(page.locator("h1")).to_have_text("统计")
    stats = stack.call("GET", "/admin/stats", officer.token()).json()
    expect(page.locator("[data-tile=filed] .tile-value")).to_have_text(str(stats["filed"]))
    bars = page.locator("[data-chart=category] .bar")
    expect(bars).to_have_count(8)
    assert bars.evaluate_all("bars => bars.map(bar => Number(bar.dataset.count))") == [
        stats["by_category"].get(category, 0) for category in json.loads(
            (ROOT / "admin" / "enums.json").read_text())["ReportCategory"].values()]
    assert page.locator("[data-chart=category] rect").evaluate_all(
        "rects => rects.map(r => r.getBBox().width)")[0] > 0
    officer.audit_page("dashboard")
    page.locator("button.language").click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("[data-chart=category] figcaption")).to_have_text("By category")
    expect(page.locator("[data-chart=category] .bar-label").first).to_have_text("Theft")
    officer.audit_page("dashboard-en")
    page.locator("button.language").click()
    expect(page.locator("h1")).to_have_text("统计")


def test_an_admin_takes_a_report_over_after_confirming(admin, officer, report, stack):
    taken = stack.call("PATCH", f"/admin/reports/{report.report_id}", officer.token(),
                       {"assignee": "me"})
    assert taken.status_code == 200, taken.text
    page = admin.page
    admin.open(f"#/reports/{report.report_id}")
    page.reload()
    expect(page.locator(".handling .assignee")).to_contain_text("已由")
    expect(page.locator(".handling button.take")).to_have_count(0)
    page.locator(".handling button.take-over").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("接管")
    dialog.get_by_role("button", name="接管").click()
    expect(page.locator(".handling .assignee")).to_have_text("您已接手此举报。")
    admin_id = stack.call("GET", "/me", admin.token()).json()["id"]
    seen = stack.call("GET", f"/admin/reports/{report.report_id}", admin.token()).json()
    assert seen["assignee"]["id"] == admin_id


def test_the_dashboards_period_is_exported_as_csv(officer, stack, report):
    page = officer.page
    officer.open("#/dashboard")
    page.reload()
    page.get_by_role("button", name="导出 CSV").click()
    message = page.locator(".export-panel .notice")
    expect(message).to_have_text(re.compile(r"^导出完成：共 \d+ 条举报。$"), timeout=30_000)
    expect(message).to_be_focused()
    link = page.locator(".export-result a")
    csv = requests.get(link.get_attribute("href"), timeout=10)
    assert csv.status_code == 200
    assert csv.content.startswith("\ufeff".encode()) and b"\r\n" in csv.content
    rows = int(re.search(r"\d+", message.text_content()).group())
    assert rows >= 1                          # at least the report filed for this test
    assert csv.content.count(b"\r\n") >= rows
    assert report.citizen_phone.encode() not in csv.content
