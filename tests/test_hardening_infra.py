"""The hardening checkov and review asked for (issue 16), read from infra/template.yaml
and the IAM policy files that `chalice package` merges (tests/test_infra.py lints the
package), and, where the emulator holds it, from the emulator."""

import json
import re
from pathlib import Path

import boto3
import pytest

from chalicelib.settings import settings
from local.bootstrap import load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")


@pytest.fixture(scope="module")
def resources() -> dict:
    return load_template()["Resources"]


def policy(kind: str, stage: str) -> dict:
    return json.loads((ROOT / ".chalice" / f"policy-{kind}-{stage}.json").read_text())


def s3_statements(document: dict) -> list[dict]:
    return [statement for statement in document["Statement"]
            if any(action.startswith("s3:") for action in statement["Action"])]


def resources_of(statement: dict) -> list:
    found = statement["Resource"]
    return found if isinstance(found, list) else [found]


# --- access logs ------------------------------------------------------------------------

def test_the_evidence_bucket_logs_every_request_to_a_log_bucket_with_its_own_retention(
        resources):
    evidence = resources["EvidenceBucket"]["Properties"]
    assert evidence["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": "EvidenceAccessLogBucket"},
        "LogFilePrefix": "evidence/"}
    logs = resources["EvidenceAccessLogBucket"]["Properties"]
    assert "LoggingConfiguration" not in logs
    [rule] = logs["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == {"Fn::If": ["IsProd", 730, 90]}
    assert logs["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}  # what S3 logging takes
    statements = resources["EvidenceAccessLogBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"]
    [writer] = [s for s in statements if s["Effect"] == "Allow"]
    assert writer["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert writer["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(
        ":masses-${Stage}-evidence-${AWS::AccountId}")


def test_the_emulator_bucket_logs_as_the_template_says(emulator):
    logging = boto3.client("s3").get_bucket_logging(Bucket=settings().evidence_bucket)
    assert logging["LoggingEnabled"]["TargetPrefix"] == "evidence/"
    assert logging["LoggingEnabled"]["TargetBucket"].startswith("masses-local-access-logs-")


def test_api_access_logs_are_json_with_the_request_id_and_route_and_no_path(resources):
    setting = resources["RestAPI"]["Properties"]["AccessLogSetting"]
    assert "${ApiAccessLogGroup}" in setting["DestinationArn"]["Fn::Sub"]
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", setting["Format"]))
    assert setting["Format"].count("$context.requestId") == 1
    assert {"request_id", "route", "status", "method"} <= set(line)
    assert json.loads(setting["Format"])["route"] == "$context.resourcePath"
    # The path can hold a phone number (/admin/officers/{phone}); no query strings; no IP.
    for forbidden in ("$context.path", "querystring", "$input", "$context.identity"):
        assert forbidden not in setting["Format"]
    group = resources["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Fn::If": ["IsProd", 90, 14]}
    assert resources["RestAPI"]["DependsOn"] == "ApiGatewayAccount"


# --- the evidence bucket ----------------------------------------------------------------

@pytest.mark.parametrize("bucket", ["EvidenceBucket", "EvidenceAccessLogBucket",
                                    "AdminSiteBucket"])
def test_every_bucket_refuses_requests_without_tls(resources, bucket):
    policies = [resource["Properties"] for resource in
                resources_of_type({"Resources": resources}, "AWS::S3::BucketPolicy").values()
                if resource["Properties"]["Bucket"] == {"Ref": bucket}]
    [deny] = [s for p in policies for s in p["PolicyDocument"]["Statement"]
              if s["Effect"] == "Deny"]
    assert deny["Action"] == "s3:*" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {r["Fn::Sub"] for r in deny["Resource"]} == {
        f"arn:${{AWS::Partition}}:s3:::${{{bucket}}}",
        f"arn:${{AWS::Partition}}:s3:::${{{bucket}}}/*"}


def test_no_rule_ever_expires_a_pinned_original(resources):
    """Only CSV exports (exports/, aliases only) expire, a day after they are written."""
    rules = resources["EvidenceBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [rule for rule in rules
                if not set(rule) <= {"Id", "Status", "Prefix", "AbortIncompleteMultipartUpload"}]
    assert [(rule["Prefix"], rule["ExpirationInDays"], rule["NoncurrentVersionExpirationInDays"])
            for rule in expiring] == [("exports/", 1, 1)]


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_role_writes_only_under_uploads_and_never_derivatives(stage):
    statements = s3_statements(policy("api", stage))
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert [r["Fn::Sub"] for s in writes for r in resources_of(s)] == [
        f"arn:${{AWS::Partition}}:s3:::masses-{stage}-evidence-${{AWS::AccountId}}/uploads/*"]
    assert {action for s in writes for action in s["Action"]} == {
        "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
    holds = [s for s in statements if s["Sid"] in ("LegalHolds", "ListOriginalVersions")]
    reads = {action for s in statements for action in s["Action"]} - {
        action for s in writes + holds for action in s["Action"]}
    assert reads == {"s3:GetObject", "s3:GetObjectVersion"}  # presigned GETs, pinned versions
    # Legal holds (chalicelib/retention/holds.py): set on originals only, whose versions
    # the API lists under uploads/report/ alone; never a delete.
    assert [(s["Action"], resources_of(s)[0]["Fn::Sub"]) for s in holds] == [
        (["s3:PutObjectLegalHold"],
         f"arn:${{AWS::Partition}}:s3:::masses-{stage}-evidence-${{AWS::AccountId}}/uploads/*"),
        (["s3:ListBucketVersions"],
         f"arn:${{AWS::Partition}}:s3:::masses-{stage}-evidence-${{AWS::AccountId}}")]
    assert holds[1]["Condition"] == {"StringLike": {"s3:prefix": "uploads/report/*"}}


@pytest.mark.parametrize("stage", STAGES)
def test_the_retention_role_deletes_versions_and_nothing_else_in_s3(stage):
    statements = {s["Sid"]: s for s in s3_statements(policy("retention", stage))}
    assert {sid: s["Action"] for sid, s in statements.items()} == {
        "ListVersions": ["s3:ListBucketVersions"], "DeleteVersions": ["s3:DeleteObjectVersion"]}
    assert statements["ListVersions"]["Condition"] == {
        "StringLike": {"s3:prefix": ["uploads/*", "derivatives/*"]}}


@pytest.mark.parametrize(("kind", "stage"), [(k, s) for k in ("api", "worker", "retention",
                                                                  "export")
                                             for s in STAGES])
def test_s3_arns_in_the_iam_policies_are_this_accounts_buckets(kind, stage):
    text = json.dumps(policy(kind, stage))
    assert "arn:*:s3" not in text
    for statement in s3_statements(policy(kind, stage)):
        for resource in resources_of(statement):
            # Objects under uploads/ (or only reports' uploads), derivatives/ or
            # exports/; the bucket itself only to list versions, under a prefix condition.
            objects = "" if statement["Action"] == ["s3:ListBucketVersions"] \
                else r"/(uploads|uploads/report|derivatives|exports)/\*"
            assert re.fullmatch(
                rf"arn:\$\{{AWS::Partition\}}:s3:::masses-{stage}-evidence-"
                rf"\$\{{AWS::AccountId\}}{objects}", resource["Fn::Sub"]), resource
            if not objects:
                assert "s3:prefix" in statement["Condition"]["StringLike"]


def test_the_export_worker_writes_only_exports_and_reads_only_the_queue_index():
    for stage in STAGES:
        statements = {s["Sid"]: s for s in policy("export", stage)["Statement"]}
        assert statements["WriteExports"]["Resource"]["Fn::Sub"].endswith("/exports/*")
        assert statements["ReadReports"] == {
            "Sid": "ReadReports", "Effect": "Allow", "Action": ["dynamodb:Query"],
            "Resource": f"arn:*:dynamodb:*:*:table/masses-{stage}-reports/index/queue"}


def test_the_worker_reads_originals_and_writes_only_derivatives():
    for stage in STAGES:
        statements = {s["Sid"]: s for s in s3_statements(policy("worker", stage))}
        assert statements["ReadOriginals"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
        assert statements["ReadOriginals"]["Resource"]["Fn::Sub"].endswith("/uploads/*")
        assert statements["WriteDerivatives"]["Action"] == ["s3:PutObject"]
        assert statements["WriteDerivatives"]["Resource"]["Fn::Sub"].endswith("/derivatives/*")
        # A held report's new evidence is locked by the worker (chalicelib/reports/evidence.py).
        assert statements["LockHeldOriginals"]["Action"] == ["s3:PutObjectLegalHold"]
        assert statements["LockHeldOriginals"]["Resource"]["Fn::Sub"].endswith(
            "/uploads/report/*")
        assert set(statements) == {"ReadOriginals", "WriteDerivatives", "LockHeldOriginals"}


# --- worker concurrency -----------------------------------------------------------------

def test_a_burst_of_uploads_cannot_take_the_apis_concurrency():
    template = load_template()
    trigger = template["Resources"]["ProcessEvidence"]["Properties"]["Events"][
        "ProcessEvidenceSqsEventSource"]["Properties"]
    assert trigger["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "WorkerMaxConcurrency"}}
    parameter = template["Parameters"]["WorkerMaxConcurrency"]
    assert (parameter["Default"], parameter["MinValue"]) == (5, 2)  # SQS's least is 2
    assert "ReservedConcurrentExecutions" not in json.dumps(template)


def test_the_tls_deny_as_written_refuses_plain_http(emulator, resources):
    """The emulator evaluates bucket policies and speaks only HTTP: the evidence bucket's
    TLS statement, on a scratch bucket, refuses it (so bootstrap leaves it out offline)."""
    import uuid

    from local.bootstrap import Resolver, load_template

    s3, bucket = boto3.client("s3"), f"tls-check-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="before", Body=b"x")
    resolve = Resolver(load_template(), "local", "us-east-1")
    [deny] = [statement for statement in resolve(resources["EvidenceBucketPolicy"][
        "Properties"]["PolicyDocument"])["Statement"] if statement["Effect"] == "Deny"]
    deny["Resource"] = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [deny]}))
    with pytest.raises(s3.exceptions.ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="after", Body=b"x")
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "403")
