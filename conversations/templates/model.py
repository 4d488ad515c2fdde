"""The shape of a MUS template. Validation errors name the field, so a broken file is easy to fix.

A round stores `Template.model_dump(mode="json")` as its snapshot and restores it with
`Template.model_validate`, so later edits to a template file never change a running round.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Slug = str  # validated by pattern below

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
DEFAULT_MAX_LENGTH = 3000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# Longest texts accepted; chat platforms cut or refuse longer ones.
NAME_MAX = 64
TITLE_MAX = 200
QUESTION_MAX = 500
PROMPT_MAX = 300
TEXT_MAX = 3000
GUIDANCE_MAX = 5000


class Question(_Strict):
    """One preparation question.

    `help` carries the reflection sub-questions ("Spørgsmål til refleksion"). `prompts` splits
    one question into separately answered parts (Tønder Skema 2/3: "Hvad fungerer godt?",
    "Hvad kunne I gøre mere af?", "Hvordan kan du bidrage? Hvor skal du understøttes?").
    """

    id: str = Field(
        pattern=SLUG_PATTERN,
        max_length=NAME_MAX,
        description="Unique in the whole template; answers are stored under it.",
    )
    text: str = Field(min_length=1, max_length=QUESTION_MAX, description="The question.")
    help: str | None = Field(
        default=None,
        max_length=TEXT_MAX,
        description="Reflection questions or hints shown with the question.",
    )
    prompts: tuple[Annotated[str, Field(min_length=1, max_length=PROMPT_MAX)], ...] = Field(
        default=(), description="The question is answered in these separate parts."
    )
    max_length: int = Field(
        default=DEFAULT_MAX_LENGTH,
        ge=1,
        le=DEFAULT_MAX_LENGTH,
        description="Longest answer in characters.",
    )
    priority: bool = Field(
        default=False, description="A priority question: asked first in its theme."
    )


class Theme(_Strict):
    """A theme of the form. `optional` marks a block a team may keep whole, in part or not at
    all when it adapts the form (Tønder's Skema 2 and 3)."""

    id: str = Field(
        pattern=SLUG_PATTERN, max_length=NAME_MAX, description="Unique in the template."
    )
    title: str = Field(min_length=1, max_length=TITLE_MAX, description="The theme's heading.")
    intro: str | None = Field(
        default=None, max_length=TEXT_MAX, description="Shown before the theme's first question."
    )
    optional: bool = Field(
        default=False,
        description="A block the team may keep whole, in part or not at all (Skema 2/3).",
    )
    questions: tuple[Question, ...] = Field(min_length=1, description="One or more questions.")

    def ordered(self) -> tuple[Question, ...]:
        """The questions as they are asked: priority questions first, otherwise as written.
        The one order for the employee's form, the leader's overview and `templates show`."""
        return tuple(sorted(self.questions, key=lambda q: not q.priority))


class PlanField(_Strict):
    id: str = Field(pattern=SLUG_PATTERN, max_length=NAME_MAX)
    label: str = Field(min_length=1, max_length=TITLE_MAX)
    hint: str | None = Field(default=None, max_length=TEXT_MAX)
    multiline: bool = True
    required: bool = False


class PlanSpec(_Strict):
    """The fields of one development-plan item (BUF: læringsmål, tiltag, støtte, tidsplan)."""

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    fields: tuple[PlanField, ...] = Field(min_length=1)
    intro: str | None = Field(default=None, max_length=TEXT_MAX)
    max_items: int = Field(default=10, ge=1, le=50)

    @model_validator(mode="after")
    def _unique_field_ids(self) -> PlanSpec:
        _require_unique([(("fields", n, "id"), f.id) for n, f in enumerate(self.fields)])
        return self


class Template(_Strict):
    name: str = Field(
        pattern=SLUG_PATTERN,
        max_length=NAME_MAX,
        description="The template's name (in a template directory: the file name).",
    )
    title: str = Field(
        min_length=1, max_length=TITLE_MAX, description="Shown when a leader picks a template."
    )
    language: Literal["da", "en"] = Field(description="The language the questions are in.")
    description: str = Field(min_length=1, max_length=TEXT_MAX, description="What this MUS is for.")
    source: str | None = Field(
        default=None, max_length=TEXT_MAX, description="Where the material comes from."
    )
    employee_guidance: str | None = Field(
        default=None, max_length=GUIDANCE_MAX, description="How the employee prepares."
    )
    leader_guidance: str | None = Field(
        default=None, max_length=GUIDANCE_MAX, description="How the leader prepares."
    )
    themes: tuple[Theme, ...] = Field(min_length=1, description="Asked in this order.")
    plan: PlanSpec = Field(description="The development plan's fields.")
    summary_agenda: tuple[Annotated[str, Field(min_length=1, max_length=TEXT_MAX)], ...] = Field(
        default=(), description="Agenda items for the joint summary meeting."
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Template:
        _require_unique([(("themes", n, "id"), t.id) for n, t in enumerate(self.themes)])
        _require_unique(
            [
                (("themes", n, "questions", m, "id"), q.id)
                for n, t in enumerate(self.themes)
                for m, q in enumerate(t.questions)
            ]
        )
        return self

    def steps(self) -> tuple[Step, ...]:
        """The questions in the order they are asked, one step per answer box."""
        return self._steps

    @cached_property
    def _steps(self) -> tuple[Step, ...]:
        # Computed once per template: the model is frozen, and a handler asks for the steps
        # several times while handling one event.
        steps: list[Step] = []
        for theme in self.themes:
            for question in theme.ordered():
                if not question.prompts:
                    steps.append(Step(id=question.id, theme=theme, question=question, prompt=None))
                for n, prompt in enumerate(question.prompts, start=1):
                    steps.append(
                        Step(id=f"{question.id}.{n}", theme=theme, question=question, prompt=prompt)
                    )
        return tuple(steps)


SNAPSHOTS_KEPT = 32
"""Distinct snapshots `snapshot_template` keeps parsed (~45 KB each): rounds mostly share one."""

_snapshots: list[tuple[str, dict[str, Any], Template]] = []
"""(name, a copy of the data, the parsed template), the most recently used last."""


def snapshot_template(data: Mapping[str, Any]) -> Template:
    """A stored snapshot (a round's, a sub-group form's) as its `Template`, parsed once per
    process for each distinct snapshot.

    Why: every prep answer (typed or through the modal, and the click that opens the modal)
    reads its round, and validating the snapshot anew cost ~0.4 ms each time (pydantic, the
    id checks, the steps), more than the answer's own statements. A snapshot is recognised by
    its content (equality of the plain data, ~10 µs), never by the round's id alone, since a
    round's snapshot can be adapted (`RoundRepo.set_template`); the model is frozen, so one
    parsed copy serves every handler. A copy of the data is kept, so a caller changing its
    dict afterwards cannot make a stale match.
    """
    name = str(data.get("name", ""))
    for index in range(len(_snapshots) - 1, -1, -1):
        kept_name, kept, template = _snapshots[index]
        if kept_name == name and kept == data:
            if index != len(_snapshots) - 1:
                _snapshots.append(_snapshots.pop(index))
            return template
    template = Template.model_validate(data)
    _snapshots.append((name, copy.deepcopy(dict(data)), template))
    if len(_snapshots) > SNAPSHOTS_KEPT:
        del _snapshots[0]
    return template


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One answer box: a question, or one prompt of a question with prompts."""

    id: str
    theme: Theme
    question: Question
    prompt: str | None

    @property
    def max_length(self) -> int:
        return self.question.max_length


Loc = tuple[str | int, ...]


class DuplicateIdError(ValueError):
    """An id used twice. `path` is where, relative to the model that checked, so error
    messages can point at the exact field (`themes[1].questions[0].id`), not just the model."""

    def __init__(self, *, item: str, path: Loc, first: Loc) -> None:
        super().__init__(f"id '{item}' is used twice (first at {format_loc(first)})")
        self.item = item
        self.path = path
        self.first = first


def format_loc(loc: Loc) -> str:
    """Render a pydantic-style location as `themes[2].questions[0].text`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _require_unique(ids: list[tuple[Loc, str]]) -> None:
    seen: dict[str, Loc] = {}
    for path, item in ids:
        if item in seen:
            raise DuplicateIdError(item=item, path=path, first=seen[item])
        seen[item] = path
