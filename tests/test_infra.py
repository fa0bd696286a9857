"""The deployable package: `chalice package` merged with infra/template.yaml passes
cfn-lint, and the PynamoDB models agree with the tables the template deploys."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pynamodb.models import Model
from support.packaging import make_package

from chalicelib import tables
from infra.package_size import (
    LAMBDA_UNZIPPED_LIMIT,
    function_bundles,
    function_sizes,
    zip_tops,
)
from local.bootstrap import Resolver, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")


def models() -> list[type[Model]]:
    return [value for value in vars(tables).values()
            if isinstance(value, type) and issubclass(value, Model)
            and value not in (Model, tables.BudgetedModel)]


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> dict[str, Path]:
    """`make package` for each AWS stage."""
    out = tmp_path_factory.mktemp("package")
    return {stage: make_package(stage, out / stage) for stage in STAGES}


@pytest.mark.package
@pytest.mark.parametrize("stage", STAGES)
def test_package_passes_cfn_lint(packaged, stage):
    lint = subprocess.run([Path(sys.executable).with_name("cfn-lint"), packaged[stage]],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.package
def test_package_wires_the_worker_to_the_templates_queue(packaged):
    template = yaml.safe_load(packaged["prod"].read_text())
    resources = template["Resources"]
    [event] = resources["ProcessEvidence"]["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    queue_name = resources["EvidenceQueue"]["Properties"]["QueueName"]
    assert queue_name == {"Fn::Sub": "masses-${Stage}-evidence"}
    assert event["Properties"]["Queue"]["Fn::Sub"].endswith(":masses-prod-evidence")
    assert event["Properties"]["BatchSize"] == 1
    assert resources["ProcessEvidence"]["DependsOn"] == "EvidenceQueue"
    for function in ("APIHandler", "ProcessEvidence"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["MASSES_EVIDENCE_BUCKET"] == {"Ref": "EvidenceBucket"}
        assert variables["MASSES_RESOURCE_PREFIX"] == "masses-prod"


def test_stage_config_names_the_templates_resources():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage, settings in config["stages"].items():
        variables = settings["environment_variables"]
        assert variables["MASSES_STAGE"] == stage
        assert variables["MASSES_RESOURCE_PREFIX"] == f"masses-{stage}"
        assert variables["MASSES_SSM_PREFIX"] == f"/masses/{stage}"


@pytest.mark.package
@pytest.mark.parametrize("stage", STAGES)
def test_each_function_with_its_layers_fits_lambdas_size_limit(packaged, stage):
    bundles = function_bundles(packaged[stage])

    # The media libraries are in the worker's layer alone; the API function stays lean.
    assert [path.name for path in bundles["APIHandler"]] == ["api.zip"]
    assert [path.name for path in bundles["ProcessEvidence"]] == ["worker.zip",
                                                                  "media-layer.zip"]
    assert {"python/PIL", "python/av", "python/pillow_heif"} <= zip_tops(bundles[
        "ProcessEvidence"][1])
    assert not {"PIL", "av", "pillow_heif"} & {top.split("/")[0] for top in zip_tops(
        bundles["APIHandler"][0])}
    sizes = function_sizes(packaged[stage])
    assert max(sizes.values()) < LAMBDA_UNZIPPED_LIMIT, sizes


def declared_tables(stage: str = "local") -> dict[str, dict]:
    template = load_template()
    resolve = Resolver(template, stage, "us-east-1")
    return {properties["TableName"]: properties for properties in
            (resolve(resource["Properties"]) for resource in
             resources_of_type(template, "AWS::DynamoDB::Table").values())}


def key_schema(hash_key, range_key) -> list[dict]:
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return keys


def keys_of(attributes) -> tuple[str, str | None]:
    attributes = list(attributes)
    return (next(a.attr_name for a in attributes if a.is_hash_key),
            next((a.attr_name for a in attributes if a.is_range_key), None))


def model_description(model: type[Model]) -> dict:
    """The table a model expects, in CloudFormation's terms."""
    attributes = {a.attr_name: a for a in model.get_attributes().values()}
    hash_key, range_key = keys_of(attributes.values())
    key_names = {hash_key, range_key}
    indexes = []
    for index in model._indexes.values():
        index_hash, index_range = keys_of(index.Meta.attributes.values())
        key_names |= {index_hash, index_range}
        indexes.append({"IndexName": index.Meta.index_name,
                        "KeySchema": key_schema(index_hash, index_range),
                        "Projection": index.Meta.projection.projection_type,
                        "NonKeyAttributes": sorted(
                            getattr(index.Meta.projection, "non_key_attributes", None) or [])})
    return {
        "AttributeDefinitions": sorted(
            ({"AttributeName": name, "AttributeType": attributes[name].attr_type}
             for name in key_names if name), key=lambda d: d["AttributeName"]),
        "KeySchema": key_schema(hash_key, range_key),
        "GlobalSecondaryIndexes": sorted(indexes, key=lambda i: i["IndexName"]),
        "ttl": "ttl" if "ttl" in attributes else None,
    }


def template_description(properties: dict) -> dict:
    ttl = properties.get("TimeToLiveSpecification", {})
    return {
        "AttributeDefinitions": sorted(properties["AttributeDefinitions"],
                                       key=lambda d: d["AttributeName"]),
        "KeySchema": properties["KeySchema"],
        "GlobalSecondaryIndexes": sorted(
            ({"IndexName": index["IndexName"], "KeySchema": index["KeySchema"],
              "Projection": index["Projection"]["ProjectionType"],
              "NonKeyAttributes": sorted(index["Projection"].get("NonKeyAttributes", []))}
             for index in properties.get("GlobalSecondaryIndexes", [])),
            key=lambda i: i["IndexName"]),
        "ttl": ttl.get("AttributeName") if ttl.get("Enabled") else None,
    }


def test_every_model_and_every_table_agree():
    declared = declared_tables()
    modelled = {model.Meta.table_name: model for model in models()}
    assert set(modelled) == set(declared)
    for name, model in modelled.items():
        assert model_description(model) == template_description(declared[name]), name


@pytest.mark.parametrize("name", sorted(declared_tables()))
def test_tables_are_on_demand_encrypted_and_recoverable(name):
    properties = declared_tables()[name]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is False


def test_prod_tables_have_deletion_protection():
    assert all(properties["DeletionProtectionEnabled"] is True
               for properties in declared_tables("prod").values())


# ---- Deadlines (issue 20): the packaged timeouts, checked against each other ---------

API_GATEWAY_LIMIT_SECONDS = 29   # API Gateway's integration timeout for a REST API


def budget_of(variables: dict, name: str, default: float) -> float:
    return float(variables.get(name, default))


@pytest.mark.parametrize("stage", STAGES)
def test_packaged_timeouts_line_up(packaged, stage):
    from chalicelib.deadlines import LAMBDA_MARGIN_SECONDS
    from chalicelib.settings import (
        API_BUDGET_SECONDS,
        CALL_LIMITS,
        WORKER_BUDGET_SECONDS,
        call_limits,
    )

    resources = yaml.safe_load(packaged[stage].read_text())["Resources"]
    api, worker = (resources[name]["Properties"] for name in ("APIHandler", "ProcessEvidence"))
    api_budget = budget_of(api["Environment"]["Variables"], "MASSES_API_BUDGET_SECONDS",
                           API_BUDGET_SECONDS)
    worker_budget = budget_of(worker["Environment"]["Variables"],
                              "MASSES_WORKER_BUDGET_SECONDS", WORKER_BUDGET_SECONDS)

    # The function, not the gateway, decides the answer: its budget (and the margin kept
    # to answer) ends before its timeout, which ends before API Gateway's 29 s.
    assert api_budget + LAMBDA_MARGIN_SECONDS < api["Timeout"] < API_GATEWAY_LIMIT_SECONDS
    # Every call the API makes fits at least one whole try into the budget.
    for name in ("dynamodb", "dynamodb-transaction", "ssm", "sns", "twilio", "s3-api"):
        assert call_limits(name).attempt_seconds < api_budget, name
    # Sign-in: a Twilio try and the take-back transaction's try, both within the budget.
    assert (CALL_LIMITS["twilio"].connect + 0.5
            + call_limits("dynamodb-transaction").attempt_seconds) < api_budget

    # The worker: its budget ends before its timeout, S3 tries fit in it, and SQS hides a
    # message for at least 6 timeouts, so a slow try is never run twice at once.
    assert worker_budget + LAMBDA_MARGIN_SECONDS < worker["Timeout"]
    assert call_limits("s3").attempt_seconds * call_limits("s3").attempts < worker_budget
    queue = resources["EvidenceQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    # A message that ran out of time comes back, and after its tries is dead-lettered.
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 2
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["EvidenceDeadLetterQueue", "Arn"]}
    dead_letters = resources["EvidenceDeadLetterQueue"]["Properties"]
    assert dead_letters["MessageRetentionPeriod"] >= 7 * 24 * 3600


def test_the_dependency_timeout_alarm_sums_every_dependency(packaged):
    from chalicelib.settings import CALL_LIMITS

    alarm = yaml.safe_load(packaged["prod"].read_text())["Resources"][
        "DependencyTimeoutsAlarm"]["Properties"]
    dependencies = {query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
                    for query in alarm["Metrics"] if "MetricStat" in query}
    # Every dependency deadlines.py labels (DynamoDB transactions count as dynamodb).
    assert dependencies == {name.split("-")[0] for name in CALL_LIMITS}
    [total] = [query for query in alarm["Metrics"] if query.get("ReturnData")]
    assert all(f"FILL({name}, 0)" in total["Expression"] for name in dependencies)
    assert alarm["Threshold"] == {"Ref": "DependencyTimeoutsThreshold"}


@pytest.mark.package
@pytest.mark.parametrize("stage", STAGES)
def test_the_push_worker_has_its_zip_queue_and_a_budget_inside_its_timeout(packaged, stage):
    from chalicelib.deadlines import LAMBDA_MARGIN_SECONDS

    resources = yaml.safe_load(packaged[stage].read_text())["Resources"]
    push = resources["SendPushes"]["Properties"]
    assert (push["Handler"], push["CodeUri"]) == ("chalicelib.push.handler.handler",
                                                  "./push.zip")
    [event] = push["Events"].values()
    assert event["Properties"]["Queue"]["Fn::Sub"].endswith(f":masses-{stage}-push")
    assert resources["SendPushes"]["DependsOn"] == "PushQueue"
    variables = push["Environment"]["Variables"]
    assert variables["MASSES_PUSH_FCM_APPLICATION_ARN"] == {"Ref": "FcmPlatformApplicationArn"}
    assert variables["MASSES_PUSH_APNS_APPLICATION_ARN"] == {"Ref": "ApnsPlatformApplicationArn"}
    budget = float(variables["MASSES_WORKER_BUDGET_SECONDS"])
    assert budget + LAMBDA_MARGIN_SECONDS < push["Timeout"]
    queue = resources["PushQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * push["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["PushDeadLetterQueue", "Arn"]}
    alarmed = {json.dumps(resource["Properties"].get("Dimensions")) for resource in
               resources.values() if resource["Type"] == "AWS::CloudWatch::Alarm"}
    assert json.dumps([{"Name": "QueueName", "Value": {
        "Fn::GetAtt": ["PushDeadLetterQueue", "QueueName"]}}]) in alarmed
    assert any(resource["Type"] == "AWS::CloudWatch::Alarm"
               and resource["Properties"].get("MetricName") == "PushFailures"
               for resource in resources.values())


@pytest.mark.parametrize("stage", STAGES)
def test_sns_is_granted_to_the_push_worker_alone_and_exactly_the_calls_it_makes(stage):
    import re

    source = (ROOT / "chalicelib" / "push" / "worker.py").read_text()
    called = {"sns:" + "".join(word.title() for word in name.split("_"))
              for name in re.findall(r"_sns\(\)\.(\w+)\(", source)}

    def sns_actions(policy: str) -> set[str]:
        document = json.loads((ROOT / ".chalice" / policy).read_text())
        return {action for statement in document["Statement"]
                for action in statement["Action"] if action.startswith("sns:")}
    assert called == {"sns:CreatePlatformEndpoint", "sns:GetEndpointAttributes",
                      "sns:SetEndpointAttributes", "sns:DeleteEndpoint", "sns:Publish"}
    assert sns_actions(f"policy-push-{stage}.json") == called
    assert sns_actions(f"policy-api-{stage}.json") == sns_actions(
        f"policy-worker-{stage}.json") == set()
