"""Employees' preparation: where each one is in the questions, and their answers."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, Text, and_, bindparam, cast, func, literal, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.domain import Phase, PrepAnswer, PrepSession, PrepStatus
from conversations.lifecycles.prep import PrepTransition, persisted
from conversations.ports import PREP_CARD_KEY_PREFIX, AnswerWrite, OwnPrep
from conversations.templates.stored import RoundForm
from storage.models import (
    TeamRole,
    prep_answers,
    prep_sessions,
    round_forms,
    round_people,
    rounds,
    sent_messages,
)
from storage.repositories._base import Repo, insert_for
from storage.repositories.rounds import round_and_team, select_with_team
from storage.types import EncryptedString


def to_session(row: Any) -> PrepSession:
    return PrepSession(
        round_id=row.round_id,
        person_id=row.person_id,
        cursor=row.cursor,
        status=PrepStatus(row.status),
        shared_at=row.shared_at,
        conversation_held_at=row.conversation_held_at,
        updated_at=row.updated_at,
    )


def to_answer(row: Any) -> PrepAnswer:
    return PrepAnswer(
        round_id=row.round_id,
        person_id=row.person_id,
        question_id=row.question_id,
        text=row.text,
        skipped=row.skipped,
        updated_at=row.updated_at,
        revision=row.revision,
    )


_ANSWER_KEYS = ("question_id", "text", "skipped", "updated_at", "revision")


def _answers_json(dialect: str, person_id: Any) -> Any:
    """The person's answers in the round as one JSON array (a scalar subquery: one value per
    round, so the round's large template snapshot is not repeated once per answer)."""
    pairs: list[Any] = []
    for key in _ANSWER_KEYS:
        pairs += [literal_column(f"'{key}'"), prep_answers.c[key]]
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_object(*pairs))
    else:
        aggregate = func.json_group_array(func.json_object(*pairs))
    return (
        select(aggregate)
        .where((prep_answers.c.round_id == rounds.c.id) & (prep_answers.c.person_id == person_id))
        .scalar_subquery()
    )


def _card_ref(person_id: Any) -> Any:
    """The ref of the person's current question card in each round (`ports.prep_card_key`),
    as a correlated subquery of the round's row. Round and person ids are the database's own,
    so the key names one chat whatever the platform."""
    key = (
        literal(PREP_CARD_KEY_PREFIX)
        + cast(rounds.c.id, String)
        + literal(":")
        + cast(person_id, String)
    )
    return (
        select(sent_messages.c.ref)
        .where(sent_messages.c.key == key)
        .order_by(sent_messages.c.updated_at.desc())
        .limit(1)
        .scalar_subquery()
    )


class Answers(Mapping[str, PrepAnswer]):
    """A person's answers in a round, by question id, each opened (its text decrypted) only
    when it is looked at.

    Why: the read of a prep answer brings all of the person's answers (which questions are
    answered decides where they go next), but shows at most one or two of their texts: opening
    every one cost ~0.1 ms each, on every answer and every click on "Svar". Which ids are
    answered (`in`, iteration, `len`) needs no decryption.
    """

    __slots__ = ("_dialect", "_items", "_person_id", "_round_id")

    def __init__(
        self,
        items: dict[str, PrepAnswer | dict[str, Any]],
        *,
        round_id: int,
        person_id: int,
        dialect: Any,
    ) -> None:
        self._items = items  # an opened answer, or `_answers_json`'s item as read
        self._round_id = round_id
        self._person_id = person_id
        self._dialect = dialect

    def __getitem__(self, question_id: str) -> PrepAnswer:
        found = self._items[question_id]
        if isinstance(found, PrepAnswer):
            return found
        text_type = prep_answers.c.text.type
        assert isinstance(text_type, EncryptedString)
        opened = PrepAnswer(
            round_id=self._round_id,
            person_id=self._person_id,
            question_id=question_id,
            text=text_type.process_result_value(found["text"], self._dialect),
            skipped=bool(found["skipped"]),
            updated_at=_moment(found["updated_at"]),
            revision=int(found["revision"]),
        )
        self._items[question_id] = opened
        return opened

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Answers({sorted(self._items)})"  # never the texts

    def put(self, answer: PrepAnswer) -> None:
        """A saved answer (this transaction's own write)."""
        self._items[answer.question_id] = answer

    def copy(self) -> Answers:
        """A snapshot: later saves in the transaction do not change it."""
        return Answers(
            dict(self._items),
            round_id=self._round_id,
            person_id=self._person_id,
            dialect=self._dialect,
        )


def _moment(value: str) -> datetime:
    """A timestamp as JSON carries it: SQLite's stored UTC wall clock, or PostgreSQL's ISO
    text with an offset."""
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


SNAPSHOTS_KEPT = 32
"""Distinct round snapshots `_snapshot` keeps decoded (~9 KB of text and its data each)."""

_snapshots: OrderedDict[str, dict[str, Any]] = OrderedDict()


def _snapshot(text: str) -> dict[str, Any]:
    """A round's template snapshot from its stored JSON text, decoded once per process for
    each distinct text, most rounds sharing one.

    Why: every prep answer and every click on "Svar" reads the round, and decoding its
    ~9 KB snapshot cost ~0.15 ms each time (the driver's JSON codec). The data is shared by
    the readers: the flows read a snapshot, never change it in place (an adapted form is
    stored as a new one, `RoundRepo.set_template`, so it arrives as another text).
    """
    found = _snapshots.get(text)
    if found is not None:
        _snapshots.move_to_end(text)
        return found
    data = json.loads(text)
    assert isinstance(data, dict)
    _snapshots[text] = data
    if len(_snapshots) > SNAPSHOTS_KEPT:
        _snapshots.popitem(last=False)
    return data


class SqlPrepRepo(Repo):
    """One per transaction: a person's answers and session, once read, are kept up to date
    here by `save_answer` and `apply`, so a flow that reads them again (the policy's read, the
    lifecycle's check before storing) costs no second query."""

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self._answers: dict[tuple[int, int], Answers] = {}
        self._sessions: dict[tuple[int, int], PrepSession | None] = {}

    async def own(
        self, *, person_id: int, round_id: int | None = None, phases: Sequence[Phase] = ()
    ) -> list[OwnPrep]:
        """One statement: the rounds (with their people), each joined to its team (one row),
        its form and the person's session (at most one row each), the team's people and the
        person's answers as per-round aggregates. The session and answers are kept for this
        transaction, as `get_session` and `answers` keep what they read."""
        shape = (round_id is not None, tuple(p.value for p in phases))
        stmt = self._statement("own", *shape, build=lambda dialect: _own(dialect, *shape))
        params: dict[str, Any] = {"person_id": person_id}
        if round_id is not None:
            params["round_id"] = round_id
        found = []
        for row in await self._conn.execute(stmt, params):
            round_, team = round_and_team(row, template=_snapshot(row.template_text))
            form = (
                None
                if row.f_data is None
                else RoundForm.from_data(
                    row.f_data,
                    round_id=round_.id,
                    held=row.f_held,
                    release_on=row.f_release_on,
                    released_at=row.f_released_at,
                )
            )
            session = (
                None
                if row.s_status is None
                else PrepSession(
                    round_id=round_.id,
                    person_id=person_id,
                    cursor=row.s_cursor,
                    status=PrepStatus(row.s_status),
                    shared_at=row.s_shared_at,
                    conversation_held_at=row.s_held_at,
                    updated_at=row.s_updated_at,
                )
            )
            answers = self._decode_answers(row.answers, round_.id, person_id)
            key = (round_.id, person_id)
            self._sessions[key] = session
            self._answers[key] = answers
            found.append(
                OwnPrep(
                    round=round_,
                    team=team,
                    form=form,
                    session=session,
                    answers=answers.copy(),
                    card_ref=None if row.card_ref is None else str(row.card_ref),
                )
            )
        return found

    def _decode_answers(self, value: Any, round_id: int, person_id: int) -> Answers:
        """The JSON array of `_answers_json`; each text is opened with the column's type (as a
        plain SELECT would), when it is first looked at (`Answers`)."""
        rows = json.loads(value) if isinstance(value, str | bytes) else (value or [])
        return Answers(
            {item["question_id"]: item for item in rows},
            round_id=round_id,
            person_id=person_id,
            dialect=self._conn.dialect,
        )

    async def get_session(self, *, round_id: int, person_id: int) -> PrepSession | None:
        key = (round_id, person_id)
        if key in self._sessions:
            return self._sessions[key]
        row = (
            await self._conn.execute(
                select(prep_sessions).where(
                    (prep_sessions.c.round_id == round_id)
                    & (prep_sessions.c.person_id == person_id)
                )
            )
        ).one_or_none()
        found = None if row is None else to_session(row)
        self._sessions[key] = found
        return found

    async def apply(
        self,
        *,
        round_id: int,
        person_id: int,
        transition: PrepTransition,
        at: datetime,
        cursor: int | None = None,
        answer: AnswerWrite | None = None,
    ) -> PrepSession:
        """Store the row the transition leaves behind (`lifecycles.prep.persisted`), in one
        upsert; `ValueError` when it was decided on another state than the stored one.

        The session this transaction already read is not read again: the upsert only touches
        a row still in the transition's `before` state (status and held), so a transition
        decided on stale data changes nothing, returns no row and is refused (the caller's
        transaction then rolls back, `answer` with it).

        `answer` rides along on PostgreSQL as a writable CTE (one round trip for an answer
        and the move past it); SQLite has no DML in WITH, so there it is `save_answer` first.
        """
        previous = await self.get_session(round_id=round_id, person_id=person_id)
        row = persisted(
            previous, transition, round_id=round_id, person_id=person_id, at=at, cursor=cursor
        )
        before = transition.before
        held = before.held
        along = answer is not None and self._conn.dialect.name == "postgresql"
        if answer is not None and not along:
            await self.save_answer(
                round_id=round_id,
                person_id=person_id,
                question_id=answer.question_id,
                text=answer.text,
                skipped=answer.skipped,
                at=at,
            )
        stmt = self._statement(
            "apply", held, along, build=lambda dialect: _apply(dialect, held, with_answer=along)
        )
        params: dict[str, Any] = {
            "round_id": round_id,
            "person_id": person_id,
            "cursor": row.cursor,
            "status": row.status.value,
            "shared_at": row.shared_at,
            "conversation_held_at": row.conversation_held_at,
            "updated_at": at,
            "before_status": before.status.value,
        }
        if along and answer is not None:
            params.update(question_id=answer.question_id, text=answer.text, skipped=answer.skipped)
        stored = (await self._conn.execute(stmt, params)).one_or_none()
        key = (round_id, person_id)
        if stored is None:
            self._sessions.pop(key, None)  # read it afresh next time
            raise ValueError(f"prep transition from {before}, but the stored session changed")
        saved = to_session(stored)
        self._sessions[key] = saved
        if along and answer is not None:
            self._saved(
                PrepAnswer(
                    round_id=round_id,
                    person_id=person_id,
                    question_id=answer.question_id,
                    text=answer.text,
                    skipped=answer.skipped,
                    updated_at=stored.a_updated_at,
                    revision=stored.a_revision,
                )
            )
        return saved

    async def sessions(self, *, round_id: int) -> list[PrepSession]:
        """Every session of the round, by person id (stable for overviews)."""
        stmt = self._statement("sessions", build=_sessions)
        rows = await self._conn.execute(stmt, {"round_id": round_id})
        return [to_session(row) for row in rows]

    async def answers(self, *, round_id: int, person_id: int) -> Mapping[str, PrepAnswer]:
        known = self._answers.get((round_id, person_id))
        if known is not None:
            return known.copy()
        rows = await self._conn.execute(
            select(prep_answers).where(
                (prep_answers.c.round_id == round_id) & (prep_answers.c.person_id == person_id)
            )
        )
        found = Answers(
            {row.question_id: to_answer(row) for row in rows},
            round_id=round_id,
            person_id=person_id,
            dialect=self._conn.dialect,
        )
        self._answers[(round_id, person_id)] = found
        return found.copy()

    async def save_answer(
        self,
        *,
        round_id: int,
        person_id: int,
        question_id: str,
        text: str | None,
        skipped: bool,
        at: datetime,
    ) -> PrepAnswer:
        """Create or replace; `revision` counts the saves (1 for the first).

        The increment happens in the database (`revision = revision + 1` in the upsert), so
        concurrent saves each get their own revision instead of losing one. The text is not
        returned: it is the one just given (returning it would decrypt what was just sealed).
        """
        stmt = self._statement("save_answer", build=_save_answer)
        params = {
            "round_id": round_id,
            "person_id": person_id,
            "question_id": question_id,
            "text": text,
            "skipped": skipped,
            "updated_at": at,
        }
        row = (await self._conn.execute(stmt, params)).one()
        return self._saved(
            PrepAnswer(
                round_id=row.round_id,
                person_id=row.person_id,
                question_id=row.question_id,
                text=text,
                skipped=row.skipped,
                updated_at=row.updated_at,
                revision=row.revision,
            )
        )

    def _saved(self, answer: PrepAnswer) -> PrepAnswer:
        """A stored answer joins the answers this transaction already knows."""
        known = self._answers.get((answer.round_id, answer.person_id))
        if known is not None:
            known.put(answer)
        return answer


def _sessions(_dialect: str) -> Any:
    return (
        select(prep_sessions)
        .where(prep_sessions.c.round_id == _param(prep_sessions.c.round_id))
        .order_by(prep_sessions.c.person_id)
    )


def _param(column: Any) -> Any:
    return bindparam(column.name, type_=column.type)


def _save_answer(dialect: str) -> Any:
    """`SqlPrepRepo.save_answer`'s upsert (built once: `Repo._statement`)."""
    c = prep_answers.c
    given = (c.round_id, c.person_id, c.question_id, c.text, c.skipped, c.updated_at)
    stmt = insert_for(dialect, prep_answers).values(
        {**{column: _param(column) for column in given}, c.revision: 1}
    )
    return stmt.on_conflict_do_update(
        index_elements=["round_id", "person_id", "question_id"],
        set_={
            "text": stmt.excluded.text,
            "skipped": stmt.excluded.skipped,
            "updated_at": stmt.excluded.updated_at,
            "revision": c.revision + 1,
        },
    ).returning(*(column for column in c if column.name != "text"))


def _apply(dialect: str, held: bool, *, with_answer: bool = False) -> Any:
    """`SqlPrepRepo.apply`'s upsert for a transition from a state with (or without) a held
    conversation; the state's status is the `before_status` parameter. `with_answer`
    (PostgreSQL): `_save_answer` runs in the same statement, as a writable CTE that shares
    its round, person and time parameters with the session's row, and returns the answer's
    revision and time beside the session."""
    c = prep_sessions.c
    changed = (c.cursor, c.status, c.shared_at, c.conversation_held_at, c.updated_at)
    stmt = insert_for(dialect, prep_sessions).values(
        {column: _param(column) for column in (c.round_id, c.person_id, *changed)}
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=["round_id", "person_id"],
        set_={column.name: _param(column) for column in changed},
        where=(c.status == bindparam("before_status", type_=c.status.type))
        & (c.conversation_held_at.is_not(None) if held else c.conversation_held_at.is_(None)),
    ).returning(*c)
    if not with_answer:
        return upsert
    saved = _save_answer(dialect).cte("saved_answer")
    return upsert.add_cte(saved).returning(
        select(saved.c.revision).scalar_subquery().label("a_revision"),
        select(saved.c.updated_at).scalar_subquery().label("a_updated_at"),
    )


def _own(dialect: str, by_round: bool, phases: tuple[str, ...]) -> Any:
    """`SqlPrepRepo.own`'s read (built once per shape: `Repo._statement`); parameters
    `person_id` and, `by_round`, `round_id`."""
    s, f = prep_sessions.alias("s"), round_forms.alias("f")
    person_id = bindparam("person_id", type_=prep_sessions.c.person_id.type)
    base = select_with_team()
    # The snapshot as the stored text, decoded once per distinct text (`_snapshot`).
    columns = [column for column in base.selected_columns if column.key != "template"]
    raw = cast(rounds.c.template, Text).label("template_text")
    stmt = (
        base.with_only_columns(*columns, raw, maintain_column_froms=True)
        .add_columns(
            f.c.held.label("f_held"),
            f.c.release_on.label("f_release_on"),
            f.c.released_at.label("f_released_at"),
            f.c.data.label("f_data"),
            s.c.cursor.label("s_cursor"),
            s.c.status.label("s_status"),
            s.c.shared_at.label("s_shared_at"),
            s.c.conversation_held_at.label("s_held_at"),
            s.c.updated_at.label("s_updated_at"),
            _answers_json(dialect, person_id).label("answers"),
            _card_ref(person_id).label("card_ref"),
        )
        .outerjoin(f, f.c.round_id == rounds.c.id)
        .outerjoin(s, and_(s.c.round_id == rounds.c.id, s.c.person_id == person_id))
    )
    if by_round:
        return stmt.where(rounds.c.id == bindparam("round_id", type_=rounds.c.id.type))
    member = select(round_people.c.round_id).where(
        (round_people.c.person_id == person_id) & (round_people.c.role == TeamRole.MEMBER.value)
    )
    stmt = stmt.where(rounds.c.id.in_(member))
    if phases:  # one parameter each: an expanding IN would be rendered again on every call
        stmt = stmt.where(
            rounds.c.phase.in_([bindparam(f"phase{i}", phase) for i, phase in enumerate(phases)])
        )
    return stmt.order_by(rounds.c.created_at.desc(), rounds.c.id.desc())
