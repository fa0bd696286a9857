"""Linking duplicates: one case worked once. The duplicate leaves the queue, its
reporter sees "handled together" and the primary's status and notes to reporters, and
no reporter learns of another; unlinking; audits in the same transaction; races."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from support.api import audit_of, caller, error_code, file_report, send

from chalicelib.tables import Report

CATEGORY = "fraud"


def link(client, officer, report_id, primary_id):
    return send(client, "post", f"/admin/reports/{report_id}/duplicate-of", officer,
                {"report_id": primary_id})


def unlink(client, officer, report_id):
    return send(client, "delete", f"/admin/reports/{report_id}/duplicate-of", officer)


def change(client, officer, report_id, body):
    return send(client, "patch", f"/admin/reports/{report_id}", officer, body)


def queue_ids(client, officer, status="submitted") -> set[str]:
    response = send(client, "get", f"/admin/reports?status={status}&category={CATEGORY}"
                    "&limit=100", officer)
    return {item["report_id"] for item in response.json_body["items"]}


@pytest.fixture
def case(client):
    """Three reporters of one event: the primary's, and two more."""
    reporters = [caller() for _ in range(3)]
    ids = [file_report(client, who, category=CATEGORY,
                       description=f"Fake bank SMS asking for my card, reporter {index}.")
           ["report_id"] for index, who in enumerate(reporters)]
    return reporters, ids


def test_linked_reporters_get_the_primarys_status_and_notes_and_learn_nothing_else(
        client, case):
    (first, second, third), (primary, dup1, dup2) = case
    officer = caller("officer")
    for duplicate in (dup1, dup2):
        linked = link(client, officer, duplicate, primary)
        assert linked.status_code == 200, linked.body
        assert linked.json_body["duplicate_of"] == primary
    # Both directions, and the duplicates have left the queue.
    assert send(client, "get", f"/admin/reports/{primary}", officer).json_body["duplicates"] \
        == sorted([dup1, dup2])
    assert primary in queue_ids(client, officer) and not {dup1, dup2} & queue_ids(client,
                                                                                   officer)
    assert change(client, officer, primary, {
        "status": "in_review",
        "note": {"text": "We are contacting the bank about these messages.",
                 "visibility": "reporter"}}).status_code == 200
    assert change(client, officer, primary, {"note": {
        "text": "Internal: same sender as case 118.", "visibility": "internal"}}).status_code \
        == 200

    own = [(who, send(client, "get", f"/reports/{report_id}", who))
           for who, report_id in ((first, primary), (second, dup1), (third, dup2))]
    for who, response in own:
        body = response.json_body
        assert body["status"] == "in_review"
        assert [note["text"] for note in body["notes"]] == [
            "We are contacting the bank about these messages."]
        assert body["handled_together"] is (who is not first)
    # No reporter's answer names another report, its alias or its words.
    primary_item = Report.get(primary)
    for who, response in own:
        text = response.body.decode()
        others = {primary, dup1, dup2} - {response.json_body["report_id"]}
        assert not any(other in text for other in others)
        if who is not first:
            assert primary_item.alias not in text and "reporter 0" not in text
    listed = send(client, "get", "/reports", second).json_body["items"]
    [mine] = [item for item in listed if item["report_id"] == dup1]
    assert mine["status"] == "in_review" and mine["handled_together"] is True

    # The duplicates follow every move; they cannot be moved on their own.
    assert change(client, officer, primary, {"status": "actioned"}).status_code == 200
    assert {Report.get(r).status for r in (primary, dup1, dup2)} == {"actioned"}
    refused = change(client, officer, dup1, {"status": "dismissed"})
    assert refused.status_code == 409 and error_code(refused) == "report_is_duplicate"


def test_linking_and_unlinking_are_audited_and_unlinking_restores_the_report(client, case):
    (_, second, _), (primary, duplicate, _) = case
    officer = caller("officer")
    assert change(client, officer, duplicate, {"status": "in_review"}).status_code == 200
    assert link(client, officer, duplicate, primary).status_code == 200
    assert Report.get(duplicate).status == "submitted"  # the primary's
    assert change(client, officer, primary, {"note": {
        "text": "Thank you, we have what we need.", "visibility": "reporter"}}).status_code == 200
    assert len(send(client, "get", f"/reports/{duplicate}", second).json_body["notes"]) == 1

    response = unlink(client, officer, duplicate)
    assert response.status_code == 200, response.body
    assert response.json_body["duplicate_of"] is None
    assert response.json_body["status"] == "in_review"  # as before the link
    assert duplicate in queue_ids(client, officer, "in_review")
    assert send(client, "get", f"/admin/reports/{primary}", officer).json_body["duplicates"] \
        == []
    mine = send(client, "get", f"/reports/{duplicate}", second).json_body
    assert mine["handled_together"] is False and mine["notes"] == []
    actions = [(event.action, event.details.get("primary_id")) for event in audit_of(duplicate)]
    assert ("report.linked_as_duplicate", primary) in actions
    assert ("report.unlinked", primary) in actions
    # Repeats change nothing and record nothing.
    assert unlink(client, officer, duplicate).status_code == 200
    assert link(client, officer, duplicate, primary).status_code == 200
    assert link(client, officer, duplicate, primary).status_code == 200
    assert len(audit_of(duplicate)) == len(actions) + 1


def test_links_stay_one_level_deep(client, case):
    _, (primary, duplicate, other) = case
    officer = caller("officer")
    assert link(client, officer, duplicate, primary).status_code == 200
    for report_id, primary_id, code in [
            (primary, other, "report_has_duplicates"),    # a primary cannot become a duplicate
            (other, duplicate, "primary_is_duplicate"),   # nor can a duplicate be a primary
            (duplicate, other, "already_linked")]:
        response = link(client, officer, report_id, primary_id)
        assert response.status_code == 409, response.body
        assert error_code(response) == code


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "validation_error"),
    ({"report_id": None}, 400, "validation_error"),
    ({"report_id": 5}, 400, "validation_error"),
    ({"report_id": "a" * 65}, 400, "validation_error"),
    ({"report_id": "../x"}, 400, "validation_error"),
    ({"report_id": "0" * 32, "extra": 1}, 400, "validation_error"),
    ({"report_id": "0" * 32}, 404, "primary_not_found"),
    ({"report_id": "not-a-report"}, 404, "primary_not_found"),
])
def test_a_bad_link_is_refused(client, case, body, status, code):
    _, (report_id, _, _) = case
    response = send(client, "post", f"/admin/reports/{report_id}/duplicate-of",
                    caller("officer"), body)
    assert response.status_code == status, response.body
    assert error_code(response) == code


def test_a_report_cannot_duplicate_itself_and_a_missing_one_is_404(client, case):
    _, (report_id, _, _) = case
    officer = caller("officer")
    itself = link(client, officer, report_id, report_id)
    assert itself.status_code == 400 and error_code(itself) == "cannot_link_to_self"
    for missing in ("0" * 32, "nope"):
        assert link(client, officer, missing, report_id).status_code == 404
        assert unlink(client, officer, missing).status_code == 404


def test_malformed_and_oversized_link_bodies(client, case):
    _, (report_id, primary, _) = case
    officer = caller("officer")
    path = f"/admin/reports/{report_id}/duplicate-of"
    assert send(client, "post", path, officer, raw="{").status_code == 400
    assert send(client, "post", path, officer, raw="[]").status_code == 400
    huge = json.dumps({"report_id": primary, "pad": "x" * 70_000})
    assert send(client, "post", path, officer, raw=huge).status_code == 413
    assert Report.get(report_id).duplicate_of is None


def test_concurrent_links_of_one_report_to_two_primaries_one_wins(client):
    officer = caller("officer")
    ids = [file_report(client, caller(), category=CATEGORY)["report_id"] for _ in range(3)]
    duplicate, primaries = ids[0], ids[1:]
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(lambda p: link(client, officer, duplicate, p).status_code,
                                   primaries * 3))
    winner = Report.get(duplicate).duplicate_of
    assert winner in primaries
    loser = next(p for p in primaries if p != winner)
    assert Report.get(winner).duplicates == {duplicate}
    assert Report.get(loser).duplicates is None
    assert set(statuses) <= {200, 409} and 200 in statuses


def test_concurrent_links_to_one_primary_all_land_and_a_racing_status_move_reaches_them(
        client):
    officer = caller("officer")
    primary = file_report(client, caller(), category=CATEGORY)["report_id"]
    duplicates = [file_report(client, caller(), category=CATEGORY)["report_id"]
                  for _ in range(6)]

    def link_until_done(duplicate):
        for _ in range(20):  # a 409 from a racing link or move says: read again, retry
            response = link(client, officer, duplicate, primary)
            if response.status_code == 200:
                return 200
        return response.status_code

    def move():
        return change(client, officer, primary, {"status": "in_review"}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        moved = pool.submit(move)
        statuses = list(pool.map(link_until_done, duplicates))
        first_move = moved.result()
    assert statuses == [200] * 6
    assert Report.get(primary).duplicates == set(duplicates)
    if first_move != 200:
        assert move() == 200
    # Whatever the interleaving, every duplicate has the primary's status.
    assert {Report.get(d).status for d in duplicates} == {"in_review"}
