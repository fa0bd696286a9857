"""AWS calls per report route (tests/support/aws_calls.py): every request path is a
handful of DynamoDB GetItem / Query / conditional writes, never a Scan, and presigning
an upload or a download calls nothing."""

from support.api import caller, file_report, registered_citizen, report_body, send
from support.aws_calls import counting_aws_calls

from chalicelib import reports
from chalicelib.tables import Media


def test_dynamodb_calls_per_route(client):
    citizen, _ = registered_citizen()
    officer, admin = caller("officer"), caller("admin")
    report_id = file_report(client, citizen)["report_id"]
    evidence_id = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                       {"content_type": "image/png", "size": 10}).json_body["evidence_id"]
    media = Media.get(f"report#{report_id}", evidence_id)
    media.update(actions=[Media.status.set("ready"), Media.kind.set("image"),
                          Media.derivatives.set({"thumb": "derivatives/t.jpg"})])

    routes = [
        ("post", "/reports", citizen, report_body()),
        ("get", "/reports", citizen, None),
        ("get", f"/reports/{report_id}", citizen, None),
        ("post", f"/reports/{report_id}/evidence", citizen,
         {"content_type": "image/png", "size": 10}),
        ("get", "/admin/reports?category=theft", officer, None),
        ("get", f"/admin/reports/{report_id}", officer, None),
        ("patch", f"/admin/reports/{report_id}", officer,
         {"status": "in_review", "note": {"text": "Looking.", "visibility": "reporter"}}),
        ("post", f"/admin/reports/{report_id}/reveal", admin,
         {"reason": "Court order 2026-120 for the reporter."}),
        ("worker", "on_media_processed", None, None),
        ("get", f"/admin/reports/{report_id}/evidence/{evidence_id}/original", officer, None),
    ]
    measured = {}
    for method, path, who, body in routes:
        with counting_aws_calls() as calls:
            if method == "worker":
                reports.on_media_processed(report_id, media)
            else:
                response = send(client, method, path, who, body)
                assert response.status_code in (200, 201), (path, response.body)
        measured[f"{method.upper()} {path.split('?')[0]}"
                 .replace(report_id, "{id}").replace(evidence_id, "{evidence_id}")] = [
            (call.operation, call.table) for call in calls]
    print("\n".join(f"{route}: {calls}" for route, calls in measured.items()))

    assert measured == {
        # The report and its counters (chalicelib/stats.py): one transaction.
        "POST /reports": [("UpdateItem", "report-quota"), ("TransactWriteItems", None)],
        "GET /reports": [("Query", "reports")],
        "GET /reports/{id}": [("GetItem", "reports")],
        "POST /reports/{id}/evidence": [("GetItem", "reports"), ("PutItem", "media"),
                                        ("UpdateItem", "reports")],
        # The category's page, and every category's count kept at write time.
        "GET /admin/reports": [("Query", "reports"), ("Query", "counters")],
        "GET /admin/reports/{id}": [("GetItem", "reports")],
        # The report update and its two audit events (status, note) in one transaction.
        "PATCH /admin/reports/{id}": [("GetItem", "reports"), ("TransactWriteItems", None)],
        "POST /admin/reports/{id}/reveal": [("GetItem", "reports"), ("PutItem", "audit"),
                                            ("GetItem", "users")],
        "WORKER on_media_processed": [("UpdateItem", "reports")],
        "GET /admin/reports/{id}/evidence/{evidence_id}/original": [("GetItem", "reports"),
                                                                    ("PutItem", "audit")],
    }
