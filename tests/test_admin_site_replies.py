"""The admins' screen for the reply templates (#/replies), in headless Chromium against
the local stack: an admin adds and edits templates and saves them, an officer then puts
them into a note and a message; a save after another admin's is refused and loses
nothing; officers neither see the screen nor get it by its address; axe at a laptop's
and a phone's width; the keyboard alone."""

import json
import re
import uuid

import pytest
from support.admin_site import (
    ROOT,
    SCREENSHOTS,
    SiteTab,
    file_report_with_photo,
    require_chromium,
    signed_in_officer,
    site_fixtures,
)
from support.auth import new_phone

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.stack]

LIMITS = json.loads((ROOT / "admin" / "enums.json").read_text())["REPLY_LIMITS"]
PUT_REPLIES = re.compile(r".*/admin/replies$")


stack, browser, admin, nothing_went_wrong_unseen = site_fixtures("admin-site-replies")


@pytest.fixture(scope="module")
def officer(browser, stack, admin):
    phone = new_phone()
    granted = stack.call("PUT", f"/admin/officers/{phone}", admin.token())
    assert granted.status_code == 200, granted.text
    yield from signed_in_officer(browser, stack, phone)


@pytest.fixture(scope="module")
def report(stack):
    return file_report_with_photo(stack, stack.sign_in(new_phone()))


def template(id_: str, zh_title: str, en_title: str, zh_text: str, en_text: str) -> dict:
    return {"id": id_, "title": {"zh-CN": zh_title, "en": en_title},
            "text": {"zh-CN": zh_text, "en": en_text}}


THANKS = template("thanks", "感谢举报", "Thanks", "感谢您的举报，我们已开始核查。",
                  "Thank you for your report; we are looking into it.")


def saved_replies(stack, admin) -> dict:
    answer = stack.call("GET", "/admin/replies", admin.token())
    assert answer.status_code == 200, answer.text
    return answer.json()


def put_replies(stack, admin, replies: list[dict]) -> dict:
    """Replaces the templates through the API, as another admin's save would."""
    current = saved_replies(stack, admin)
    answer = stack.call("PUT", "/admin/replies", admin.token(),
                        {"version": current["version"], "replies": replies})
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_editor(tab: SiteTab) -> None:
    """The screen read afresh: a reload drops a draft left by an earlier test."""
    tab.open("#/replies")
    tab.page.reload()
    expect(tab.page.locator("h1")).to_have_text("回复模板")


def row(page, number: int):
    return page.locator(".reply-row").nth(number - 1)


def count_puts(page) -> list:
    puts = []
    page.on("request", lambda request: puts.append(request.url)
            if request.method == "PUT" and PUT_REPLIES.match(request.url) else None)
    return puts


def test_an_admin_adds_and_edits_templates_and_an_officer_inserts_them(admin, officer, report,
                                                                       stack):
    put_replies(stack, admin, [THANKS])
    page = admin.page
    # The admin's own picker reads the list first, then the list changes on this page.
    admin.open(f"#/reports/{report.report_id}")
    page.reload()
    page.evaluate("() => { window.stillThisPage = true; }")
    picker = page.locator("form.note-form details.templates")
    picker.locator("summary").click()
    expect(picker.locator("button[data-reply-id]")).to_have_text(["感谢举报"])

    page.locator(".nav a[href='#/replies']").click()
    expect(page.locator("h1")).to_have_text("回复模板")
    expect(page.locator(".nav a[href='#/replies']")).to_have_attribute("aria-current", "page")
    expect(page.locator(".reply-row")).to_have_count(1)
    expect(row(page, 1).locator("input.reply-id")).to_have_value("thanks")
    expect(page.locator(".reply-count")).to_have_text(
        f"共 1 个模板，最多 {LIMITS['templates']} 个。")

    thanks_title = f"感谢您的举报 {uuid.uuid4().hex[:4]}"
    row(page, 1).get_by_label("标题（中文）").fill(thanks_title)
    page.get_by_role("button", name="添加模板").click()
    new = row(page, 2)
    expect(new.get_by_label("标题（中文）")).to_be_focused()
    new.get_by_label("标题（中文）").fill("请补充照片")
    new.get_by_label("标题（英文）").fill("Ask for a photo, please!")
    expect(new.locator("input.reply-id")).to_have_value("ask-for-a-photo-please")  # from the title
    new.get_by_label("正文（中文）").fill("请补充一张现场照片。")

    # What the API would refuse is listed before any request, each a link to its field.
    puts = count_puts(page)
    too_long = "长" * (LIMITS["title_characters"] + 3)
    row(page, 1).get_by_label("标题（英文）").fill(too_long)
    page.get_by_role("button", name="保存模板").click()
    problems = page.locator(".problems")
    expect(problems).to_be_focused()
    expect(problems.locator("li")).to_have_text([
        f"“模板 1 · 标题（英文）”超出 3 字：最多 {LIMITS['title_characters']} 字。",
        "请填写“模板 2 · 正文（英文）”。"])
    expect(row(page, 1).get_by_label("标题（英文）")).to_have_attribute("aria-invalid", "true")
    problems.locator("li").nth(1).locator("a").click()
    expect(new.get_by_label("正文（英文）")).to_be_focused()
    new.locator("input.reply-id").fill("Photo please")
    page.get_by_role("button", name="保存模板").click()
    expect(problems.locator("li")).to_have_count(3)
    expect(problems.locator("li").nth(1)).to_contain_text("“模板 2 · 编号”只能包含 a–z")
    assert puts == []

    row(page, 1).get_by_label("标题（英文）").fill("Thanks")
    new.locator("input.reply-id").fill("photo")
    new.get_by_label("正文（英文）").fill("Please send a photo.")
    page.get_by_role("button", name="保存模板").click()
    message = page.locator(".reply-editor .notice")
    expect(message).to_have_text("已保存：警员现在看到的是这 2 个模板。")
    expect(message).to_be_focused()
    expect(problems).to_be_hidden()
    assert len(puts) == 1
    saved = saved_replies(stack, admin)
    assert saved["replies"] == [
        {**THANKS, "title": {"zh-CN": thanks_title, "en": "Thanks"}},
        template("photo", "请补充照片", "Ask for a photo, please!", "请补充一张现场照片。",
                 "Please send a photo.")]
    expect(page.locator(".reply-editor")).to_contain_text("上次保存于")
    page.screenshot(path=SCREENSHOTS / "replies-saved.png", full_page=True)

    # The admin's picker, on the same page load, now offers the saved list.
    admin.open(f"#/reports/{report.report_id}")
    picker = page.locator("form.note-form details.templates")
    picker.locator("summary").click()
    expect(picker.locator("button[data-reply-id]")).to_have_text([thanks_title, "请补充照片"])
    assert page.evaluate("() => window.stillThisPage === true")      # no reload

    # An officer in another tab inserts them into a note and a message.
    tab = officer.page
    officer.open(f"#/reports/{report.report_id}")
    tab.reload()
    note_form = tab.locator("form.note-form")
    note_form.locator("details.templates summary").click()
    note_form.get_by_role("button", name=thanks_title).click()
    expect(tab.locator("textarea[name=note]")).to_have_value(THANKS["text"]["zh-CN"])
    expect(tab.locator("textarea[name=note]")).to_be_focused()
    reply_form = tab.locator("form.reply-form")
    reply_form.locator("details.templates summary").click()
    reply_form.get_by_role("button", name="请补充照片").click()
    expect(tab.locator("textarea[name=reply]")).to_have_value("请补充一张现场照片。")


def test_a_save_after_another_admins_is_refused_and_loses_nothing(admin, stack):
    put_replies(stack, admin, [THANKS])
    page = admin.page
    open_editor(admin)
    expect(page.locator(".reply-row")).to_have_count(1)
    # Another admin saves between this screen's read and its save.
    theirs = [THANKS, template("wait", "请耐心等待", "Please wait", "我们正在处理。",
                               "We are working on it.")]
    put_replies(stack, admin, theirs)

    mine = "感谢您！我们会尽快联系您。"
    row(page, 1).get_by_label("正文（中文）").fill(mine)
    page.get_by_role("button", name="保存模板").click()
    message = page.locator(".reply-editor .notice")
    expect(message).to_contain_text("另一位管理员刚刚保存了模板，您的修改没有保存")
    expect(message).to_be_focused()
    expect(row(page, 1).get_by_label("正文（中文）")).to_have_value(mine)   # kept
    assert saved_replies(stack, admin)["replies"] == theirs                 # not overwritten
    reload = page.get_by_role("button", name="载入已保存的模板")
    expect(reload).to_be_visible()

    # Saving again is refused again: the version read is still the old one.
    page.get_by_role("button", name="保存模板").click()
    expect(message).to_contain_text("另一位管理员刚刚保存了模板")
    assert saved_replies(stack, admin)["replies"] == theirs

    # The other language, and another page and back, keep the draft and its old version.
    page.locator("button.language").click()
    expect(page.locator("h1")).to_have_text("Reply templates")
    expect(row(page, 1).get_by_label("Text (Chinese)")).to_have_value(mine)
    expect(message).to_contain_text("another admin has saved the templates since")
    page.get_by_role("button", name="Save templates").click()
    expect(message).to_contain_text("Another admin saved the templates meanwhile")
    page.locator("button.language").click()
    expect(page.locator("h1")).to_have_text("回复模板")
    page.locator(".nav a[href='#/reports']").click()
    page.locator(".nav a[href='#/replies']").click()
    expect(row(page, 1).get_by_label("正文（中文）")).to_have_value(mine)
    assert saved_replies(stack, admin)["replies"] == theirs

    # Loading the saved list is asked first; cancel keeps the draft.
    reload.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("您在此处输入的内容将丢失")
    dialog.get_by_role("button", name="取消").click()
    expect(row(page, 1).get_by_label("正文（中文）")).to_have_value(mine)
    reload.click()
    dialog.get_by_role("button", name="载入已保存的模板").click()
    expect(message).to_have_text("这是当前已保存的模板。")
    expect(page.locator(".reply-row")).to_have_count(2)
    expect(row(page, 1).get_by_label("正文（中文）")).to_have_value(THANKS["text"]["zh-CN"])
    expect(reload).to_be_hidden()

    # On the list saved now, the change goes through.
    row(page, 1).get_by_label("正文（中文）").fill(mine)
    page.get_by_role("button", name="保存模板").click()
    expect(message).to_have_text("已保存：警员现在看到的是这 2 个模板。")
    assert saved_replies(stack, admin)["replies"] == [
        {**THANKS, "text": {**THANKS["text"], "zh-CN": mine}}, theirs[1]]


def test_a_refused_id_is_said_in_the_admins_language_and_the_form_kept(admin, stack):
    """The API's own refusal (two templates with one id, which the form also checks)
    shown as the site shows errors, when the form's check is bypassed by a stale page."""
    put_replies(stack, admin, [THANKS])
    page = admin.page
    open_editor(admin)
    refusal = stack.call("PUT", "/admin/replies", admin.token(), {
        "version": saved_replies(stack, admin)["version"], "replies": [THANKS, THANKS]})
    assert refusal.status_code == 400, refusal.text
    assert refusal.json()["error"]["code"] == "duplicate_reply_id"
    page.route(PUT_REPLIES, lambda route: route.fulfill(
        status=400, body=refusal.text, content_type="application/json",
        headers={"Access-Control-Allow-Origin": stack.site}))
    try:
        row(page, 1).get_by_label("标题（英文）").fill("Thank you")
        page.get_by_role("button", name="保存模板").click()
        message = page.locator(".reply-editor .notice")
        expect(message).to_have_text(json.loads(
            (ROOT / "admin" / "i18n" / "zh-CN.json").read_text())["error.duplicate_reply_id"])
        expect(message).to_be_focused()
        expect(row(page, 1).get_by_label("标题（英文）")).to_have_value("Thank you")
    finally:
        page.unroute(PUT_REPLIES)
    assert saved_replies(stack, admin)["replies"] == [THANKS]


def test_an_officer_has_no_link_to_the_screen_and_is_refused_it(officer, stack):
    page = officer.page
    officer.open("#/reports")
    expect(page.locator(".nav a[href='#/reports']")).to_be_visible()
    expect(page.locator(".nav a[href='#/replies']")).to_have_count(0)
    officer.open("#/replies")
    expect(page.locator("main .state-empty")).to_contain_text("此页面仅限管理员")
    expect(page.locator(".reply-editor")).to_have_count(0)
    refused = stack.call("PUT", "/admin/replies", officer.token(),
                         {"version": 0, "replies": []})
    assert refused.status_code == 403, refused.text


def test_the_screen_passes_axe_and_fits_a_phone(admin, stack):
    put_replies(stack, admin, [THANKS, template(
        "long", "长" * LIMITS["title_characters"], "L" * LIMITS["title_characters"],
        "长" * LIMITS["text_characters"], "x" * LIMITS["text_characters"])])
    page = admin.page
    open_editor(admin)
    expect(page.locator(".reply-row")).to_have_count(2)
    admin.audit_page("replies")
    page.get_by_role("button", name="添加模板").click()
    page.get_by_role("button", name="保存模板").click()
    expect(page.locator(".problems")).to_be_focused()
    admin.audit_page("replies-problems")
    put_replies(stack, admin, [])
    open_editor(admin)
    expect(page.locator(".reply-editor .state-empty")).to_contain_text("还没有模板")
    admin.audit_page("replies-empty")


def test_the_screen_by_keyboard_alone(admin, stack):
    """Tab to each field and button, Enter and Space to press them: add a template, fill
    it in, move it to the top, remove another and save."""
    put_replies(stack, admin, [THANKS])
    page, keys = admin.page, admin.page.keyboard
    open_editor(admin)
    admin.tab_to("button.reply-add")
    assert admin.outline_contrast() >= 3
    keys.press("Enter")
    expect(row(page, 2).get_by_label("标题（中文）")).to_be_focused()
    keys.type("请留下联系方式")
    keys.press("Tab")
    expect(row(page, 2).get_by_label("正文（中文）")).to_be_focused()
    keys.type("请留下您的联系电话。")
    keys.press("Tab")
    expect(row(page, 2).get_by_label("标题（英文）")).to_be_focused()
    keys.type("Contact number")
    keys.press("Tab")
    keys.type("Please leave a phone number.")
    expect(row(page, 2).get_by_label("正文（英文）")).to_have_value(
        "Please leave a phone number.")
    expect(row(page, 2).locator("input.reply-id")).to_have_value("contact-number")

    admin.tab_to(".reply-row:nth-child(2) button.reply-up")
    assert admin.outline_contrast() >= 3
    keys.press("Enter")
    expect(row(page, 1).locator("input.reply-id")).to_have_value("contact-number")
    # At the top "up" is disabled: the focus stays on the row, on "down".
    expect(row(page, 1).locator("button.reply-down")).to_be_focused()

    admin.tab_to(".reply-row:nth-child(2) button.reply-remove")
    keys.press("Space")
    expect(page.locator(".reply-row")).to_have_count(1)
    expect(page.locator(".reply-editor .notice")).to_be_focused()

    admin.tab_to(".reply-editor button[type=submit]")
    assert admin.outline_contrast() >= 3
    keys.press("Space")
    expect(page.locator(".reply-editor .notice")).to_have_text(
        "已保存：警员现在看到的是这 1 个模板。")
    assert [reply["id"] for reply in saved_replies(stack, admin)["replies"]] == ["contact-number"]


def test_a_new_id_differs_from_the_others_and_the_list_stops_at_the_apis_limit(admin, stack):
    put_replies(stack, admin, [THANKS])
    page = admin.page
    open_editor(admin)
    page.get_by_role("button", name="添加模板").click()
    row(page, 2).get_by_label("标题（英文）").fill("Thanks")
    expect(row(page, 2).locator("input.reply-id")).to_have_value("thanks-2")
    row(page, 2).get_by_label("标题（英文）").fill("谢谢")        # no a–z, 0–9 in it
    expect(row(page, 2).locator("input.reply-id")).to_have_value("reply")
    row(page, 2).locator("input.reply-id").fill("mine")
    row(page, 2).get_by_label("标题（英文）").fill("Something else")
    expect(row(page, 2).locator("input.reply-id")).to_have_value("mine")   # chosen: kept

    most = LIMITS["templates"]
    put_replies(stack, admin, [template(f"t{number}", f"模板{number}", f"T{number}", "文", "x")
                               for number in range(most)])
    open_editor(admin)
    expect(page.locator(".reply-row")).to_have_count(most)
    expect(page.locator(".reply-count")).to_have_text(
        f"已有 {most} 个模板，已达上限；删除一个后才能再添加。")
    expect(page.get_by_role("button", name="添加模板")).to_be_disabled()
    row(page, most).locator("button.reply-remove").click()
    expect(page.get_by_role("button", name="添加模板")).to_be_enabled()
    expect(page.locator(".reply-count")).to_have_text(f"共 {most - 1} 个模板，最多 {most} 个。")
