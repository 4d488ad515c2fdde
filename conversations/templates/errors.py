"""What is wrong in a template file, said so the person who wrote it can fix it: the line, the
field, and what was expected there, in Danish or English.

Pydantic's own messages are English and know nothing of lines; here every problem keeps its
kind and values, and `Problem.render(lang)` words it for the reader.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import yaml
from pydantic import BaseModel

from conversations.templates.model import Loc, Template

Lang = str  # "da" or "en"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file: where (`field`, `line`) and what (`kind` with `values`).

    `message` is the English wording, kept for logs and for callers that want one string.
    """

    message: str
    field: str | None = None
    line: int | None = None
    column: int | None = None
    kind: str = "custom"
    values: Mapping[str, Any] = dc_field(default_factory=dict)

    def render(self, lang: Lang = "en") -> str:
        lang = lang if lang in _WORDS else "en"
        words = _WORDS[lang]
        where: list[str] = []
        if self.line is not None:
            where.append(words["line"].format(line=self.line))
            if self.column is not None and not self.field:
                where.append(words["column"].format(column=self.column))
        if self.field:
            where.append(self.field)
        text = _message(self, lang)
        return f"{', '.join(where)}: {text}" if where else text


def _message(problem: Problem, lang: Lang) -> str:
    if lang == "en" and problem.kind in ("custom", "pydantic"):
        return problem.message
    template = _WORDS[lang].get(f"kind.{problem.kind}")
    if template is None:
        return problem.message
    values = dict(problem.values)
    if "first_field" in values:
        line = values.get("first_line")
        values["first"] = (
            words(lang, "at_line", line=line, field=values["first_field"])
            if line is not None
            else values["first_field"]
        )
    if "got_type" in values:
        values["got"] = _TYPE_NAMES[lang].get(values["got_type"], values["got_type"])
    if "expected" not in values:
        values["expected"] = expected(problem.field, lang)
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return problem.message


# ---------------------------------------------------------------- what each field expects

_EXPECTED: dict[str, dict[str, str]] = {
    "da": {
        "name": "et navn med små bogstaver, tal, - og _ (fx vores-skema)",
        "id": "et id med små bogstaver, tal, - og _ (fx trivsel-1)",
        "title": "en titel (tekst)",
        "language": "da eller en",
        "description": "en kort beskrivelse (tekst)",
        "source": "tekst",
        "employee_guidance": "tekst",
        "leader_guidance": "tekst",
        "themes": "en liste af temaer (- id:, title:, questions:)",
        "questions": "en liste af spørgsmål (- id:, text:)",
        "text": "spørgsmålets tekst",
        "help": "tekst",
        "intro": "tekst",
        "prompts": "en liste af delspørgsmål (tekst)",
        "max_length": "et heltal fra 1 til 3000",
        "priority": "true eller false",
        "optional": "true eller false",
        "plan": "udviklingsplanen (title:, fields:)",
        "fields": "en liste af planfelter (- id:, label:)",
        "label": "feltets overskrift (tekst)",
        "hint": "tekst",
        "multiline": "true eller false",
        "required": "true eller false",
        "max_items": "et heltal fra 1 til 50",
        "summary_agenda": "en liste af dagsordenspunkter (tekst)",
        "item": "tekst",
        "": "en mapping (name:, title:, language:, ...)",
    },
    "en": {
        "name": "a name of lowercase letters, digits, - and _ (e.g. our-form)",
        "id": "an id of lowercase letters, digits, - and _ (e.g. wellbeing-1)",
        "title": "a title (text)",
        "language": "da or en",
        "description": "a short description (text)",
        "source": "text",
        "employee_guidance": "text",
        "leader_guidance": "text",
        "themes": "a list of themes (- id:, title:, questions:)",
        "questions": "a list of questions (- id:, text:)",
        "text": "the question's text",
        "help": "text",
        "intro": "text",
        "prompts": "a list of sub-questions (text)",
        "max_length": "a whole number from 1 to 3000",
        "priority": "true or false",
        "optional": "true or false",
        "plan": "the development plan (title:, fields:)",
        "fields": "a list of plan fields (- id:, label:)",
        "label": "the field's heading (text)",
        "hint": "text",
        "multiline": "true or false",
        "required": "true or false",
        "max_items": "a whole number from 1 to 50",
        "summary_agenda": "a list of agenda items (text)",
        "item": "text",
        "": "a mapping (name:, title:, language:, ...)",
    },
}


def expected(path: str | None, lang: Lang) -> str:
    """What belongs at a field path such as `themes[2].questions[0].text`."""
    table = _EXPECTED[lang if lang in _EXPECTED else "en"]
    if not path:
        return table[""]
    last = path.rsplit(".", 1)[-1]
    if last.endswith("]"):
        base = last[: last.index("[")]
        # an item of a list: a theme, a question, a prompt, an agenda item
        return {
            "themes": table["themes"],
            "questions": table["questions"],
            "fields": table["fields"],
        }.get(base, table["item"])
    return table.get(last, table["item"])


_TYPE_NAMES: dict[str, dict[str, str]] = {
    "da": {
        "str": "tekst",
        "int": "et tal",
        "float": "et tal",
        "bool": "true/false",
        "list": "en liste",
        "dict": "en mapping",
        "NoneType": "ingenting",
    },
    "en": {
        "str": "text",
        "int": "a number",
        "float": "a number",
        "bool": "true/false",
        "list": "a list",
        "dict": "a mapping",
        "NoneType": "nothing",
    },
}


_WORDS: dict[str, dict[str, str]] = {
    "da": {
        "line": "linje {line}",
        "column": "kolonne {column}",
        "kind.missing": "mangler – her skal stå {expected}",
        "kind.extra_forbidden": "ukendt felt '{key}' – tilladte felter her: {allowed}",
        "kind.wrong_type": "forkert type: fik {got}, forventede {expected}",
        "kind.string_too_short": "må ikke være tom – her skal stå {expected}",
        "kind.string_too_long": "er for lang: {actual} tegn, højst {max_length}",
        "kind.string_pattern_mismatch": "'{input}' kan ikke bruges – forventede {expected}",
        "kind.greater_than_equal": "skal være mindst {ge}",
        "kind.less_than_equal": "må højst være {le}",
        "kind.literal_error": "'{input}' er ikke tilladt – forventede {expected}",
        "kind.too_short": "skal have mindst {min_length} – forventede {expected}",
        "kind.too_long": "har for mange: højst {max_length}",
        "kind.duplicate_id": "id '{item}' er brugt to gange (første gang {first})",
        "kind.duplicate_key": "feltet '{key}' står to gange (første gang i linje {first_key_line})",
        "kind.yaml": "ugyldig YAML: {what}",
        "kind.empty": "filen er tom",
        "kind.not_mapping": "øverste niveau skal være en mapping (name:, title:, ...), ikke {got}",
        "kind.name_mismatch": "'{name}' skal være lig filnavnet uden endelse ('{stem}')",
        "kind.not_utf8": "filen er ikke UTF-8-tekst",
        "kind.unreadable": "filen kan ikke læses: {reason}",
        "kind.no_dir": "skabelonmappen findes ikke",
        "kind.invalid": "ugyldig værdi – forventede {expected}",
        "at_line": "i linje {line}, {field}",
    },
    "en": {
        "line": "line {line}",
        "column": "column {column}",
        "kind.missing": "is missing – expected {expected}",
        "kind.extra_forbidden": "unknown field '{key}' – fields allowed here: {allowed}",
        "kind.wrong_type": "wrong type: got {got}, expected {expected}",
        "kind.string_too_short": "must not be empty – expected {expected}",
        "kind.string_too_long": "is too long: {actual} characters, at most {max_length}",
        "kind.string_pattern_mismatch": "'{input}' cannot be used – expected {expected}",
        "kind.greater_than_equal": "must be at least {ge}",
        "kind.less_than_equal": "must be at most {le}",
        "kind.literal_error": "'{input}' is not allowed – expected {expected}",
        "kind.too_short": "needs at least {min_length} – expected {expected}",
        "kind.too_long": "has too many: at most {max_length}",
        "kind.duplicate_id": "id '{item}' is used twice (first {first})",
        "kind.duplicate_key": "the field '{key}' appears twice (first on line {first_key_line})",
        "kind.yaml": "invalid YAML: {what}",
        "kind.empty": "the file is empty",
        "kind.not_mapping": "the top level must be a mapping (name:, title:, ...), not {got}",
        "kind.name_mismatch": "'{name}' must equal the file name without suffix ('{stem}')",
        "kind.not_utf8": "the file is not UTF-8 text",
        "kind.unreadable": "cannot read the file: {reason}",
        "kind.no_dir": "the template directory does not exist",
        "kind.invalid": "invalid value – expected {expected}",
        "at_line": "on line {line}, {field}",
    },
}

_WRONG_TYPE = {
    "string_type",
    "int_type",
    "int_parsing",
    "int_from_float",
    "bool_type",
    "bool_parsing",
    "tuple_type",
    "list_type",
    "model_type",
    "model_attributes_type",
    "dict_type",
    "iterable_type",
}


def words(lang: Lang, key: str, **values: Any) -> str:
    return _WORDS[lang if lang in _WORDS else "en"][key].format(**values)


# ---------------------------------------------------------------- lines of a YAML document


class LineMap:
    """Where each value of a parsed YAML document stands, by pydantic-style location."""

    def __init__(self, node: yaml.Node | None) -> None:
        self._root = node

    def node(self, loc: Loc) -> tuple[yaml.Node | None, bool]:
        """The node at `loc` (or the nearest existing parent) and whether it was found whole."""
        node = self._root
        for part in loc:
            child = _child(node, part)
            if child is None:
                return node, False
            node = child
        return node, True

    def line(self, loc: Loc) -> int | None:
        node, whole = self.node(loc)
        if node is None:
            return None
        if whole and loc and isinstance(loc[-1], str):
            key = _key_node(self.node(loc[:-1])[0], loc[-1])
            if key is not None:
                return int(key.start_mark.line) + 1
        return int(node.start_mark.line) + 1


def _key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return key_node
    return None


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return value_node
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    return None


# ---------------------------------------------------------------- which fields a model allows


def model_at(loc: Loc) -> type[BaseModel] | None:
    """The template model that holds the value at `loc` (Template, Theme, Question, ...)."""
    model: Any = Template
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _inner(info.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner(annotation: Any) -> Any:
    """`tuple[Theme, ...]` -> Theme; `PlanSpec | None` -> PlanSpec."""
    origin = typing.get_origin(annotation)
    if origin in (tuple, list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not Ellipsis and arg is not type(None):
                return _inner(arg)
    return annotation


def allowed_fields(loc: Loc) -> str:
    model = model_at(loc)
    return ", ".join(model.model_fields) if model is not None else ""


WRONG_TYPE = frozenset(_WRONG_TYPE)
