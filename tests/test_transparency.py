"""The transparency report (GET /transparency) counts each act when it happens, 50
concurrent filings included, shows 1 to 4 only as "fewer than 5", is public and
cacheable; the policy (GET /transparency/policy) states the periods in force.

Each test acts in a month of its own (the app's clock moved far ahead), so the counts
it reads are its acts alone, whatever other tests do meanwhile."""

import json
import random
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from support.api import caller, error_code, file_report, registered_citizen, report_body, send
from support.auth import in_parallel
from support.bulletins import draft
from support.evidence import JPEG, processed
from support.retention import at, close, filed_with_evidence, own_partition

from chalicelib import clock, counters, reports
from chalicelib.reports import filing
from chalicelib.reports.bodies import NewReport, ReportCategory
from chalicelib.retention import purge
from chalicelib.settings import settings
from chalicelib.tables import PhoneClaim
from chalicelib.tokens import Principal
from chalicelib.transparency import SERIES, Act


@pytest.fixture
def month(monkeypatch) -> str:
    """A month no other test acts in: the clock moved to its middle."""
    moment = datetime(random.randrange(2200, 9000), random.randrange(1, 13), 15, 12,
                      tzinfo=UTC)
    at(monkeypatch, moment)
    return moment.strftime("%Y-%m")


def published(client, month: str, **query) -> dict:
    response = send(client, "get", f"/transparency?month={month}")
    assert response.status_code == 200, response.body
    [report] = response.json_body["months"]
    return report


def raw(month: str) -> dict[str, int]:
    return counters.read(SERIES, month, month).get(month, {})


def test_counters_match_the_acts_including_50_concurrent_filings(client, month, monkeypatch):
    own_partition(monkeypatch)
    body = msgspec.convert(report_body(), NewReport)
    filed = in_parallel([lambda: filing.file_report(Principal(caller().user_id, "citizen"),
                                                    body) for _ in range(50)])
    assert len({report.report_id for report in filed}) == 50

    admin, officer = caller("admin"), caller("officer")
    fraud = [filed_with_evidence(client, category="fraud") for _ in range(3)]
    close(client, fraud[0], "actioned")
    close(client, fraud[1], "dismissed")
    evidence_id = fraud[0].evidence_id
    assert send(client, "get", f"/admin/reports/{fraud[0].report_id}/evidence/{evidence_id}"
                "/original", officer).status_code == 200
    assert send(client, "post", f"/admin/reports/{fraud[2].report_id}/reveal", admin,
                {"reason": "Court order 2026-114 for the fraud case."}).status_code == 200
    hold = f"/admin/reports/{fraud[2].report_id}/hold"
    assert send(client, "put", hold, admin, {"reason": "Court case 2026-311."}).status_code == 200
    assert send(client, "delete", hold, admin).status_code == 200
    assert purge.purge_report(fraud[1].report_id, clock.now() + timedelta(days=365))
    deleted, phone = registered_citizen()
    PhoneClaim(phone, user_id=deleted.user_id, role="citizen").save()
    assert send(client, "delete", "/me", deleted).status_code == 204
    bulletin = send(client, "post", "/bulletins", officer, draft("vehicle"))
    assert bulletin.status_code == 201, bulletin.body
    alerted = send(client, "post", "/bulletins", officer, {**draft("vehicle"), "alert": True})
    assert alerted.status_code == 201, alerted.body
    outcome = send(client, "patch", f"/bulletins/{alerted.json_body['id']}", officer,
                   {"status": "resolved", "outcome": "found"})
    assert outcome.status_code == 200, outcome.body

    assert raw(month) == {"reports_filed.theft": 50, "reports_filed.fraud": 3,
                          "reports_actioned": 1, "reports_dismissed": 1,
                          "original_downloads": 1, "identity_reveals": 1, "holds_placed": 1,
                          "holds_released": 1, "reports_purged": 1, "accounts_deleted": 1,
                          "bulletins_published": 2, "alerts_published": 1}
    report = published(client, month)
    assert report["reports_filed"]["theft"] == {"count": 50, "fewer_than": None}
    assert report["reports_filed"]["fraud"] == {"count": None, "fewer_than": 5}
    assert report["reports_filed"]["drugs"] == {"count": 0, "fewer_than": None}
    assert report["alerts_published"] == {"count": None, "fewer_than": 5}


def test_a_refused_act_counts_nothing(client, month):
    citizen = caller()
    body = report_body(occurred_at=(clock.now() + timedelta(days=1)).isoformat())
    assert send(client, "post", "/reports", citizen, body).status_code == 400
    report_id = file_report(client, citizen)["report_id"]
    officer = caller("officer")
    # submitted → actioned skips review: refused, so not actioned.
    refused = send(client, "patch", f"/admin/reports/{report_id}", officer, {"status": "actioned"})
    assert refused.status_code == 409
    assert raw(month) == {"reports_filed.theft": 1}


def test_one_to_four_is_shown_as_fewer_than_five_zero_and_five_exactly(client, month):
    for name, amount in (("reports_filed.theft", 4), ("identity_reveals", 5),
                         ("original_downloads", 1), ("reports_filed.traffic", 5)):
        counters.add(SERIES, month, name, amount)
    report = published(client, month)
    assert report["reports_filed"]["theft"] == {"count": None, "fewer_than": 5}
    assert report["reports_filed"]["traffic"] == {"count": 5, "fewer_than": None}
    assert report["identity_reveals"] == {"count": 5, "fewer_than": None}
    assert report["original_downloads"] == {"count": None, "fewer_than": 5}
    assert report["reports_dismissed"] == {"count": 0, "fewer_than": None}
    assert set(report["reports_filed"]) == {category.value for category in ReportCategory}
    assert set(report) == {"month", "reports_filed",
                           *(act.value for act in Act if act is not Act.REPORT_FILED)}
    # No figure anywhere from 1 to 4.
    figures = [value["count"] for value in [*report["reports_filed"].values(),
                                            *(report[act.value] for act in Act
                                              if act is not Act.REPORT_FILED)]]
    assert not any(figure in (1, 2, 3, 4) for figure in figures)


def test_twelve_months_in_one_answer_oldest_first(client, month):
    counters.add(SERIES, month, "bulletins_published", 7)
    response = send(client, "get", f"/transparency?month={month}&months=12")
    months = [item["month"] for item in response.json_body["months"]]
    assert len(months) == 12 and months == sorted(months) and months[-1] == month
    assert response.json_body["months"][-1]["bulletins_published"]["count"] == 7
    assert {item["bulletins_published"]["count"] for item in response.json_body["months"][:-1]} \
        == {0}


def test_the_report_is_public_and_cacheable(client, month):
    first = send(client, "get", "/transparency")
    assert first.status_code == 200
    assert first.json_body["months"][0]["month"] == month  # the current one by default
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = client.http.get("/transparency", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    counters.add(SERIES, month, "holds_placed", 9)
    changed = client.http.get("/transparency", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    past = send(client, "get", "/transparency?month=2020-01")
    assert past.headers["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize("query", ["month=2026-13", "month=2026-1", "month=26-01",
                                   "month=2026-01&months=13", "month=2026-01&months=0",
                                   "months=x"])
def test_a_bad_month_is_a_clear_400(client, query):
    response = send(client, "get", f"/transparency?{query}")
    assert response.status_code == 400
    assert error_code(response) == "invalid_query"


def test_the_policy_states_the_periods_in_force_in_both_languages(client):
    response = send(client, "get", "/transparency/policy")
    assert response.status_code == 200
    periods = settings().retention
    assert response.json_body["retention_days"] == {
        "dismissed": periods.dismissed_days, "actioned": periods.actioned_days,
        "failed_evidence": periods.failed_evidence_days, "audit": periods.audit_days}
    texts = response.json_body["texts"]
    assert set(texts) == {"en", "zh-CN"}
    for language in texts.values():
        assert set(language) == {"retention", "identity", "audit"}
        for days in (periods.dismissed_days, periods.actioned_days,
                     periods.failed_evidence_days):
            assert f"{days} " in language["retention"]
    assert "administrator" in texts["en"]["identity"] and "管理员" in texts["zh-CN"]["identity"]
    assert "public, max-age=" in response.headers["Cache-Control"]
    again = client.http.get("/transparency/policy",
                            headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_policy_follows_the_stage_settings(client, monkeypatch):
    monkeypatch.setenv("MASSES_RETENTION_DISMISSED_DAYS", "30")
    settings.cache_clear()
    try:
        body = send(client, "get", "/transparency/policy").json_body
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert body["retention_days"]["dismissed"] == 30
    assert "30 days" in body["texts"]["en"]["retention"]


def test_no_personal_data_reaches_the_report(client, month):
    citizen, phone = registered_citizen()
    report_id = file_report(client, citizen, description="Zhang Wei at 13900001111 did it")
    evidence = send(client, "post", f"/reports/{report_id['report_id']}/evidence", citizen,
                    JPEG).json_body
    reports.on_media_processed(report_id["report_id"],
                               processed(report_id["report_id"], evidence["evidence_id"]))
    text = json.dumps(send(client, "get", f"/transparency?month={month}&months=12").json_body)
    for personal in (phone, citizen.user_id, report_id["report_id"], "Zhang Wei", "13900001111"):
        assert personal not in text
