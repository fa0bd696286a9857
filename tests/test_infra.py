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
            if isinstance(value, type) and issubclass(value, Model) and value is not Model]


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
                        "Projection": index.Meta.projection.projection_type})
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
              "Projection": index["Projection"]["ProjectionType"]}
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
