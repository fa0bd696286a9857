"""Creates the offline stack in the emulator from infra/template.yaml itself.

The template is the one source of truth: this reads its tables, queues, queue
policies and buckets, resolves the few intrinsic functions they use (Ref, Fn::Sub,
Fn::GetAtt …Arn, Fn::If on a Fn::Equals condition) with Stage=local, and creates them
through the AWS APIs whose parameters CloudFormation's properties mirror. Run it
again and it leaves what exists alone (idempotent), so `make dev` survives restarts.
"""

import contextlib
import json
import re
import secrets
from pathlib import Path

import boto3
import yaml

from local import config

TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "template.yaml"
ACCOUNT_ID = "123456789012"  # the emulator's account
GENERATED_SECRETS = ("jwt-signing-key", "otp-hmac-key")
TABLE_CREATE_KEYS = ("TableName", "AttributeDefinitions", "KeySchema",
                     "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode")


def load_template() -> dict:
    return yaml.safe_load(TEMPLATE.read_text())


class Resolver:
    """Evaluates the template's intrinsic functions for one stage."""

    def __init__(self, template: dict, stage: str, region: str):
        self.resources = template["Resources"]
        self.values = {"Stage": stage, "AWS::AccountId": ACCOUNT_ID, "AWS::Region": region,
                       "AWS::Partition": "aws"}
        self.conditions = template.get("Conditions", {})
        self.region = region

    def __call__(self, value):
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (function, argument), = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::Sub":
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self.ref(m.group(1))), argument)
            if function == "Fn::GetAtt":
                return self.arn(argument[0])
            if function == "Fn::If":
                condition, when_true, when_false = argument
                return self(when_true if self.condition(condition) else when_false)
            if function == "Fn::Equals":
                left, right = self(argument)
                return left == right
        return {key: self(item) for key, item in value.items()}

    def condition(self, name: str) -> bool:
        return self(self.conditions[name])

    def physical_name(self, logical_id: str) -> str:
        properties = self.resources[logical_id]["Properties"]
        kind = self.resources[logical_id]["Type"].split("::")[-1]
        return self(properties[{"Table": "TableName", "Queue": "QueueName",
                                "Bucket": "BucketName"}[kind]])

    def ref(self, name: str):
        if name in self.values:
            return self.values[name]
        if self.resources[name]["Type"] == "AWS::SQS::Queue":
            return boto3.client("sqs").get_queue_url(QueueName=self.physical_name(name))["QueueUrl"]
        return self.physical_name(name)

    def arn(self, logical_id: str) -> str:
        service = self.resources[logical_id]["Type"].split("::")[1].lower()
        name = self.physical_name(logical_id)
        if service == "s3":
            return f"arn:aws:s3:::{name}"
        if service == "dynamodb":
            return f"arn:aws:dynamodb:{self.region}:{ACCOUNT_ID}:table/{name}"
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{name}"


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {logical_id: resource for logical_id, resource in template["Resources"].items()
            if resource.get("Type") == resource_type}


def create_table(properties: dict) -> None:
    dynamodb = boto3.client("dynamodb")
    try:
        dynamodb.create_table(**{k: properties[k] for k in TABLE_CREATE_KEYS if k in properties})
    except dynamodb.exceptions.ResourceInUseException:
        return
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=properties["TableName"],
                                     TimeToLiveSpecification=ttl)


def create_queue(properties: dict) -> None:
    attributes = {key: _queue_attribute(value) for key, value in properties.items()
                  if key != "QueueName"}
    boto3.client("sqs").create_queue(QueueName=properties["QueueName"], Attributes=attributes)


def _queue_attribute(value) -> str:
    """SQS takes every attribute as a string, the redrive policy as JSON."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def set_queue_policy(properties: dict) -> None:
    for queue_url in properties["Queues"]:
        boto3.client("sqs").set_queue_attributes(
            QueueUrl=queue_url, Attributes={"Policy": json.dumps(properties["PolicyDocument"])})


def create_bucket(properties: dict) -> None:
    """CloudFormation spells some bucket settings differently from the S3 API;
    the translations below are those spellings, nothing more. Settings a bucket does
    not declare (the admin site's has no CORS or notifications) are left out."""
    s3 = boto3.client("s3")
    bucket = properties["BucketName"]
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"])
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
        for rule in properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]]})
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration=properties["VersioningConfiguration"])
    if "CorsConfiguration" in properties:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
            {"AllowedMethods": rule["AllowedMethods"], "AllowedOrigins": rule["AllowedOrigins"],
             "AllowedHeaders": rule.get("AllowedHeaders", []),
             "ExposeHeaders": rule.get("ExposedHeaders", []),
             "MaxAgeSeconds": rule.get("MaxAge", 0)}
            for rule in properties["CorsConfiguration"]["CorsRules"]]})
    if "LifecycleConfiguration" in properties:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            _lifecycle_rule(rule) for rule in properties["LifecycleConfiguration"]["Rules"]]})
    if "NotificationConfiguration" in properties:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration=_notification(properties["NotificationConfiguration"]))


def set_bucket_policy(properties: dict) -> None:
    """Without the statements that refuse plain HTTP: the emulator speaks nothing else,
    and its S3 enforces a bucket policy's Deny (it would refuse every request)."""
    document = properties["PolicyDocument"]
    statements = [statement for statement in document["Statement"]
                  if "aws:SecureTransport" not in json.dumps(statement.get("Condition", {}))]
    if statements:
        boto3.client("s3").put_bucket_policy(Bucket=properties["Bucket"], Policy=json.dumps(
            {**document, "Statement": statements}))


def set_bucket_logging(properties: dict) -> None:
    """After the bucket policies: S3 checks that the log bucket lets its logger write."""
    logging = properties["LoggingConfiguration"]
    boto3.client("s3").put_bucket_logging(
        Bucket=properties["BucketName"], BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": logging["DestinationBucketName"],
            "TargetPrefix": logging.get("LogFilePrefix", "")}})


def _lifecycle_rule(rule: dict) -> dict:
    translated = {"ID": rule["Id"], "Status": rule["Status"],
                  "Filter": {"Prefix": rule["Prefix"]} if "Prefix" in rule else {}}
    if "ExpirationInDays" in rule:
        translated["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "NoncurrentVersionExpirationInDays" in rule:
        translated["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
    for name in ("AbortIncompleteMultipartUpload", "NoncurrentVersionExpiration"):
        if name in rule:
            translated[name] = rule[name]
    return translated


def _notification(cfn_notification: dict) -> dict:
    return {"QueueConfigurations": [
        {"QueueArn": queue["Queue"], "Events": [queue["Event"]],
         "Filter": {"Key": {"FilterRules": queue["Filter"]["S3Key"]["Rules"]}}}
        for queue in cfn_notification["QueueConfigurations"]]}


def put_secrets(ssm_prefix: str) -> None:
    """The secrets the app reads from SSM. Signing keys are made once per emulator and
    kept across restarts; the Twilio token is the sink's."""
    ssm = boto3.client("ssm")
    for name in GENERATED_SECRETS:
        with contextlib.suppress(ssm.exceptions.ParameterAlreadyExists):
            ssm.put_parameter(Name=f"{ssm_prefix}/{name}", Value=secrets.token_urlsafe(32),
                              Type="SecureString", Overwrite=False)
    ssm.put_parameter(Name=f"{ssm_prefix}/twilio-auth-token", Value=config.TWILIO_AUTH_TOKEN,
                      Type="SecureString", Overwrite=True)


def bootstrap(stage: str = config.STAGE) -> None:
    """Create (or leave be) every table, queue, policy and bucket of the template.

    boto3 must already point at the emulator (AWS_ENDPOINT_URL and test credentials).
    """
    template = load_template()
    resolve = Resolver(template, stage, config.REGION)
    for resource in resources_of_type(template, "AWS::DynamoDB::Table").values():
        create_table(resolve(resource["Properties"]))
    # Dead-letter queues first: a queue's redrive policy names its DLQ's ARN.
    queues = resources_of_type(template, "AWS::SQS::Queue").values()
    for resource in sorted(queues, key=lambda q: "RedrivePolicy" in q["Properties"]):
        create_queue(resolve(resource["Properties"]))
    for resource in resources_of_type(template, "AWS::SQS::QueuePolicy").values():
        set_queue_policy(resolve(resource["Properties"]))
    buckets = resources_of_type(template, "AWS::S3::Bucket").values()
    for resource in buckets:
        create_bucket(resolve(resource["Properties"]))
    # Bucket policies, but those naming what the emulator does not have (the admin site's
    # names its CloudFront distribution).
    for resource in resources_of_type(template, "AWS::S3::BucketPolicy").values():
        try:
            properties = resolve(resource["Properties"])
        except KeyError:
            continue
        set_bucket_policy(properties)
    for resource in buckets:
        if "LoggingConfiguration" in resource["Properties"]:
            set_bucket_logging(resolve(resource["Properties"]))
    put_secrets(f"/masses/{stage}")
