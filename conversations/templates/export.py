"""Templates written back out as YAML, and the JSON Schema editors check template files with.

`to_yaml` is canonical: the same template always gives the same text, and parsing that text
gives the same template again, so a file exported, imported and exported again is identical.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import yaml

from conversations.templates.model import Template

SCHEMA_FILE = "template.schema.json"
SCHEMA_ID = (
    "https://github.com/musbot/musbot/blob/main/conversations/templates/template.schema.json"
)
HEADER = f"# yaml-language-server: $schema={SCHEMA_ID}\n"


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text (as people write it), plain order of the model."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(template: Template) -> str:
    """The template as a YAML file: defaults left out, fields in the documented order."""
    data = template.model_dump(mode="json", exclude_defaults=True)
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2)
    return HEADER + body


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a template file, generated from the model (never written by hand)."""
    schema = Template.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def shipped_schema_text() -> str:
    """The schema file shipped next to the built-in templates."""
    return resources.files("conversations.templates").joinpath(SCHEMA_FILE).read_text("utf-8")
