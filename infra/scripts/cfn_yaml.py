"""Load CloudFormation / SAM YAML into plain Python data.

CloudFormation short-form tags (!Ref, !Sub, !GetAtt, !If, ...) become their long form
({"Ref": ...}, {"Fn::Sub": ...}, {"Fn::GetAtt": [...]}) so the SAM translator, cfn-lint
and the local bootstrap all see the same, tag-free structure.
"""

from __future__ import annotations

from typing import Any

import yaml


class CfnLoader(yaml.SafeLoader):
    """A safe YAML loader that understands CloudFormation short-form intrinsic tags."""


def _construct_tag(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)

    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_tag)

# Keep timestamps and dates as strings (AWSTemplateFormatVersion and friends).
CfnLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str) -> dict[str, Any]:
    """Parse a CloudFormation template from YAML text; raise ValueError if it is not a mapping."""
    data = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - CfnLoader derives from SafeLoader
    if not isinstance(data, dict):
        raise ValueError("a CloudFormation template must be a YAML mapping at the top level")
    return data


def load_file(path: str) -> dict[str, Any]:
    """Parse the CloudFormation template stored at `path`."""
    with open(path, encoding="utf-8") as handle:
        return load(handle.read())
