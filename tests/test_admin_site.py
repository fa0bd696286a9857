"""The officers' admin site, driven in headless Chromium (Debian's package, through
Playwright) against the real local stack `make dev` runs: the emulator, `chalice
local`, the SMS sink, the pump with the real evidence worker, and the site's own
server with its CSP. Screenshots land in test-artifacts/screenshots/."""

import json
import re
import uuid
from datetime import UTC, datetime

import pytest
from support.admin_site import (
    BOOTSTRAP_ADMIN,
    SCREENSHOTS,
    SiteTab,
    file_report_with_photo,
    jpeg,
    require_chromium,
    session_storage,
    signed_in_officer,
    site_fixtures,
    wait_until,
)
from support.auth import new_phone
from support.evidence import upload

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.stack]

EVIDENCE_TIMEOUT_MS = 30_000


stack, browser, admin, nothing_went_wrong_unseen = site_fixtures("admin-site")


@pytest.fixture(scope="module")
def officers(admin):
    """Numbers the admin makes officers on the Officers page (the last signs in only in
    the phone-width test: a number signed in with moments before is in its code's
    resend cooldown)."""
    phones = [new_phone(), new_phone(), new_phone()]
    admin.open("#/officers")
    for phone in phones:
        admin.page.locator("input[name=officer-phone]").fill(phone)
        admin.page.get_by_role("button", name="授予警员权限").click()
        expect(admin.page.locator(".notice")).to_have_text(f"已授予 {phone} 警员权限。")
    admin.check()
    return phones


@pytest.fixture(scope="module")
def officer(browser, stack, officers):
    yield from signed_in_officer(browser, stack, officers[0])


@pytest.fixture(scope="module")
def citizen(stack):
    return stack.sign_in(new_phone())


@pytest.fixture(scope="module")
def report(stack, citizen):
    return file_report_with_photo(stack, citizen)


def test_an_officer_signs_in_with_the_code_from_the_sms_sink(officer):
    page = officer.page
    expect(page.locator(".who-phone")).to_have_text(officer.phone)
    expect(page.locator(".who-role")).to_have_text("警员")
    # No admin pages:
    expect(page.locator(".nav a")).to_have_text(["举报", "待回复", "通报", "统计"])
    expect(page.locator("h1")).to_have_text("举报队列")
    stored = session_storage(page)
    assert stored["user"]["role"] == "officer" and stored["refresh_token"]
    assert page.evaluate("() => Object.keys(localStorage)") == ["masses.language"]
    # The token is a real one: the API answers the officer with it.
    me = officer.stack.call("GET", "/me", stored["access_token"]).json()
    assert (me["phone"], me["role"]) == (officer.phone, "officer")


def test_the_officer_opens_a_citizens_report_and_sees_its_thumbnail(officer, report):
    page = officer.page
    officer.open("#/reports?category=other&status=actioned")
    expect(page.locator(".state-empty")).to_contain_text("暂无")
    officer.open("#/reports?category=theft&status=submitted")
    card = page.locator(f"[data-report-id='{report.report_id}']")
    expect(card).to_contain_text(report.description[:40])
    expect(card.locator(".badge")).to_have_text("待处理")
    expect(card.locator("time")).to_have_text(re.compile("前|现在"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "queue.png", full_page=True)

    card.click()
    expect(page).to_have_url(re.compile(f"#/reports/{report.report_id}$"))
    expect(page.locator(".description")).to_have_text(report.description)
    expect(page.locator(".facts")).to_contain_text("39.921900, 116.443600")
    expect(page.locator(".facts")).to_contain_text("朝阳公园南门")
    expect(page.locator("h1 .alias")).to_have_text(re.compile(r"^Reporter-[2-9A-Z]{4}$"))
    # The worker makes the thumbnail after the upload; the page shows it once ready.
    thumbnail = page.locator("figure[data-status=ready] img")
    expect(thumbnail).to_be_visible(timeout=EVIDENCE_TIMEOUT_MS)
    assert wait_until(lambda: thumbnail.evaluate("img => img.complete && img.naturalWidth"), 10) \
        == 320
    page.screenshot(path=SCREENSHOTS / "report.png", full_page=True)

    thumbnail.click()
    large = page.locator("#image-dialog img")
    expect(large).to_be_visible()
    assert wait_until(lambda: large.evaluate("img => img.complete && img.naturalWidth"), 10) == 1280
    page.locator("#image-dialog").get_by_role("button", name="关闭").click()
    expect(large).to_be_hidden()


def test_the_report_links_to_its_printable_chain_of_custody_record(officer, report):
    page = officer.page
    officer.open(f"#/reports/{report.report_id}")
    expect(page.locator("figure[data-status=ready] img")).to_be_visible(
        timeout=EVIDENCE_TIMEOUT_MS)
    page.locator("a.custody-link").click()
    expect(page).to_have_url(re.compile(f"#/reports/{report.report_id}/custody$"))
    row = page.locator(".custody-evidence tbody tr[data-verdict=ready]")
    expect(row).to_have_count(1)
    expect(row.locator(".hash")).to_have_text(re.compile("^[0-9a-f]{64}$"))
    expect(page.locator("h1")).to_contain_text("证据保管链")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "custody.png", full_page=True)


def test_in_review_and_a_note_for_the_reporter_reach_the_citizen(officer, report, stack):
    page = officer.page
    officer.open(f"#/reports/{report.report_id}")
    page.locator("button[data-move-to=in_review]").click()
    expect(page.locator("h1 .badge")).to_have_text("核查中")
    expect(page.locator("button[data-move-to]")).to_have_count(2)     # actioned, dismissed

    internal = f"Checked the CCTV at the gate ({uuid.uuid4().hex[:6]})."
    for_reporter = f"谢谢您的举报，我们正在调取监控。({uuid.uuid4().hex[:6]})"
    for text, visibility in ((internal, "internal"), (for_reporter, "reporter")):
        page.locator("textarea[name=note]").fill(text)
        page.locator(f"input[name=visibility][value={visibility}]").check()
        page.get_by_role("button", name="添加备注").click()
        expect(page.locator(f".note-{visibility}").last).to_contain_text(text)
    expect(page.locator("textarea[name=note]")).to_have_value("")

    seen = stack.call("GET", f"/reports/{report.report_id}", report.citizen_token).json()
    assert seen["status"] == "in_review"
    assert [note["text"] for note in seen["notes"]] == [for_reporter]


def test_an_officer_asks_the_citizen_answers_with_a_photo_and_the_inbox_empties(
        officer, stack, citizen):
    filed = file_report_with_photo(stack, citizen)
    report_id, token = filed.report_id, filed.citizen_token
    page = officer.page
    officer.open(f"#/reports/{report_id}")
    expect(page.locator(".conversation .state-empty")).to_be_visible()
    question = f"车往哪个方向开了？({uuid.uuid4().hex[:6]})"
    page.locator("textarea[name=reply]").fill(question)
    page.get_by_role("button", name="发送", exact=True).click()
    expect(page.locator(".message-police")).to_contain_text(question)
    expect(page.locator(".message-police")).to_contain_text("朝阳分局")
    expect(page.locator("textarea[name=reply]")).to_have_value("")

    # The citizen's app: one unread message from the unit, answered with a photo.
    assert stack.call("GET", f"/reports/{report_id}", token).json()["unread_messages"] == 1
    thread = stack.call("GET", f"/reports/{report_id}/messages", token)
    assert officer.phone.removeprefix("+86") not in thread.text
    [asked] = thread.json()["items"]
    assert (asked["author"], asked["unit"], asked["body"]) == ("police", "朝阳分局", question)
    photo = jpeg(1200, 900, (40, 160, 40))
    ticket = stack.call("POST", f"/reports/{report_id}/evidence", token,
                        {"content_type": "image/jpeg", "size": len(photo)}).json()
    upload(ticket["upload"], photo, "image/jpeg")
    answer = f"往北开了，这是我拍的照片。({uuid.uuid4().hex[:6]})"
    sent = stack.call("POST", f"/reports/{report_id}/messages", token,
                      {"body": answer, "attachments": [ticket["evidence_id"]]})
    assert sent.status_code == 201, sent.text

    officer.open("#/reports?category=theft&status=submitted")
    card = page.locator(f".queue [data-report-id='{report_id}']")
    expect(card.locator(".badge-unread")).to_have_text("1 条未读")
    officer.open("#/inbox")
    waiting = page.locator(f".inbox [data-report-id='{report_id}']")
    expect(waiting).to_contain_text("已等待")
    expect(waiting.locator(".badge-unread")).to_have_text("1 条未读")
    page.screenshot(path=SCREENSHOTS / "inbox.png", full_page=True)

    waiting.click()
    reply = page.locator(".message-reporter")
    expect(reply).to_contain_text(answer)
    expect(reply.locator(".alias, strong").first).to_have_text(re.compile(r"^Reporter-"))
    # The panel shows the photo with the evidence gallery, once the worker made it.
    thumbnail = reply.locator("figure[data-status=ready] img")
    expect(thumbnail).to_be_visible(timeout=EVIDENCE_TIMEOUT_MS)
    assert wait_until(lambda: thumbnail.evaluate("img => img.complete && img.naturalWidth"),
                      10) == 320
    page.screenshot(path=SCREENSHOTS / "conversation.png", full_page=True)

    page.locator("textarea[name=reply]").fill("谢谢，照片已收到。")
    page.get_by_role("button", name="发送", exact=True).click()
    expect(page.locator(".message-police")).to_have_count(2)
    officer.open("#/inbox")
    expect(page.locator(".inbox .state-empty")).to_be_visible()
    expect(page.locator(f".inbox [data-report-id='{report_id}']")).to_have_count(0)


def test_a_missing_person_bulletin_with_an_image_is_published(officer, stack):
    page = officer.page
    officer.open("#/bulletins")
    page.locator("#new-bulletin").click()
    title = f"寻找走失老人 {uuid.uuid4().hex[:6]}"
    page.locator("[name=title]").fill(title)
    # Another category swaps its own fields and keeps what was typed in the others.
    page.locator("select[name=category]").select_option("missing_person")
    expect(page.locator("form.bulletin-form")).to_have_attribute("data-category",
                                                                 "missing_person")
    expect(page.locator("[name=title]")).to_have_value(title)
    expect(page.locator("[name=case_number]")).to_have_count(0)      # key_case's own field
    for name, value in {"body": "王大爷于昨晚离家后未归，家人十分着急。",
                        "district": "朝阳区", "contact": "110 或 朝阳分局 010-65000000",
                        "name": "王建国", "age": "78", "height_cm": "168",
                        "last_seen_place": "朝阳公园南门",
                        "last_seen_at": "2026-11-27T18:30"}.items():
        page.locator(f"[name={name}]").fill(value)
    page.locator("select[name=sex]").select_option("male")
    page.locator("input[name=at_risk]").check()
    page.locator("input[name=images]").set_input_files(
        [{"name": "wang.jpg", "mimeType": "image/jpeg", "buffer": jpeg(900, 1200, (90, 120, 60))}])
    page.screenshot(path=SCREENSHOTS / "bulletin-form.png", full_page=True)
    page.get_by_role("button", name="发布", exact=True).click()

    expect(page).to_have_url(re.compile(r"#/bulletins/[0-9a-f]{32}$"))
    bulletin_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator(".facts")).to_contain_text("王建国")
    image = page.locator("figure.evidence-ready img")
    expect(image).to_be_visible(timeout=EVIDENCE_TIMEOUT_MS)
    assert wait_until(lambda: image.evaluate("img => img.complete && img.naturalWidth"), 10) == 240

    listing = stack.call("GET", "/bulletins?category=missing_person&limit=100").json()
    [listed] = [item for item in listing["items"] if item["id"] == bulletin_id]
    assert listed["title"] == title and listed["status"] == "published"
    assert listed["thumb_url"]
    published = stack.call("GET", f"/bulletins/{bulletin_id}").json()
    assert (published["name"], published["sex"], published["age"], published["at_risk"]) == (
        "王建国", "male", 78, True)
    assert datetime.fromisoformat(published["last_seen_at"]).isoformat() == \
        "2026-11-27T10:30:00+00:00"      # 18:30 in Beijing


def test_a_bulletin_sent_as_an_alert_reaches_a_subscribed_phone(officer, stack):
    """The form says how many devices the alert reaches; the push sink shows what SNS
    was asked to deliver to the subscriber's token."""
    district, token = "延庆区", f"browser-{uuid.uuid4().hex}"
    citizen = stack.sign_in(new_phone())["access_token"]
    assert stack.call("PUT", f"/me/devices/install-{uuid.uuid4().hex[:12]}", citizen,
                      {"platform": "apns", "token": token}).status_code == 200
    assert stack.call("PUT", "/me/alerts", citizen, {"subscriptions": [
        {"category": "missing_person", "district": district}]}).status_code == 200

    def audience():
        return stack.call("GET", "/admin/alerts/audience?category=missing_person&district="
                          f"{district}", officer.token()).json()["devices"]
    devices = wait_until(audience, timeout=30)
    assert devices >= 1
    page = officer.page
    officer.open("#/bulletins/new?category=missing_person")
    # The district field suggests the stage's districts (GET /districts), this one too.
    expect(page.locator("[name=district]")).to_have_attribute("list", "district-options")
    expect(page.locator(f'#district-options option[value="{district}"]')).to_have_count(1)
    title = f"寻找走失儿童 {uuid.uuid4().hex[:6]}"
    for name, value in {"title": title, "body": "孩子于下午四点在公园走失。",
                        "contact": "110", "name": "李小红", "age": "7",
                        "last_seen_place": "妫水公园", "last_seen_at": "2026-11-30T16:00",
                        "district": district}.items():
        page.locator(f"[name={name}]").fill(value)
    page.locator("select[name=sex]").select_option("female")
    page.locator("[name=district]").dispatch_event("change")
    expect(page.locator(".alert-reach")).to_have_text(f"将推送到 {devices} 台已订阅的设备。")
    page.locator("input[name=alert]").check()
    page.locator(".alert-choice").screenshot(path=SCREENSHOTS / "bulletin-alert.png")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/bulletins/[0-9a-f]{32}$"))
    bulletin_id = page.url.rsplit("/", 1)[1]
    pushed = wait_until(lambda: stack.pushes_to(token), timeout=30)
    assert [(p["title"], p["body"], p["data"]) for p in pushed] == [
        ("寻人 · 延庆区", title, {"bulletin_id": bulletin_id, "category": "missing_person",
                               "district": district})]
    officer.check()


def test_a_bulletin_is_edited_shows_its_clues_and_is_resolved_and_another_retracted(
        officer, stack, citizen):
    page = officer.page
    draft = {"category": "vehicle", "title": f"寻找肇事车辆 {uuid.uuid4().hex[:6]}",
             "body": "11月27日晚，一辆白色轿车撞伤行人后逃逸。", "district": "朝阳区",
             "contact": "010-65000000", "plate": "京A12345", "sought_for": "hit_and_run"}
    bulletin_ids = []
    for _ in range(2):
        published = stack.call("POST", "/bulletins", officer.token(), draft)
        assert published.status_code == 201, published.text
        bulletin_ids.append(published.json()["id"])
    resolved_id, retracted_id = bulletin_ids
    clue = file_report_with_photo(stack, citizen, bulletin_id=resolved_id,
                                  category="traffic")

    officer.open(f"#/bulletins/{resolved_id}/edit")
    page.locator("[name=colour]").fill("白色")
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator(".facts")).to_contain_text("白色")
    expect(page.locator(f".report-card [data-report-id='{clue.report_id}']")).to_contain_text(
        clue.description[:30])

    page.locator("select[name=outcome]").select_option("recovered")
    page.locator("textarea[name=resolve-note]").fill("车辆已在通州找到。")
    page.get_by_role("button", name="标记为已解决").click()
    page.locator("#confirm-dialog").get_by_role("button", name="标记为已解决").click()
    expect(page.locator("h1 .badge")).to_have_text("已解决")
    expect(page.locator(".bulletin-actions form")).to_have_count(0)

    officer.open(f"#/bulletins/{retracted_id}")
    page.locator("textarea[name=retract-reason]").fill("信息有误，车牌号不对。")
    page.get_by_role("button", name="撤回通报").click()
    page.locator("#confirm-dialog").get_by_role("button", name="撤回通报").click()
    expect(page.locator("h1 .badge")).to_have_text("已撤回")

    resolved = stack.call("GET", f"/bulletins/{resolved_id}").json()
    retracted = stack.call("GET", f"/bulletins/{retracted_id}").json()
    assert (resolved["status"], resolved["outcome"], resolved["colour"]) == (
        "resolved", "recovered", "白色")
    assert (retracted["status"], retracted["reason"]) == ("retracted", "信息有误，车牌号不对。")


def test_a_citizens_token_is_refused_on_the_admin_pages(browser, stack):
    visitor = SiteTab(browser, stack, new_phone())
    page = visitor.page
    try:
        # Signing in with a citizen's number: refused, and no session is kept.
        visitor.open()
        visitor.sign_in()
        expect(page.locator(".notice")).to_have_text("此账号不是警员账号，不能使用警务工作台。")
        expect(page.locator(".masthead")).to_be_hidden()
        assert session_storage(page) is None

        # A citizen's real session planted in the tab: the site checks it and drops it.
        citizen = stack.sign_in(new_phone())
        planted = {"access_token": citizen["access_token"],
                   "refresh_token": citizen["refresh_token"], "expires_at": 9e15,
                   "user": {**citizen["user"], "role": "officer"}}
        page.evaluate("session => sessionStorage.setItem('masses.session', session)",
                      json.dumps(planted))
        page.reload()
        expect(page.locator(".notice")).to_have_text("此账号不是警员账号，不能使用警务工作台。")
        expect(page.locator(".masthead")).to_be_hidden()
        assert session_storage(page) is None
        # And the API itself refuses the token on every admin route.
        for path in ("/admin/reports?category=theft", "/admin/audit"):
            assert stack.call("GET", path, citizen["access_token"]).status_code == 403
        visitor.check()
    finally:
        visitor.context.close()


def test_the_english_switch_works_and_is_remembered(officer):
    page = officer.page
    officer.open("#/reports")
    try:
        page.get_by_role("button", name="English").click()
        expect(page.locator("h1")).to_have_text("Report queue")
        expect(page.locator(".nav a")).to_have_text(["Reports", "Inbox", "Bulletins",
                                                     "Dashboard"])
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("select[name=category] option").nth(1)).to_have_text(
            re.compile(r"^Theft \(\d+\)$"))
        page.reload()
        expect(page.locator("h1")).to_have_text("Report queue")
        expect(page.locator(".who-role")).to_have_text("Officer")
    finally:
        page.get_by_role("button", name="中文").click()
    expect(page.locator("h1")).to_have_text("举报队列")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_an_expired_access_token_is_refreshed_quietly(officer, stack):
    page = officer.page
    officer.open("#/reports")
    before = session_storage(page)
    page.evaluate("""() => {
        const session = JSON.parse(sessionStorage.getItem('masses.session'));
        sessionStorage.setItem('masses.session', JSON.stringify({...session, expires_at: 0}));
    }""")
    page.reload()
    expect(page.locator("h1")).to_have_text("举报队列")
    expect(page.locator("#signin-dialog")).to_be_hidden()
    after = session_storage(page)
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_token"] != before["access_token"]
    assert after["expires_at"] > before["expires_at"]
    # The old refresh token was spent by the rotation.
    assert stack.call("POST", "/auth/refresh",
                      body={"refresh_token": before["refresh_token"]}).status_code == 401


def test_a_401_brings_back_sign_in_without_losing_what_was_typed(officer, officers, report,
                                                                 stack):
    page = officer.page
    officer.open(f"#/reports/{report.report_id}")
    typed = f"记录：举报人所述车锁型号为 U 型锁。{uuid.uuid4().hex[:6]}"
    page.locator("textarea[name=note]").fill(typed)
    # The session ends behind the officer's back: its refresh token is logged out, and
    # the next call meets an expired access token.
    stored = session_storage(page)
    assert stack.call("POST", "/auth/logout", stored["access_token"],
                      {"refresh_token": stored["refresh_token"]}).status_code == 204
    expired = {"error": {"code": "invalid_token", "message": "The access token is expired."}}
    patch = re.compile(r".*/admin/reports/[0-9a-f]{32}$")

    def answer_expired(route):
        if route.request.method != "PATCH":
            route.fallback()
            return
        route.fulfill(status=401, json=expired,
                      headers={"Access-Control-Allow-Origin": stack.site})

    page.route(patch, answer_expired)
    page.get_by_role("button", name="添加备注").click()

    dialog = page.locator("#signin-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("您填写的内容都还在")
    assert session_storage(page) is None
    expect(page.locator("textarea[name=note]")).to_have_value(typed)
    page.unroute(patch)

    officer.sign_in(officers[1], within=dialog)        # the next officer on shift
    expect(dialog).to_be_hidden()
    expect(page.locator(".who-phone")).to_have_text(officers[1])
    expect(page.locator("textarea[name=note]")).to_have_value(typed)
    page.get_by_role("button", name="添加备注").click()
    expect(page.locator(".note-internal").last).to_contain_text(typed)


def test_an_admin_reveals_a_reporter_and_reads_the_audit_trail(admin, report, officers):
    page = admin.page
    admin.open(f"#/reports/{report.report_id}")
    page.locator("details.reveal summary").click()
    page.locator("textarea[name=reason]").fill("举报人可能是目击证人，需要当面核实情况。")
    page.get_by_role("button", name="查看身份").click()
    expect(page.locator(".revealed-phone")).to_have_text(report.citizen_phone)

    admin.open("#/audit")
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("tr[data-action='report.identity_revealed']").first).to_contain_text(
        "查看举报人身份")
    expect(page.locator("tr[data-action='role.change']")).to_have_count(len(officers) + 1)


def test_api_errors_reach_the_officer_in_their_language(admin):
    page = admin.page
    admin.open("#/officers")
    page.locator("input[name=officer-phone]").fill("12345")
    page.get_by_role("button", name="授予警员权限").click()
    expect(page.locator(".notice-error")).to_have_text(re.compile("手机号"))
    page.locator("input[name=officer-phone]").fill(BOOTSTRAP_ADMIN)
    page.get_by_role("button", name="撤销警员权限").click()
    page.locator("#confirm-dialog").get_by_role("button", name="撤销警员权限").click()
    expect(page.locator(".notice-error")).to_have_text("该号码属于管理员，不能在这里更改。")



def test_logout_ends_the_session_on_the_server_too(admin, stack):
    page = admin.page
    stored = session_storage(page)
    page.locator("#logout").click()
    expect(page.locator(".signin-page .notice")).to_have_text("您已退出登录。")
    expect(page.locator(".masthead")).to_be_hidden()
    assert session_storage(page) is None
    assert stack.call("POST", "/auth/refresh",
                      body={"refresh_token": stored["refresh_token"]}).status_code == 401


def test_nearby_reports_are_compared_side_by_side_and_linked_in_one_click(officer, stack):
    """Two people report one event 40 m apart with the same photo: the officer sees the
    other beside this one, links it with one click, sees it listed, and unlinks it."""
    page = officer.page
    somewhere = {"latitude": 39.95 + uuid.uuid4().int % 1000 / 20_000, "longitude": 116.48,
                 "accuracy_m": 10.0, "address": "三里屯"}
    near_it = {**somewhere, "latitude": somewhere["latitude"] + 0.00036}
    first = file_report_with_photo(stack, stack.sign_in(new_phone()), location=somewhere)
    second = file_report_with_photo(stack, stack.sign_in(new_phone()), location=near_it)

    def processed(filed):
        seen = stack.call("GET", f"/reports/{filed.report_id}", filed.citizen_token).json()
        return all(item["status"] == "ready" for item in seen["evidence"])
    assert wait_until(lambda: processed(first) and processed(second), 30)

    officer.open(f"#/reports/{first.report_id}")
    expect(page.locator("#duplicates-title")).to_have_text("可能重复的举报")
    item = page.locator(f".nearby-item[data-report-id='{second.report_id}']")
    expect(item).to_contain_text("照片完全相同")
    expect(item.locator(".nearby-facts")).to_contain_text(re.compile(r"相距 4\d 米"))
    thumbs = item.locator(".side-by-side img")
    expect(thumbs).to_have_count(2)                       # this report's, and that one's
    for thumb in (thumbs.nth(0), thumbs.nth(1)):
        assert wait_until(lambda thumb=thumb: thumb.evaluate(
            "img => img.complete && img.naturalWidth"), 10) == 320
    page.screenshot(path=SCREENSHOTS / "nearby.png", full_page=True)

    item.locator("button.link-that").click()
    expect(page.locator("section.report > .notice")).to_contain_text("已关联")
    linked = page.locator(f".linked-list [data-report-id='{second.report_id}']")
    expect(linked).to_be_visible()
    expect(item.locator(".actions")).to_contain_text("已关联到此举报")
    seen = stack.call("GET", f"/reports/{second.report_id}", second.citizen_token).json()
    assert seen["handled_together"] is True and first.report_id not in json.dumps(seen)

    # The duplicate's own page says it moves with its primary, in either language.
    officer.open(f"#/reports/{second.report_id}")
    expect(page.locator(".linked-box")).to_contain_text("此举报已与另一举报合并处理")
    expect(page.locator("button[data-move-to]")).to_have_count(0)
    page.locator("button.language").click()
    expect(page.locator("#duplicates-title")).to_have_text("Possible duplicates")
    expect(page.locator(".linked-box")).to_contain_text("handled together with another report")
    page.locator("button.language").click()
    expect(page.locator("#duplicates-title")).to_have_text("可能重复的举报")

    officer.open(f"#/reports/{first.report_id}")
    page.locator(f".linked-list [data-report-id='{second.report_id}'] button.unlink").click()
    expect(page.locator("section.report > .notice")).to_contain_text("已取消关联")
    expect(page.locator(".linked-box")).to_contain_text("没有举报关联到此举报。")
    seen = stack.call("GET", f"/reports/{second.report_id}", second.citizen_token).json()
    assert seen["handled_together"] is False


def test_a_conversation_fits_a_phone_and_is_answered_by_keyboard(browser, stack, officers,
                                                                 citizen):
    """At 390 px the report with its thread and the inbox are no wider than the screen,
    and an officer answers the reporter with the keyboard alone."""
    filed = file_report_with_photo(stack, citizen)
    written = stack.call("POST", f"/reports/{filed.report_id}/messages", filed.citizen_token,
                         {"body": "The car had a dent in the back door, left side."})
    assert written.status_code == 201, written.text
    phone = SiteTab(browser, stack, officers[2], viewport={"width": 390, "height": 844})
    try:
        phone.open()
        phone.sign_in()
        page = phone.page
        for route, ready in ((f"#/reports/{filed.report_id}", ".message-reporter"),
                             ("#/inbox", f".inbox [data-report-id='{filed.report_id}']")):
            phone.open(route)
            expect(page.locator(ready)).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, route

        phone.open(f"#/reports/{filed.report_id}")
        expect(page.locator(".message-reporter")).to_be_visible()
        page.locator("textarea[name=reply]").focus()
        page.keyboard.type("Which colour was the car?")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "发送"
        page.keyboard.press("Enter")
        expect(page.locator(".message-police")).to_contain_text("Which colour was the car?")
        page.screenshot(path=SCREENSHOTS / "conversation-phone.png", full_page=True)
        phone.check()
    finally:
        phone.context.close()


def test_the_public_transparency_page_shows_twelve_months_without_signing_in(
        browser, stack, citizen):
    """No sign-in: the last 12 months as a table and an inline SVG chart, a count from
    1 to 4 only as "fewer than 5", in Chinese and then English, within the CSP."""
    filed = stack.call("POST", "/reports", citizen["access_token"], {
        "category": "missing_or_trafficked_person",
        "description": "A child was seen alone at the station for hours.",
        "location": {"address": "朝阳站"},
        "occurred_at": datetime.now(UTC).isoformat()})
    assert filed.status_code == 201, filed.text
    visitor = SiteTab(browser, stack, new_phone())
    try:
        page = visitor.page
        visitor.open()
        page.get_by_role("link", name="透明度报告").click()
        expect(page.locator("h1")).to_have_text("透明度报告")
        expect(page.locator(".masthead")).to_be_hidden()
        table = page.locator(".transparency-table")
        assert table.locator("thead th").count() == 13
        this_month = datetime.now(UTC).strftime("%Y-%m")
        expect(table.locator("thead th").last).to_have_text(this_month)
        row = table.locator("tr[data-measure='reports_filed.missing_or_trafficked_person']")
        expect(row.locator("th")).to_have_text("失踪或被拐人员")
        expect(row.locator("td").last).to_have_text("少于 5")
        assert page.locator(".transparency-chart svg rect.bar").count() == 12
        cells = table.locator("td").all_text_contents()
        assert not {"1", "2", "3", "4"} & set(cells)
        expect(page.locator(".transparency")).to_contain_text("管理员")
        page.screenshot(path=SCREENSHOTS / "transparency-zh.png", full_page=True)

        page.get_by_role("button", name="English").click()
        expect(page.locator("h1")).to_have_text("Transparency report")
        expect(row.locator("td").last).to_have_text("fewer than 5")
        expect(page.locator(".transparency")).to_contain_text("Only an administrator")
        page.screenshot(path=SCREENSHOTS / "transparency-en.png", full_page=True)
        visitor.check()
    finally:
        visitor.context.close()
