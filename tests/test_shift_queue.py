"""The officers' shift: one queue across categories (paged exactly once while reports
arrive, filtered, counted), taking a report (one of two officers wins), urgency."""

import random
import threading
import uuid

import pytest
from support.api import audit_of, caller, error_code, file_report, send
from support.bulletins import unique_district

from chalicelib.errors import Conflict, ErrorCode
from chalicelib.reports import triage
from chalicelib.reports.bodies import CATEGORIES, ReportChange
from chalicelib.tables import User


def pages(client, officer, path: str, between=lambda: None) -> list[list[dict]]:
    """Every page of `path`, calling `between` after each one."""
    result, cursor = [], None
    while True:
        separator = "&" if "?" in path else "?"
        response = send(client, "get", path + (f"{separator}cursor={cursor}" if cursor else ""),
                        officer)
        assert response.status_code == 200, response.body
        result.append(response.json_body["items"])
        between()
        cursor = response.json_body["next_cursor"]
        if cursor is None:
            return result


def file_in(client, district: str, category: str) -> str:
    return file_report(client, caller(), category=category, district=district)["report_id"]


def test_the_queue_across_categories_is_paged_exactly_once_while_reports_arrive(client):
    district, rng = unique_district(), random.Random(17)
    there = {file_in(client, district, CATEGORIES[n % 8]): None for n in range(120)}
    arrived = []

    def more_arrive():
        arrived.extend(file_in(client, district, rng.choice(CATEGORIES)) for _ in range(3))

    officer = caller("officer")
    listed = [item for page in pages(client, officer, "/admin/reports?limit=25", more_arrive)
              for item in page]
    ids = [item["report_id"] for item in listed]
    assert len(ids) == len(set(ids)), "a report was listed twice"
    assert set(there) <= set(ids), "a report that was there from the start was missed"
    assert {item["category"] for item in listed if item["report_id"] in there} == set(CATEGORIES)
    assert all(item["status"] == "submitted" for item in listed)
    # Those that were there from the start come oldest first. (One that arrives while
    # the pages are read is listed where the categories' cursors still are: after a
    # report another test filed with a clock in the future, say.)
    times = [item["created_at"] for item in listed if item["report_id"] not in arrived]
    assert times == sorted(times), "submitted reports come oldest first"

    # The district filter keeps only these; a page never exceeds its limit.
    mine = pages(client, officer, f"/admin/reports?district={district}&limit=30")
    mine_ids = [item["report_id"] for page in mine for item in page]
    assert all(len(page) <= 30 for page in mine)
    assert len(mine_ids) == len(set(mine_ids))
    assert set(mine_ids) == set(there) | set(arrived)


def test_newest_first_across_categories_and_one_category(client):
    district = unique_district()
    filed = [file_in(client, district, category) for category in ("fraud", "drugs", "fraud")]
    officer = caller("officer")
    newest = [item["report_id"] for page in pages(
        client, officer, f"/admin/reports?district={district}&order=newest_first&limit=2")
        for item in page]
    assert newest == filed[::-1]
    fraud = [item["report_id"] for page in pages(
        client, officer, f"/admin/reports?district={district}&category=fraud") for item in page]
    assert fraud == [filed[0], filed[2]]


def test_the_queue_answers_each_categorys_count_kept_at_write_time(client):
    officer = caller("officer")
    before = send(client, "get", "/admin/reports?limit=1", officer).json_body["category_counts"]
    assert set(before) == set(CATEGORIES)
    report_id = file_report(client, caller(), category="traffic")["report_id"]
    file_report(client, caller(), category="traffic")
    after = send(client, "get", "/admin/reports?limit=1", officer).json_body["category_counts"]
    assert after["traffic"] == before["traffic"] + 2
    send(client, "patch", f"/admin/reports/{report_id}", officer, {"status": "in_review"})
    moved = send(client, "get", "/admin/reports?limit=1", officer).json_body["category_counts"]
    reviewing = send(client, "get", "/admin/reports?status=in_review&limit=1",
                     officer).json_body["category_counts"]
    assert moved["traffic"] == before["traffic"] + 1
    assert reviewing["traffic"] >= 1


def officer_with_profile(name: str, role: str = "officer"):
    officer = caller(role)
    User(officer.user_id, phone=f"+86139{uuid.uuid4().int % 10**8:08d}", role=role,
         created_at=triage.clock.now(), display_name=name).save()
    return officer


def test_two_officers_taking_one_report_at_once_one_wins(client):
    report_id = file_report(client, caller())["report_id"]
    officers = [officer_with_profile("Li Wei"), officer_with_profile("Wang Fang")]
    barrier, outcomes = threading.Barrier(2), {}

    def take(officer):
        barrier.wait()
        try:
            triage.change(officer.principal, report_id, ReportChange(assignee="me"))
            outcomes[officer.user_id] = "took it"
        except Conflict as refused:
            outcomes[officer.user_id] = refused.code

    threads = [threading.Thread(target=take, args=(officer,)) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == sorted(["took it", ErrorCode.REPORT_TAKEN]) or \
        sorted(outcomes.values()) == sorted(["took it", ErrorCode.REPORT_CHANGED])
    [winner] = [user_id for user_id, outcome in outcomes.items() if outcome == "took it"]
    shown = send(client, "get", f"/admin/reports/{report_id}", officers[0]).json_body
    assert shown["assignee"]["id"] == winner
    assigned = [event for event in audit_of(report_id) if event.action == "report.assigned"]
    assert [(event.actor_id, event.details["to"]) for event in assigned] == [(winner, winner)]


def test_taking_a_report_held_by_another_is_409_unless_an_admin_forces_it(client):
    report_id = file_report(client, caller())["report_id"]
    holder, other = officer_with_profile("Li Wei"), officer_with_profile("Zhao Min")
    admin = officer_with_profile("Chen Jie", role="admin")
    path = f"/admin/reports/{report_id}"

    taken = send(client, "patch", path, holder, {"assignee": "me"})
    assert taken.status_code == 200
    assert taken.json_body["assignee"] == {"id": holder.user_id, "display_name": "Li Wei"}
    assert send(client, "patch", path, holder, {"assignee": "me"}).status_code == 200  # again

    for body in ({"assignee": "me"}, {"assignee": None}):
        refused = send(client, "patch", path, other, body)
        assert refused.status_code == 409 and error_code(refused) == "report_taken"
    forced_by_officer = send(client, "patch", path, other, {"assignee": "me", "force": True})
    assert forced_by_officer.status_code == 403
    assert error_code(forced_by_officer) == "force_admins_only"

    forced = send(client, "patch", path, admin, {"assignee": "me", "force": True})
    assert forced.status_code == 200 and forced.json_body["assignee"]["display_name"] == "Chen Jie"
    given_back = send(client, "patch", path, admin, {"assignee": None})
    assert given_back.status_code == 200 and given_back.json_body["assignee"] is None

    moves = [(event.actor_id, event.details["from"], event.details["to"], event.details["forced"])
             for event in audit_of(report_id) if event.action == "report.assigned"]
    assert moves == [(holder.user_id, None, holder.user_id, False),
                     (admin.user_id, holder.user_id, admin.user_id, True),
                     (admin.user_id, admin.user_id, None, False)]


def test_urgency_and_assignment_filter_the_queue(client):
    district = unique_district()
    urgent_id, plain_id, taken_id = (file_in(client, district, "violence") for _ in range(3))
    officer = officer_with_profile("Sun Li")
    assert send(client, "patch", f"/admin/reports/{urgent_id}", officer,
                {"urgent": True}).json_body["urgent"] is True
    send(client, "patch", f"/admin/reports/{taken_id}", officer, {"assignee": "me"})

    def listed(query: str, who=officer) -> list[str]:
        return [item["report_id"] for page in pages(
            client, who, f"/admin/reports?district={district}&{query}") for item in page]

    assert listed("urgent=true") == [urgent_id]
    assert listed("urgent=false") == [plain_id, taken_id]
    assert listed("assigned=me") == [taken_id]
    assert listed(f"assigned={officer.user_id}", caller("officer")) == [taken_id]
    assert listed("assigned=me", caller("officer")) == []
    assert listed("assigned=none") == [urgent_id, plain_id]
    [event] = [e for e in audit_of(urgent_id) if e.action == "report.urgency_changed"]
    assert event.details == {"urgent": True}
    # Marking it urgent again changes nothing and records nothing.
    send(client, "patch", f"/admin/reports/{urgent_id}", officer, {"urgent": True})
    assert len([e for e in audit_of(urgent_id) if e.action == "report.urgency_changed"]) == 1


@pytest.mark.parametrize("body", [{"assignee": "you"}, {"urgent": "yes"}, {"force": True},
                                  {"assignee": "me", "colour": "red"}])
def test_bad_changes_are_400_naming_the_field(client, body):
    report_id = file_report(client, caller())["report_id"]
    refused = send(client, "patch", f"/admin/reports/{report_id}", caller("officer"), body)
    assert refused.status_code == 400
