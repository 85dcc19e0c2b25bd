#!/usr/bin/env python3
"""Validate template.yaml offline: expand SAM with the SAM translator, then run cfn-lint.

cfn-lint >= 1.54 no longer expands AWS::Serverless resources itself, and its SAM schemas
miss typos such as a bad Runtime or FunctionResponseTypes value. So this script:
  1. loads the template (CloudFormation short tags understood),
  2. runs cfn-lint on the SAM template as written (catches unknown SAM properties),
  3. points every local CodeUri at a fake s3:// URI (the translator needs one) and expands
     the template with aws-sam-translator - no AWS credentials, no network,
  4. runs cfn-lint on the expanded CloudFormation JSON (resource schemas, enums, refs).
Exit status: 0 valid, 1 errors found, 2 could not read the template.

Usage: validate_template.py [TEMPLATE] [--strict] [--print-expanded]
  --strict          warnings (W*) fail the check too
  --print-expanded  print the expanded CloudFormation JSON to stdout
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cfn_yaml  # noqa: E402

REGION = "eu-west-1"
FAKE_CODE_URI = "s3://koppel-template-validation/code.zip"


def with_s3_code_uris(template: dict[str, Any]) -> dict[str, Any]:
    """Copy of `template` whose local CodeUri values (global and per function) are s3:// URIs."""
    result = copy.deepcopy(template)
    global_function = result.get("Globals", {}).get("Function", {})
    if isinstance(global_function, dict) and "CodeUri" in global_function:
        global_function["CodeUri"] = FAKE_CODE_URI
    for resource in result.get("Resources", {}).values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.setdefault("Properties", {})
        if isinstance(properties, dict) and properties.get("PackageType") != "Image":
            if "CodeUri" in properties or "CodeUri" not in global_function:
                properties["CodeUri"] = FAKE_CODE_URI
    return result


def expand(template: dict[str, Any]) -> dict[str, Any]:
    """Translate the SAM template into plain CloudFormation; raise ValueError on translator errors."""
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)
    from samtranslator.parser.parser import Parser
    from samtranslator.public.exceptions import InvalidDocumentException
    from samtranslator.translator.translator import Translator

    translator = Translator(managed_policy_map={}, sam_parser=Parser())
    try:
        return translator.translate(
            sam_template=with_s3_code_uris(template),
            parameter_values={},
            get_managed_policy_map=lambda: {},
        )
    except InvalidDocumentException as error:
        messages = [str(cause) for cause in error.causes] or [str(error)]
        raise ValueError("SAM translation failed:\n  " + "\n  ".join(messages)) from error


def lint(template_text: str, label: str) -> tuple[list[str], list[str]]:
    """Run cfn-lint on `template_text`; return (errors, warnings) as printable lines."""
    from cfnlint.api import lint as cfn_lint

    errors: list[str] = []
    warnings: list[str] = []
    for match in cfn_lint(template_text, regions=[REGION]):
        message = match.message if len(match.message) <= 300 else match.message[:297] + "..."
        line = f"{label}: {match.rule.id} {message} (line {match.linenumber}, {'/'.join(map(str, match.path or []))})"
        (errors if match.rule.id.startswith("E") else warnings).append(line)
    return errors, warnings


def validate(path: Path, strict: bool, print_expanded: bool) -> int:
    """Validate the template at `path`; print findings; return the exit status."""
    try:
        text = path.read_text(encoding="utf-8")
        template = cfn_yaml.load(text)
    except (OSError, ValueError, Exception) as error:  # yaml errors derive from Exception
        print(f"cannot read {path}: {error}", file=sys.stderr)
        return 2

    errors, warnings = lint(text, f"{path.name} (SAM)")

    try:
        expanded = expand(template)
    except ValueError as error:
        errors.append(f"{path.name}: {error}")
        expanded = None

    if expanded is not None:
        expanded_text = json.dumps(expanded, indent=1, sort_keys=True)
        if print_expanded:
            print(expanded_text)
        more_errors, more_warnings = lint(expanded_text, f"{path.name} (expanded)")
        errors += more_errors
        warnings += more_warnings

    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    failed = bool(errors) or (strict and bool(warnings))
    summary = f"{path}: {len(errors)} error(s), {len(warnings)} warning(s)"
    print(("INVALID " if failed else "valid ") + summary, file=sys.stderr)
    return 1 if failed else 0


def main() -> int:
    """Command-line entry point."""
    default = Path(__file__).resolve().parents[2] / "template.yaml"
    parser = argparse.ArgumentParser(description="Validate a SAM template offline (SAM translator + cfn-lint).")
    parser.add_argument("template", nargs="?", type=Path, default=default)
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--print-expanded", action="store_true", help="print the expanded CloudFormation JSON")
    args = parser.parse_args()
    return validate(args.template, args.strict, args.print_expanded)


if __name__ == "__main__":
    sys.exit(main())
