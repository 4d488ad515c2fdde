"""Finding, loading and validating template files, built-in and user-supplied.

Built-in templates are package data (found with `importlib.resources`, so they work from an
installed wheel). Users add or override templates with directories of their own YAML files
(`MUSBOT_TEMPLATE_DIRS`). A broken file is reported with its file name and field path and
never takes the other templates down with it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from conversations.templates.model import DuplicateIdError, Loc, Template, format_loc

log = logging.getLogger(__name__)

BUILTIN_PACKAGE = "conversations.templates"
SUFFIXES = (".yaml", ".yml")
BUILTIN = "built-in"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file: where (`field`, `line`) and what."""

    message: str
    field: str | None = None
    line: int | None = None
    column: int | None = None

    def render(self) -> str:
        where = self.field or ""
        if not where and self.line is not None:
            where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}" if where else self.message


class TemplateError(Exception):
    """A template file that cannot be used. The message starts with the file, then the field
    path or line, so whoever edits the file knows exactly where to look:
    `toender.yaml: themes[2].questions[0].text: Field required`."""

    def __init__(self, *, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{file}: {p.render()}" for p in self.problems))

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems if p.field]


class UnknownTemplateError(KeyError):
    """Asked for a template that does not exist; the message lists the ones that do."""

    def __init__(self, *, name: str, available: Sequence[str]) -> None:
        self.name = name
        self.available = tuple(available)
        listed = ", ".join(self.available) or "none"
        self.message = f"no template named '{name}'; available: {listed}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.message


# --- loading one file -------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys, which plain YAML silently overwrites."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = line
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(*, text: str, file: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        what = exc.problem or "invalid YAML"
        context, cmark, pmark = exc.context, exc.context_mark, exc.problem_mark
        if context and cmark is not None and (pmark is None or cmark.line != pmark.line):
            what += f" ({context} that began on line {cmark.line + 1})"
        elif context:
            what += f" ({context})"
        mark = pmark or cmark
        problem = Problem(
            f"invalid YAML: {what}",
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        )
        raise TemplateError(file=file, problems=[problem]) from exc
    except yaml.YAMLError as exc:
        raise TemplateError(file=file, problems=[Problem(f"invalid YAML: {exc}")]) from exc


def _problem(error: ErrorDetails) -> Problem:
    loc: Loc = tuple(error["loc"])
    message = error["msg"]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, DuplicateIdError):
        # The model checked ids relative to itself; make both places absolute.
        first = format_loc(loc + cause.first)
        loc, message = loc + cause.path, f"id '{cause.item}' is used twice (first at {first})"
    return Problem(message, field=format_loc(loc) or None)


def _problems(errors: Sequence[ErrorDetails]) -> list[Problem]:
    """One problem per real mistake: pydantic also reports a list as too short when its only
    item failed, which only distracts from the field that is actually wrong."""
    locs = [tuple(e["loc"]) for e in errors]

    def follows_from_inner(n: int) -> bool:
        here = locs[n]
        return errors[n]["type"] == "too_short" and any(
            len(other) > len(here) and other[: len(here)] == here for other in locs
        )

    return [_problem(e) for n, e in enumerate(errors) if not follows_from_inner(n)]


def validate_template(*, data: Any, file: str) -> Template:
    """Validate parsed YAML (or a snapshot) into a `Template`, or raise `TemplateError`."""
    if data is None:
        raise TemplateError(file=file, problems=[Problem("the file is empty")])
    if not isinstance(data, Mapping):
        kind = type(data).__name__
        raise TemplateError(
            file=file,
            problems=[
                Problem(f"the top level must be a mapping (name:, title:, ...), not a {kind}")
            ],
        )
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(file=file, problems=_problems(exc.errors())) from exc


def load_template(*, path: Path | Traversable, label: str | None = None) -> Template:
    """Read and validate one template file; its `name` must equal the file name without suffix,
    so `musbot templates show <name>` always finds the file you wrote.

    `label` is how errors name the file (default: the file name).
    """
    file = label or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateError(
            file=file, problems=[Problem(f"not UTF-8 text ({exc.reason})")]
        ) from exc
    except OSError as exc:
        raise TemplateError(
            file=file, problems=[Problem(f"cannot read: {exc.strerror or exc}")]
        ) from exc
    template = validate_template(data=_parse_yaml(text=text, file=file), file=file)
    stem = _stem(path.name)
    if template.name != stem:
        raise TemplateError(
            file=file,
            problems=[
                Problem(
                    f"'{template.name}' must equal the file name without suffix ('{stem}')",
                    field="name",
                )
            ],
        )
    return template


def _stem(filename: str) -> str:
    for suffix in SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def _is_template_file(entry: Traversable) -> bool:
    return entry.is_file() and entry.name.endswith(SUFFIXES) and not entry.name.startswith(".")


def split_dir_list(*, value: str | None) -> list[Path]:
    """Parse a directory-list setting (`MUSBOT_TEMPLATE_DIRS`): entries separated by the OS path
    separator (`:` on Linux, `;` on Windows) or by commas; blanks ignored, `~` expanded."""
    if not value:
        return []
    parts = value.replace(",", os.pathsep).split(os.pathsep)
    return [Path(p.strip()).expanduser() for p in parts if p.strip()]


# --- the library ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    template: Template
    origin: str  # BUILTIN or the user file's path


class TemplateLibrary:
    """All usable templates: the built-in ones, plus files in `extra_dirs` (later directories
    win; a user file named like a built-in replaces it). Satisfies the engine's `TemplateSource`.

    Files are read once, at construction and on `reload()`; a running round never depends on
    them anyway, because it keeps a `snapshot()` of its template.
    """

    def __init__(self, *, extra_dirs: Sequence[Path] = ()) -> None:
        self._extra_dirs = tuple(Path(d) for d in extra_dirs)
        self._entries: dict[str, _Entry] = {}
        self._errors: list[TemplateError] = []
        self.reload()

    def reload(self) -> None:
        """Read every template file again (after a user edits or adds one)."""
        entries: dict[str, _Entry] = {}
        errors: list[TemplateError] = []
        builtin_dir = resources.files(BUILTIN_PACKAGE)
        for entry in sorted(builtin_dir.iterdir(), key=lambda e: e.name):
            if _is_template_file(entry):
                self._add(entries, errors, path=entry, label=entry.name, origin=BUILTIN)
        for directory in self._extra_dirs:
            if not directory.is_dir():
                error = TemplateError(
                    file=str(directory), problems=[Problem("template directory does not exist")]
                )
                log.warning("%s", error)
                errors.append(error)
                continue
            for path in sorted(directory.iterdir()):
                if _is_template_file(path):
                    self._add(entries, errors, path=path, label=str(path), origin=str(path))
        self._entries = entries
        self._errors = errors

    @staticmethod
    def _add(
        entries: dict[str, _Entry],
        errors: list[TemplateError],
        *,
        path: Path | Traversable,
        label: str,
        origin: str,
    ) -> None:
        try:
            template = load_template(path=path, label=label)
        except TemplateError as error:
            kept = entries.get(_stem(path.name))
            suffix = f"; keeping the {kept.origin} one" if kept else ""
            log.error("template file skipped%s:\n%s", suffix, error)
            errors.append(error)
            return
        previous = entries.get(template.name)
        if previous is not None:
            log.warning(
                "template '%s' from %s overrides the %s one",
                template.name,
                origin,
                "built-in" if previous.origin == BUILTIN else f"one from {previous.origin}",
            )
        entries[template.name] = _Entry(template=template, origin=origin)

    def names(self) -> list[str]:
        """Names of all usable templates, sorted."""
        return sorted(self._entries)

    def get(self, *, name: str) -> Template:
        """The template called `name`; `UnknownTemplateError` (a `KeyError`) lists the others."""
        entry = self._entries.get(name)
        if entry is None:
            raise UnknownTemplateError(name=name, available=self.names())
        return entry.template

    def origin(self, *, name: str) -> str:
        """Where a template came from: `built-in` or the user file's path."""
        entry = self._entries.get(name)
        if entry is None:
            raise UnknownTemplateError(name=name, available=self.names())
        return entry.origin

    def snapshot(self, *, name: str) -> dict[str, Any]:
        """The template as plain JSON data, stored with a round so later edits of the file never
        change a form someone is half-way through."""
        return self.get(name=name).model_dump(mode="json")

    @staticmethod
    def from_snapshot(data: Mapping[str, Any]) -> Template:
        """Restore a round's template from its snapshot (a `TemplateError` if it is corrupt)."""
        name = data.get("name") if isinstance(data, Mapping) else None
        return validate_template(data=data, file=f"snapshot of '{name or '?'}'")

    def errors(self) -> list[TemplateError]:
        """Files that could not be loaded at the last (re)load, for the CLI and logs."""
        return list(self._errors)
