"""What ops get from infra/template.yaml: alarms that watch the right metrics with sane
thresholds, one dashboard that shows them, log retention, throttling, and secrets that
the template, the IAM policies, the code and the offline stack all name alike.

tests/test_infra.py lints the packaged template (alarms and dashboard included) with
cfn-lint for both stages; these tests read the template itself.
"""

import json
import re
from pathlib import Path

import pytest

from local.bootstrap import GENERATED_SECRETS, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[1]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
SECRET_NAMES = {"jwt-signing-key", "otp-hmac-key", "twilio-auth-token"}


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


def alarms(template) -> dict[str, dict]:
    return {logical_id: resource["Properties"] for logical_id, resource in
            resources_of_type(template, "AWS::CloudWatch::Alarm").items()}


def alarm_on(template, namespace: str, metric: str, function: str | None = None) -> dict:
    """The one single-metric alarm on `metric` (of `function`, for Lambda metrics)."""
    [found] = [alarm for alarm in alarms(template).values()
               if alarm.get("Namespace") == namespace and alarm.get("MetricName") == metric
               and (function is None or alarm["Dimensions"] == [
                   {"Name": "FunctionName", "Value": {"Ref": function}}])]
    return found


def metric_math(alarm: dict) -> tuple[dict[str, dict], str]:
    """The metrics of a metric-math alarm by id, and the expression it alarms on."""
    metrics = {query["Id"]: query["MetricStat"]["Metric"] for query in alarm["Metrics"]
               if "MetricStat" in query}
    [returned] = [query for query in alarm["Metrics"] if query.get("ReturnData")]
    expression = returned["Expression"]
    return metrics, expression if isinstance(expression, str) else expression["Fn::Sub"]


def stage_config(stage: str, function: str) -> dict:
    return CONFIG["stages"][stage]["lambda_functions"][function]


def test_every_alarm_tells_the_alarm_topic_both_ways(template):
    assert len(alarms(template)) == 11
    for name, alarm in alarms(template).items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], name
        # No traffic is not an outage: quiet nights must not page anyone.
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["AlarmName"]["Fn::Sub"].startswith("masses-${Stage}-"), name


def test_the_alarm_mail_subscription_is_optional(template):
    subscription = template["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""


def test_api_5xx_rate_alarm_is_a_share_of_this_stages_requests(template):
    alarm = alarms(template)["ApiServerErrorRateAlarm"]
    metrics, expression = metric_math(alarm)
    assert {m["MetricName"] for m in metrics.values()} == {"Count", "5XXError"}
    for metric in metrics.values():
        assert metric["Dimensions"] == [
            {"Name": "ApiName", "Value": {"Fn::Sub": "masses-${Stage}"}},
            {"Name": "Stage", "Value": CONFIG["stages"]["prod"]["api_gateway_stage"]}]
    assert expression == "IF(requests >= 10, 100 * errors / requests, 0)"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 5)
    # The API's name, which the metrics are keyed by, is the stage's own.
    rest_api = template["Resources"]["RestAPI"]["Properties"]
    assert rest_api["DefinitionBody"]["info"]["title"] == {"Fn::Sub": "masses-${Stage}"}


@pytest.mark.parametrize(("function", "metric", "threshold"), [
    ("APIHandler", "Errors", 1), ("APIHandler", "Throttles", 1),
    ("ProcessEvidence", "Errors", 3), ("ProcessEvidence", "Throttles", 1)])
def test_lambda_errors_and_throttles_alarm_for_both_functions(template, function, metric,
                                                              threshold):
    alarm = alarm_on(template, "AWS/Lambda", metric, function)
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "GreaterThanOrEqualToThreshold", threshold)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_worker_duration_alarm_fires_before_the_timeout(template, stage):
    alarm = alarm_on(template, "AWS/Lambda", "Duration", "ProcessEvidence")
    timeout_ms = stage_config(stage, "process_evidence")["lambda_timeout"] * 1000
    assert alarm["Statistic"] == "Maximum"
    assert 0.75 * timeout_ms <= alarm["Threshold"] <= 0.9 * timeout_ms


def test_dead_letter_alarms_fire_on_the_first_dead_letter(template):
    """One per worker queue: the evidence worker's and the export worker's."""
    found = [alarm for alarm in alarms(template).values()
             if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"]
    assert sorted(alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for alarm in found) == [
        "EvidenceDeadLetterQueue", "ExportDeadLetterQueue"]
    for alarm in found:
        assert alarm["Dimensions"][0]["Name"] == "QueueName"
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Maximum", "GreaterThanThreshold", 0)


def test_sms_pumping_alarm_compares_codes_verified_with_codes_sent(template):
    alarm = alarms(template)["SmsPumpingAlarm"]
    metrics, expression = metric_math(alarm)
    assert {name: (m["Namespace"], m["MetricName"]) for name, m in metrics.items()} == {
        "sent": ("Masses", "CodesSent"), "verified": ("Masses", "CodesVerified")}
    for metric in metrics.values():
        assert metric["Dimensions"] == [{"Name": "service",
                                         "Value": {"Fn::Sub": "masses-${Stage}"}}]
    assert expression == ("IF(FILL(sent, 0) >= ${SmsPumpingMinCodes}, "
                          "100 * FILL(verified, 0) / FILL(sent, 0), 100)")
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["Threshold"] == {"Ref": "SmsPumpingMinVerifiedPercent"}
    # Longer than a code lives, so honest codes have time to come back.
    assert {query["MetricStat"]["Period"] for query in alarm["Metrics"]
            if "MetricStat" in query} == {900}


def dashboard_widgets(template) -> list[dict]:
    """The dashboard body with every ${…} of its Fn::Sub filled by a stand-in."""
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(re.sub(r"\$\{([^}]+)\}", r"<\1>", body))["widgets"]


def test_the_dashboard_shows_every_alarm_and_the_custom_metrics(template):
    widgets = dashboard_widgets(template)
    [alarm_widget] = [w for w in widgets if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(
        f"<{name}.Arn>" for name in alarms(template))
    shown = json.dumps([w["properties"] for w in widgets])
    for metric in ("CodesSent", "CodesVerified", "SignIns", "ReportsFiled",
                   "BulletinsPublished", "EvidenceReady", "EvidenceRejected", "WorkerDuration",
                   "5XXError", "Throttles", "ApproximateNumberOfMessagesVisible",
                   "DependencyTimeouts"):
        assert f'"{metric}"' in shown or f'\\"{metric}\\"' in shown, metric


def test_every_functions_log_group_expires(template):
    """And the API's access log (issue 16)."""
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    assert {g["Properties"]["LogGroupName"]["Fn::Sub"] for g in groups.values()} == {
        "/aws/lambda/${APIHandler}", "/aws/lambda/${ProcessEvidence}",
        "/aws/lambda/${ExportReports}", "/aws/apigateway/masses-${Stage}-access"}
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Fn::If": ["IsProd", 90, 14]}


def test_the_api_stage_is_throttled_and_code_requests_more_so(template):
    settings = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert [(s["ResourcePath"], s["HttpMethod"], s["ThrottlingRateLimit"]["Ref"],
             s["ThrottlingBurstLimit"]["Ref"]) for s in settings] == [
        ("/*", "*", "ApiRateLimit", "ApiBurstLimit"),
        ("/~1auth~1otp", "POST", "OtpRateLimit", "OtpBurstLimit")]
    parameters = template["Parameters"]
    assert parameters["OtpRateLimit"]["Default"] < parameters["ApiRateLimit"]["Default"]
    # The path API Gateway throttles is a route the app has.
    from app import app
    assert "POST" in app.routes["/auth/otp"]


def secrets_the_code_reads() -> set[str]:
    return {name for path in (ROOT / "chalicelib").rglob("*.py")
            for name in re.findall(r"\bsecret\(\"([a-z0-9-]+)\"\)", path.read_text())}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_secrets_are_granted_exactly_where_the_template_names_them(template, stage):
    prefix = CONFIG["stages"][stage]["environment_variables"]["MASSES_SSM_PREFIX"]
    paths = {f"{prefix}/{name}" for name in SECRET_NAMES}

    declared = {name: parameter for name, parameter in template["Parameters"].items()
                if parameter["Type"] == "AWS::SSM::Parameter::Name"}
    assert len(declared) == len(SECRET_NAMES)
    assert "Default" not in json.dumps(declared)  # named, never valued
    assert {path for path in paths for parameter in declared.values()
            if re.fullmatch(parameter["AllowedPattern"], path)} == paths

    policy = json.loads((ROOT / ".chalice" / f"policy-api-{stage}.json").read_text())
    [statement] = [s for s in policy["Statement"] if "ssm:GetParameter" in s["Action"]]
    assert statement["Action"] == ["ssm:GetParameter"]
    assert sorted(statement["Resource"]) == sorted(f"arn:*:ssm:*:*:parameter{path}"
                                                   for path in paths)
    worker = (ROOT / ".chalice" / f"policy-worker-{stage}.json").read_text()
    assert "ssm:" not in worker

    assert secrets_the_code_reads() <= SECRET_NAMES
    assert {*GENERATED_SECRETS, "twilio-auth-token"} == SECRET_NAMES
