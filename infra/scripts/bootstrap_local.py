#!/usr/bin/env python3
"""Create template.yaml's table, queues and app secret in a local moto server.

The resources are READ from template.yaml (names, keys, indexes, TTL, queue attributes,
redrive policies, secret layout), so the local world cannot drift from the deployed one.
CloudFormation intrinsics are resolved for a stack called "koppel-local" (by default).

Then it prints the functions' environment (the KOPPEL_* variables of Globals.Function,
resolved to the local resources) as KEY=value lines, for infra/dev to write to .dev/env.

Usage:
  bootstrap_local.py --endpoint http://127.0.0.1:PORT [--template template.yaml]
                     [--stack koppel-local] [--region eu-west-1]
                     [--param TeamleaderApiUrl=http://127.0.0.1:1234 ...]
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shlex
import string
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cfn_yaml  # noqa: E402

ACCOUNT_ID = "123456789012"
HANDLED_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
    "AWS::S3::Bucket",
)

# CloudFormation property name -> SQS attribute name (identical unless listed).
SQS_ATTRIBUTES = (
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "RedrivePolicy",
)


class Unresolved(Exception):
    """An intrinsic refers to a resource that does not exist (yet)."""


class Resolver:
    """Resolves CloudFormation intrinsics against a local stack."""

    def __init__(self, stack: str, region: str, parameters: dict[str, Any]):
        self.pseudo = {
            "AWS::StackName": stack,
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.parameters = parameters
        # logical id -> {"Ref": value, attribute: value, ...}
        self.resources: dict[str, dict[str, Any]] = {}

    def ref(self, name: str) -> Any:
        """Value of `!Ref name`."""
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name]["Ref"]
        raise Unresolved(name)

    def get_att(self, name: str, attribute: str) -> Any:
        """Value of `!GetAtt name.attribute`."""
        if name in self.resources and attribute in self.resources[name]:
            return self.resources[name][attribute]
        raise Unresolved(f"{name}.{attribute}")

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        """Value of `!Sub text` with extra `variables`."""

        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key.startswith("!"):
                return "${" + key[1:] + "}"
            if key in variables:
                return str(self.resolve(variables[key]))
            if "." in key and not key.startswith("AWS::"):
                resource, _, attribute = key.partition(".")
                return str(self.get_att(resource, attribute))
            return str(self.ref(key))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function replaced by its local value."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
                return self.get_att(parts[0], parts[1])
            if key == "Fn::Sub":
                if isinstance(argument, list):
                    return self.sub(argument[0], argument[1])
                return self.sub(argument, {})
            if key == "Fn::Join":
                return str(argument[0]).join(str(self.resolve(item)) for item in argument[1])
            if key.startswith("Fn::"):
                raise ValueError(f"bootstrap_local.py does not resolve {key}; keep data resources simple")
        return {key: self.resolve(item) for key, item in value.items()}


def stringify(value: Any) -> str:
    """SQS attributes are strings: booleans lower-case, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def create_table(session: Any, endpoint: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Create a DynamoDB table as the template describes it (keys, GSIs, billing, TTL, PITR)."""
    client = session.client("dynamodb", endpoint_url=endpoint)
    name = properties["TableName"]
    arguments: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    if properties.get("GlobalSecondaryIndexes"):
        arguments["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    try:
        description = client.create_table(**arguments)["TableDescription"]
    except client.exceptions.ResourceInUseException:
        description = client.describe_table(TableName=name)["Table"]
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    pitr = properties.get("PointInTimeRecoverySpecification")
    if pitr:
        client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=pitr)
    return {"Ref": name, "Arn": description["TableArn"]}


def create_queue(session: Any, endpoint: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Create an SQS queue with the template's attributes (FIFO, timeouts, redrive)."""
    client = session.client("sqs", endpoint_url=endpoint)
    name = properties["QueueName"]
    attributes = {key: stringify(properties[key]) for key in SQS_ATTRIBUTES if key in properties}
    url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}


def local_secret_string(properties: dict[str, Any]) -> str:
    """The secret's JSON: the template's SecretString, or its GenerateSecretString template with
    local placeholder values and a freshly generated key (e.g. session_key)."""
    if "SecretString" in properties:
        return str(properties["SecretString"])
    generate = properties.get("GenerateSecretString", {})
    document = json.loads(generate.get("SecretStringTemplate", "{}"))

    def fill(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            return {key: fill(value, f"{path}-{key}" if path else key) for key, value in node.items()}
        if node == "FILL-ME":
            return f"koppel-local-{path}".replace("_", "-")
        return node

    document = fill(document, "")
    key = generate.get("GenerateStringKey")
    if key:
        alphabet = string.ascii_letters + string.digits
        length = int(generate.get("PasswordLength", 32))
        document[key] = "".join(secrets.choice(alphabet) for _ in range(length))
    return json.dumps(document)


def create_bucket(session: Any, endpoint: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The bucket `BucketName` (idempotent)."""
    client = session.client("s3", endpoint_url=endpoint)
    name = properties["BucketName"]
    region = session.region_name
    try:
        if region and region != "us-east-1":
            client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        else:
            client.create_bucket(Bucket=name)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}


# Sections merged over the generated app secret (--app-secret): the simulators' credentials.
APP_SECRET_OVERRIDES: dict[str, Any] = {}


def merged(base: Any, over: Any) -> Any:
    """`over` merged into `base`, objects key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        result = dict(base)
        for key, value in over.items():
            result[key] = merged(base.get(key), value)
        return result
    return over


def create_secret(session: Any, endpoint: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Create the app secret with local placeholder credentials, or the simulators' ones given
    with --app-secret (kept if it already exists)."""
    client = session.client("secretsmanager", endpoint_url=endpoint)
    name = properties["Name"]
    value = local_secret_string(properties)
    if APP_SECRET_OVERRIDES and "GenerateSecretString" in properties:
        value = json.dumps(merged(json.loads(value), APP_SECRET_OVERRIDES))
    try:
        arn = client.create_secret(Name=name, SecretString=value)["ARN"]
    except client.exceptions.ResourceExistsException:
        arn = client.describe_secret(SecretId=name)["ARN"]
    return {"Ref": arn, "Id": arn, "Name": name}


CREATORS: dict[str, Callable[[Any, str, dict[str, Any]], dict[str, Any]]] = {
    "AWS::DynamoDB::Table": create_table,
    "AWS::SQS::Queue": create_queue,
    "AWS::SecretsManager::Secret": create_secret,
    "AWS::S3::Bucket": create_bucket,
}


def parameter_values(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """Template parameter defaults, with `overrides` applied; unknown overrides are an error."""
    declared = template.get("Parameters", {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise SystemExit(f"unknown template parameter(s): {', '.join(unknown)}")
    values = {name: spec.get("Default", "") for name, spec in declared.items()}
    values.update(overrides)
    return values


def bootstrap(template: dict[str, Any], resolver: Resolver, session: Any, endpoint: str) -> list[str]:
    """Create every handled resource in dependency order; return their logical ids."""
    pending = {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") in HANDLED_TYPES
    }
    created: list[str] = []
    while pending:
        progressed = False
        for logical_id, resource in list(pending.items()):
            try:
                properties = resolver.resolve(resource.get("Properties", {}))
            except Unresolved:
                continue
            if resource["Type"] == "AWS::S3::Bucket" and not properties.get("BucketName"):
                # CloudFormation generates a name; locally the stack and logical id make one.
                properties["BucketName"] = f"{resolver.pseudo['AWS::StackName']}-{logical_id}".lower()
            resolver.resources[logical_id] = CREATORS[resource["Type"]](session, endpoint, properties)
            created.append(logical_id)
            del pending[logical_id]
            progressed = True
        if not progressed:
            raise SystemExit(f"cannot resolve references of: {', '.join(sorted(pending))}")
    return created


def function_environment(template: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    """Globals.Function environment variables named KOPPEL_*, resolved locally."""
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    return {
        name: str(resolver.resolve(value))
        for name, value in variables.items()
        if name.startswith("KOPPEL_")
    }


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Create template.yaml's data resources in moto.")
    parser.add_argument("--endpoint", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--template", type=Path, default=Path(__file__).resolve().parents[2] / "template.yaml")
    parser.add_argument("--stack", default="koppel-local")
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--app-secret", default="", metavar="JSON",
                        help="sections merged over the generated app secret (the simulators' credentials)")
    args = parser.parse_args()
    if args.app_secret:
        try:
            APP_SECRET_OVERRIDES.update(json.loads(args.app_secret))
        except json.JSONDecodeError as error:
            raise SystemExit(f"--app-secret is not JSON: {error}")

    overrides = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--param wants NAME=VALUE, got {item!r}")
        overrides[name] = value

    import boto3

    template = cfn_yaml.load_file(str(args.template))
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=args.region,
    )
    resolver = Resolver(args.stack, args.region, parameter_values(template, overrides))
    created = bootstrap(template, resolver, session, args.endpoint)
    print(f"bootstrap: created {', '.join(created)}", file=sys.stderr)
    for name, value in sorted(function_environment(template, resolver).items()):
        print(f"{name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
