"""The employee's preparation: one question at a time in a DM, private until shared.

State lives in the database (`PrepSession.cursor` and one row per answer), so a person can
stop and resume days later, after a restart, from any device. Buttons carry absolute
positions (`round:index:step`), never "next": a double click repeats the same change instead
of moving twice, and a button from an old message cannot write into the wrong question.

A person only ever reads and writes their own prep here: the person is the actor, never a
value from the payload. The leader's read path (`prep.view`) is `policy.read_prep`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from conversations import i18n, policy
from conversations.actions import (
    ButtonAction,
    FormState,
    NotesOpen,
    Origin,
    PrepAnswerForm,
    PrepBack,
    PrepEdit,
    PrepGoto,
    PrepOpen,
    PrepPick,
    PrepPickForm,
    PrepReview,
    PrepShare,
    PrepSkip,
    PrepView,
    StaleAction,
    StatusShow,
    StepRef,
)
from conversations.context import Ctx
from conversations.domain import (
    Person,
    PrepAnswer,
    PrepSession,
    PrepStatus,
    item_status,
)
from conversations.flows import forms
from conversations.flows.common import (
    PREP_PHASES,
    RoundView,
    accept,
    command_prefix,
    leader_names,
    load_round,
    option_label,
    say,
    view_of,
)
from conversations.lifecycles import prep as lifecycle
from conversations.lifecycles.prep import PrepAction, PrepState
from conversations.messages import (
    Block,
    Divider,
    Fields,
    Form,
    FormErrors,
    Heading,
    Message,
    Note,
    Option,
    Paragraph,
    Quote,
    Reply,
    SelectInput,
    TextInput,
    ToActor,
    ToPerson,
)
from conversations.ports import AnswerWrite, prep_card_key
from conversations.templates.model import Step, snapshot_template
from conversations.templates.stored import RoundForm

Values = Mapping[str, str | tuple[str, ...] | None]

# ---------------------------------------------------------------- entry points


async def resume(ctx: Ctx, rest: str) -> Reply:
    """`/mus forbered`: continue where the person stopped (the next unanswered question)."""
    mine = await _member_rounds(ctx)
    if not mine:
        return say(ctx, "prep.no_round", mus=command_prefix(ctx))
    view, form, _card = mine[0]
    return await _open(ctx, forms.own_view(ctx, view, form))


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if isinstance(action, PrepView):
        return await leader_view(ctx, action)
    if not isinstance(
        action,
        PrepOpen | PrepReview | PrepShare | PrepPick | PrepEdit | PrepSkip | PrepBack | PrepGoto,
    ):
        return say(ctx, "error.stale_button")
    view = await _own_round(ctx, action.round_id)
    if isinstance(action, PrepOpen):
        return await _open(ctx, view)
    steps = view.template.steps()
    # The two that only show a form write nothing (`ButtonAction.shows_only`): the session
    # starts, if it must, when the form comes back.
    if isinstance(action, PrepPick):
        return _pick_form(ctx, view, await _answers(ctx, view))
    if isinstance(action, PrepEdit):
        index, step = _step_from(action, steps)
        found = await ctx.tx.prep.get_session(round_id=view.round.id, person_id=ctx.person.id)
        accept(lifecycle.decide(_state(view, found), PrepAction.ANSWER))
        answers = await _answers(ctx, view)
        return Reply(
            (_answer_form(ctx, view, index, step, answers.get(step.id), origin=action.origin),)
        )
    session = await _session(ctx, view)
    if isinstance(action, PrepReview):
        return await _show_review(ctx, view, session, cursor=len(steps))
    if isinstance(action, PrepShare):
        return await _share(ctx, view, session)
    index, step = _step_from(action, steps)
    if isinstance(action, PrepSkip | PrepBack) and index != session.cursor:
        return await _moved_on(ctx, view, session)
    if isinstance(action, PrepSkip):
        session = await _answering(ctx, view, session)
        answers = await _answers(ctx, view)
        skipped = None if step.id in answers else AnswerWrite(step.id, None, skipped=True)
        return await _goto(ctx, view, session, index + 1, answer=skipped)
    if isinstance(action, PrepBack):
        return await _goto(ctx, view, session, max(index - 1, 0))
    return await _goto(ctx, view, session, index)


async def on_form(ctx: Ctx, state: FormState, values: Values) -> Reply:
    if isinstance(state, PrepPickForm):
        view = await _own_round(ctx, state.round_id)
        session = await _session(ctx, view)
        steps = view.template.steps()
        wanted = values.get("step")
        ids = [s.id for s in steps]
        if not isinstance(wanted, str) or wanted not in ids:
            return Reply((FormErrors(errors={"step": ctx.t("prep.error.pick")}),))
        return await _goto(ctx, view, session, ids.index(wanted), origin="review")
    if not isinstance(state, PrepAnswerForm):
        return say(ctx, "error.stale_button")
    view = await _own_round(ctx, state.round_id)
    steps = view.template.steps()
    index, step = _step_from(state, steps)
    origin = state.origin
    session = await _session(ctx, view)
    accept(lifecycle.decide(_state(view, session), PrepAction.ANSWER))
    raw = values.get("answer")
    text = (raw if isinstance(raw, str) else "").strip()
    if not text:
        return Reply((FormErrors(errors={"answer": ctx.t("prep.error.empty_form")}),))
    if len(text) > step.max_length:
        return Reply(
            (
                FormErrors(
                    errors={
                        "answer": ctx.t("error.too_long", length=len(text), limit=step.max_length)
                    }
                ),
            )
        )
    session = await _answering(ctx, view, session)
    answer = AnswerWrite(step.id, text)
    if origin == "review":
        return await _goto(ctx, view, session, len(steps), origin=origin, answer=answer)
    # The question card keeps the saved answer (in place); the next question follows below it.
    # The card the button sat on is the person's question card: naming its key lets the
    # engine see that the next card takes the key over, so no write forgets the old one.
    answered = _answered_card(ctx, view, index, step, text)
    if answered.replaces is not None:
        answered = replace(answered, replaces_key=question_key(view.round.id, ctx.person.id))
    target = await _next_open(ctx, view, after=index)
    following = await _goto(ctx, view, session, target, in_place=False, answer=answer)
    return Reply((answered,)) + following


async def answering(ctx: Ctx) -> bool:
    """True while a question is open for the person to answer by typing (text is the answer)."""
    mine = await _member_rounds(ctx)
    if not mine:
        return False
    view = mine[0][0]
    session = await ctx.tx.prep.get_session(round_id=view.round.id, person_id=ctx.person.id)
    return (
        session is not None
        and session.cursor < len(view.template.steps())
        and session.conversation_held_at is None
    )


async def on_text(ctx: Ctx, text: str) -> Reply:
    """A typed DM: the answer to the question the person is on.

    Its statements: the delivery's claim (with the person), one read of the round with its
    team, form, session and answers (`PrepRepo.own`), the answer, the cursor.
    """
    mine = await _member_rounds(ctx)
    if not mine:
        return say(ctx, "text.unknown", mus=command_prefix(ctx))
    view, form, card_ref = mine[0]
    view = forms.own_view(ctx, view, form)
    session = await ctx.tx.prep.get_session(round_id=view.round.id, person_id=ctx.person.id)
    steps = view.template.steps()
    if session is None:
        return await _open(ctx, view)
    if session.cursor >= len(steps):
        return say(ctx, "prep.text_on_review", mus=command_prefix(ctx))
    accept(lifecycle.decide(_state(view, session), PrepAction.ANSWER))
    stripped = text.strip()
    step = steps[session.cursor]
    if not stripped:
        return say(ctx, "prep.error.empty_text")
    if len(stripped) > step.max_length:
        too_long = ctx.t("error.too_long", length=len(stripped), limit=step.max_length)
        hint = Note(ctx.t("prep.too_long_hint"))
        return Reply((Message(to=ToActor(), text=too_long, blocks=(Paragraph(too_long), hint)),))
    session = await _answering(ctx, view, session)
    index = session.cursor
    target = await _next_open(ctx, view, after=index)  # questions after this one only
    # No separate "Gemt" message: the card of the question just answered (posted earlier, so
    # no event points at it: its ref came with the round's read, `OwnPrep.card_ref`) shows
    # the saved answer and loses its buttons; the next question follows below it, last in the
    # chat. No ref recorded (a card from before refs were kept): the answered card is posted.
    answered = replace(
        _answered_card(ctx, view, index, step, stripped),
        replaces=card_ref,
        # Already resolved (`card_ref`); named so the engine sees the key is re-pointed.
        replaces_key=question_key(view.round.id, ctx.person.id) if card_ref else None,
    )
    following = await _goto(
        ctx, view, session, target, in_place=False, answer=AnswerWrite(step.id, stripped)
    )
    if card_ref:
        # The next question goes out first: the person sees it a platform call sooner, and the
        # answered card is rewritten where it stands, so the chat's order is the same.
        return following + Reply((answered,))
    return Reply((answered,)) + following


def question_key(round_id: int, person_id: int) -> str:
    """`Message.key` of a person's current question card (the latest one shown wins)."""
    return prep_card_key(round_id=round_id, person_id=person_id)


# ---------------------------------------------------------------- the leader's read path


async def leader_view(ctx: Ctx, action: PrepView) -> Reply:
    """A leader reads one employee's shared prep: latest text, and what changed after sharing."""
    round_id, employee_id = action.round_id, action.employee_id
    view = await load_round(ctx, round_id)
    try:
        # The policy decides (a leader of this round, once shared) and audits either way.
        prep = await policy.read_prep(
            policy.access(ctx),
            round_=view.round if view else None,
            round_id=round_id,
            employee_id=employee_id,
        )
    except policy.Denied as denied:
        if denied.key != "prep.not_shared":
            raise
        employees = await ctx.tx.people.get_many(person_ids=[employee_id])
        return say(ctx, "prep.not_shared", name=employees[0].display_name if employees else "?")
    assert view is not None
    session, answers = prep.session, prep.answers
    employees = await ctx.tx.people.get_many(person_ids=[employee_id])
    name = employees[0].display_name if employees else "?"
    view = await forms.view_for(ctx, view, employee_id)  # their sub-group's form
    blocks: list[Block] = [
        Heading(ctx.t("prep.leader_title", name=name)),
        Note(ctx.t("prep.shared_at", when=_when(ctx, session))),
    ]
    blocks += answer_blocks(ctx.locale, view, answers, shared_at=session)
    blocks.append(Note(ctx.t("prep.leader_confidential")))
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("prep.leader_title", name=name),
                blocks=tuple(blocks),
                buttons=(
                    NotesOpen(round_id=round_id, employee_id=employee_id).button(
                        ctx.t("notes.button.open")
                    ),
                ),
                private=not ctx.settings.content_in_messages,
            ),
        )
    )


def answer_blocks(
    locale: str,
    view: RoundView,
    answers: Mapping[str, PrepAnswer],
    *,
    shared_at: PrepSession | None,
) -> list[Block]:
    """Every step with its answer, grouped by theme; marks answers changed after sharing."""
    blocks: list[Block] = []
    theme_id = None
    for step in view.template.steps():
        if step.theme.id != theme_id:
            theme_id = step.theme.id
            blocks.append(Heading(step.theme.title))
        answer = answers.get(step.id)
        label = _label(step)
        if answer is None or answer.text is None:
            key = "prep.skipped" if answer is not None and answer.skipped else "prep.unanswered"
            blocks.append(Quote(i18n.t(locale, key), label=label))
            continue
        if (
            shared_at is not None
            and shared_at.shared_at is not None
            and answer.updated_at > shared_at.shared_at
        ):
            label = f"{label} · {i18n.t(locale, 'prep.changed_after_share')}"
        blocks.append(Quote(answer.text, label=label))
    return blocks


# ---------------------------------------------------------------- internals


async def _member_rounds(ctx: Ctx) -> list[tuple[RoundView, RoundForm | None, str | None]]:
    """The person's rounds in preparation as an employee, newest first, with their forms and
    where their current question card is: one read, which also brings the person's own
    sessions and answers (`PrepRepo.own`)."""
    found = []
    for own in await ctx.tx.prep.own(person_id=ctx.person.id, phases=PREP_PHASES):
        view = await view_of(ctx, own.round, own.team)
        if view is not None:
            found.append((view, own.form, own.card_ref))
    return found


async def _own_round(ctx: Ctx, round_id: int) -> RoundView:
    """The round, if the actor is one of its employees; otherwise a refusal that reveals nothing.

    One read brings the round, its team and form, and the actor's own session and answers.
    """
    own = await ctx.tx.prep.own(person_id=ctx.person.id, round_id=round_id)
    view = await view_of(ctx, own[0].round, own[0].team) if own else None
    await policy.check(
        policy.access(ctx),
        policy.Do.WORK_ON_PREP,
        round_=view.round if view else None,
        round_id=round_id,
        employee_id=ctx.person.id,
    )
    assert view is not None
    return forms.own_view(ctx, view, own[0].form)


async def _session(ctx: Ctx, view: RoundView) -> PrepSession:
    found = await ctx.tx.prep.get_session(round_id=view.round.id, person_id=ctx.person.id)
    return found if found is not None else await _start_session(ctx, view)


async def _start_session(ctx: Ctx, view: RoundView) -> PrepSession:
    return await _apply(ctx, view, None, PrepAction.START, cursor=0)


def _state(view: RoundView, session: PrepSession | None) -> PrepState:
    return PrepState.of(session, phase=view.round.phase)


async def _apply(
    ctx: Ctx,
    view: RoundView,
    session: PrepSession | None,
    action: PrepAction,
    *,
    cursor: int | None = None,
    answer: AnswerWrite | None = None,
    **values: object,
) -> PrepSession:
    """Ask the prep lifecycle, and store what it allows (or stop with its refusal)."""
    transition = accept(lifecycle.decide(_state(view, session), action), **values)
    return await ctx.tx.prep.apply(
        round_id=view.round.id,
        person_id=ctx.person.id,
        transition=transition,
        at=ctx.now,
        cursor=cursor,
        answer=answer,
    )


async def _answering(ctx: Ctx, view: RoundView, session: PrepSession) -> PrepSession:
    """An answer is about to be stored: the lifecycle must allow it (held or closed: no)."""
    transition = accept(lifecycle.decide(_state(view, session), PrepAction.ANSWER))
    if not transition.changed:
        return session
    return await _apply(ctx, view, session, PrepAction.ANSWER)


async def _answers(ctx: Ctx, view: RoundView) -> Mapping[str, PrepAnswer]:
    """The actor's own answers, through the policy (an owner's read is not audited)."""
    own = await policy.read_prep(
        policy.access(ctx), round_=view.round, round_id=view.round.id, employee_id=ctx.person.id
    )
    return own.answers


def _step_from(
    action: PrepEdit | PrepSkip | PrepBack | PrepGoto | PrepAnswerForm, steps: tuple[Step, ...]
) -> tuple[int, Step]:
    """The step by position; its id must still match (stale buttons are refused)."""
    index = action.index
    if not 0 <= index < len(steps) or steps[index].id != action.step:
        raise StaleAction(action.prefix)
    return index, steps[index]


async def _save(ctx: Ctx, view: RoundView, answer: AnswerWrite) -> None:
    await ctx.tx.prep.save_answer(
        round_id=view.round.id,
        person_id=ctx.person.id,
        question_id=answer.question_id,
        text=answer.text,
        skipped=answer.skipped,
        at=ctx.now,
    )


async def _open(ctx: Ctx, view: RoundView) -> Reply:
    """First visit: a welcome, then question 1. Later: the next unanswered question."""
    existing = await ctx.tx.prep.get_session(round_id=view.round.id, person_id=ctx.person.id)
    session = existing if existing is not None else await _start_session(ctx, view)
    steps = view.template.steps()
    answers = await _answers(ctx, view)
    if existing is None:
        intro: list[Block] = [
            Heading(ctx.t("prep.welcome_title", template=view.template.title)),
            Paragraph(ctx.t("prep.welcome", count=len(steps))),
        ]
        if view.template.employee_guidance:
            intro.append(Note(view.template.employee_guidance))
        intro += await _last_plan(ctx, view)
        intro.append(Note(ctx.t("common.confidential")))
        welcome = Message(
            to=ToActor(),
            text=ctx.t("prep.welcome_title", template=view.template.title),
            blocks=tuple(intro),
        )
        # The invitation stays as it was; the welcome and question 1 follow below it. Their
        # overview (Slack App Home, the web chat's panel) no longer says "Ikke startet endnu".
        from conversations.flows import home

        return (
            Reply((welcome,))
            + await _goto(ctx, view, session, 0, in_place=False)
            + await home.refresh(ctx, [ctx.person])
        )
    target = next((i for i, s in enumerate(steps) if s.id not in answers), len(steps))
    if session.status == PrepStatus.SHARED:
        target = len(steps)
    resumed = say(ctx, "prep.resumed", done=len(answers), count=len(steps)) if answers else Reply()
    fresh = await _goto(ctx, view, session, target, in_place=False)
    return Reply((_left_behind(ctx, view),)) + resumed + fresh


def _left_behind(ctx: Ctx, view: RoundView) -> Message:
    """The question card shown last loses its buttons before a fresh one is posted below, so
    only the current card is live (found by its key; nothing is sent if none is known)."""
    text = ctx.t("prep.left_behind")
    return Message(
        to=ToPerson(ctx.person.user_id),
        text=text,
        blocks=(Note(text),),
        replaces_key=question_key(view.round.id, ctx.person.id),
        update_only=True,
    )


async def _next_open(ctx: Ctx, view: RoundView, *, after: int) -> int:
    """The next question not yet answered or skipped after `after`; the overview when none is.

    Answering in order this is simply the next question; after correcting an earlier answer it
    goes on where the person left off, or back to the overview, instead of walking them
    through questions they have already answered.
    """
    steps = view.template.steps()
    answers = await _answers(ctx, view)
    return next((i for i in range(after + 1, len(steps)) if steps[i].id not in answers), len(steps))


async def _move(
    ctx: Ctx, view: RoundView, session: PrepSession, cursor: int, *, answer: AnswerWrite | None
) -> PrepSession:
    """Store where the person is; a shared prep stays shared (the lifecycle's MOVE)."""
    return await _apply(ctx, view, session, PrepAction.MOVE, cursor=cursor, answer=answer)


async def _last_plan(ctx: Ctx, view: RoundView) -> list[Block]:
    """Last round's agreed plan, where the new preparation starts ("Siden sidste MUS")."""
    return last_plan_blocks(
        ctx,
        await policy.read_last_plan(
            policy.access(ctx), round_=view.round, round_id=view.round.id, employee_id=ctx.person.id
        ),
        title=ctx.t("prep.last_plan"),
    )


def last_plan_blocks(ctx: Ctx, last: policy.LastPlan | None, *, title: str) -> list[Block]:
    """The items of last round's plan with their follow-up status (both sides see the same)."""
    if last is None:
        return []
    first = snapshot_template(last.round.template).plan.fields[0]
    blocks: list[Block] = [Heading(title)]
    for item in last.version.items:
        status = item_status(last.progress, item.id)
        blocks.append(
            Quote(item.fields.get(first.id, "–"), label=ctx.t(f"plan.status.{status.value}"))
        )
    return blocks


async def _goto(
    ctx: Ctx,
    view: RoundView,
    session: PrepSession,
    index: int,
    *,
    origin: Origin = "q",
    in_place: bool = True,
    answer: AnswerWrite | None = None,
) -> Reply:
    """Move the cursor (stored) and show that step, or the review after the last one.

    `in_place` replaces the message the button sat on; otherwise the step is posted below.
    `answer` is stored first (with the move, in one statement where the database allows).
    """
    steps = view.template.steps()
    index = max(0, min(index, len(steps)))
    if session.cursor != index:
        session = await _move(ctx, view, session, index, answer=answer)
    elif answer is not None:
        await _save(ctx, view, answer)
    if index >= len(steps):
        return await _show_review(ctx, view, session, cursor=index, in_place=in_place)
    answers = await _answers(ctx, view)
    question = _question(
        ctx, view, index, steps[index], answers.get(steps[index].id), origin=origin
    )
    return Reply((question if in_place else replace(question, replaces=None),))


def _answered_card(ctx: Ctx, view: RoundView, index: int, step: Step, text: str) -> Message:
    """A question card once answered: the question and the saved answer, no live buttons."""
    steps = view.template.steps()
    return Message(
        to=ToActor(),
        text=_label(step),
        blocks=(
            Heading(ctx.t("prep.position", theme=step.theme.title, n=index + 1, count=len(steps))),
            Paragraph(step.question.text),
            Quote(text, label=ctx.t("prep.your_answer")),
            Note(ctx.t("prep.saved")),
        ),
        replaces=ctx.event.context.message_ref,
    )


def _label(step: Step) -> str:
    return f"{step.question.text} – {step.prompt}" if step.prompt else step.question.text


def question_card(ctx: Ctx, view: RoundView, index: int, step: Step) -> Message:
    """A question as an employee first meets it (the leader's preview shows these)."""
    return replace(_question(ctx, view, index, step, None, origin="q"), key=None)


def _question(
    ctx: Ctx, view: RoundView, index: int, step: Step, answer: PrepAnswer | None, *, origin: Origin
) -> Message:
    steps = view.template.steps()
    at = StepRef(round_id=view.round.id, index=index, step=step.id)
    blocks: list[Block] = [
        Heading(ctx.t("prep.position", theme=step.theme.title, n=index + 1, count=len(steps)))
    ]
    first_in_theme = index == 0 or steps[index - 1].theme.id != step.theme.id
    if first_in_theme and step.theme.intro:
        blocks.append(Note(step.theme.intro))
    blocks.append(Paragraph(step.question.text))
    if step.prompt:
        blocks.append(Paragraph(step.prompt))
    if step.question.help:
        blocks.append(Note(step.question.help))
    if answer is not None and answer.text:
        blocks.append(Quote(answer.text, label=ctx.t("prep.your_answer")))
    elif answer is not None and answer.skipped:
        blocks.append(Note(ctx.t("prep.skipped")))
    has_text = answer is not None and bool(answer.text)
    blocks.append(Note(ctx.t("prep.type_hint_replace" if has_text else "prep.type_hint")))
    buttons = [
        PrepEdit(**at, origin=origin).button(
            ctx.t("prep.button.edit" if answer and answer.text else "prep.button.answer"),
            style="primary",
        )
    ]
    review = PrepReview(round_id=view.round.id).button(ctx.t("prep.button.review"))
    if origin == "review":
        buttons.append(review)
    else:
        buttons.append(PrepSkip(**at).button(ctx.t("prep.button.skip")))
        if index > 0:
            buttons.append(PrepBack(**at).button(ctx.t("prep.button.back")))
        buttons.append(review)
    return Message(
        to=ToActor(),
        text=_label(step),
        blocks=tuple(blocks),
        buttons=tuple(buttons),
        replaces=ctx.event.context.message_ref,
        key=question_key(view.round.id, ctx.person.id),
    )


def _answer_form(
    ctx: Ctx, view: RoundView, index: int, step: Step, answer: PrepAnswer | None, *, origin: Origin
) -> Form:
    intro: list[Block] = [Heading(step.theme.title), Paragraph(step.question.text)]
    if step.question.help:
        intro.append(Note(step.question.help))
    state = PrepAnswerForm(round_id=view.round.id, index=index, step=step.id, origin=origin)
    return state.form(
        title=ctx.t("prep.form.title", n=index + 1, count=len(view.template.steps())),
        submit_label=ctx.t("prep.form.submit"),
        intro=tuple(intro),
        inputs=(
            TextInput(
                id="answer",
                label=step.prompt or ctx.t("prep.your_answer"),
                multiline=True,
                max_length=step.max_length,
                initial=answer.text if answer else None,
                hint=ctx.t("prep.form.hint", limit=step.max_length),
            ),
        ),
        # A required input with the step's length limit: what `on_form` refuses (empty, too
        # long) the platform refuses first, so the form need not wait for the core.
        closes_at_once=True,
    )


def _pick_form(ctx: Ctx, view: RoundView, answers: Mapping[str, PrepAnswer]) -> Reply:
    options = tuple(
        Option(value=step.id, label=option_label(f"{n}. {_label(step)}"))
        for n, step in enumerate(view.template.steps(), start=1)
    )
    return Reply(
        (
            PrepPickForm(round_id=view.round.id).form(
                title=ctx.t("prep.pick.title"),
                submit_label=ctx.t("prep.pick.submit"),
                inputs=(SelectInput(id="step", label=ctx.t("prep.pick.label"), options=options),),
            ),
        )
    )


async def _show_review(
    ctx: Ctx, view: RoundView, session: PrepSession, *, cursor: int, in_place: bool = True
) -> Reply:
    if session.cursor != cursor:
        session = await _move(ctx, view, session, cursor, answer=None)
    answers = await _answers(ctx, view)
    steps = view.template.steps()
    answered = sum(1 for s in steps if (a := answers.get(s.id)) is not None and a.text)
    blocks: list[Block] = [
        Heading(ctx.t("prep.review.title")),
        Fields(((ctx.t("prep.review.answered"), f"{answered}/{len(steps)}"),)),
        Divider(),
    ]
    blocks += answer_blocks(ctx.locale, view, answers, shared_at=session)
    buttons = [PrepPick(round_id=view.round.id).button(ctx.t("prep.button.pick"))]
    open_index = next((i for i, step in enumerate(steps) if step.id not in answers), None)
    if open_index is not None:
        # Someone who looked at the overview midway can go straight back to answering.
        buttons.insert(
            0,
            PrepGoto(round_id=view.round.id, index=open_index, step=steps[open_index].id).button(
                ctx.t("prep.button.continue")
            ),
        )
    if session.conversation_held_at is not None:
        blocks.append(Note(ctx.t("prep.locked")))
        buttons = []  # nothing can change any more
    elif session.status == PrepStatus.SHARED:
        blocks.append(Note(ctx.t("prep.review.shared", when=_when(ctx, session))))
    else:
        leaders = await leader_names(ctx, view)
        blocks.append(Note(ctx.t("prep.review.share_hint", leader=leaders)))
        buttons.insert(
            0,
            PrepShare(round_id=view.round.id).button(ctx.t("prep.button.share"), style="primary"),
        )
    return Reply(
        (
            Message(
                to=ToActor(),
                text=ctx.t("prep.review.title"),
                blocks=tuple(blocks),
                buttons=tuple(buttons),
                replaces=ctx.event.context.message_ref if in_place else None,
            ),
        )
    )


def _when(ctx: Ctx, session: PrepSession | None) -> str:
    if session is None or session.shared_at is None:
        return ""
    return i18n.format_datetime(ctx.locale, session.shared_at.astimezone(ctx.tz))


async def _moved_on(ctx: Ctx, view: RoundView, session: PrepSession) -> Reply:
    """A button on a card the person has moved past: say so, and show where they are now.

    The old card is marked done in place (where the platform can edit it); the current step
    follows below, so it stays the last thing in the chat.
    """
    done = ctx.t("prep.stale_card")
    marked = Message(
        to=ToActor(),
        text=done,
        blocks=(Note(done),),
        replaces=ctx.event.context.message_ref,
    )
    if session.conversation_held_at is not None:
        return Reply((marked,)) + say(ctx, "prep.locked")
    fresh = await _goto(ctx, view, session, session.cursor, in_place=False)
    return Reply((marked, _left_behind(ctx, view))) + fresh


async def _share(ctx: Ctx, view: RoundView, session: PrepSession) -> Reply:
    """Share once; the leaders get one notice. A second click only confirms.

    The overview the button sat on is redrawn in place without it, so no live "Del" is left.
    """
    leaders_text = await leader_names(ctx, view)
    if session.conversation_held_at is not None and session.status == PrepStatus.SHARED:
        # An old overview's "Del": redrawn locked in place (no buttons), then the short truth.
        locked = await _show_review(ctx, view, session, cursor=session.cursor)
        return locked + say(ctx, "prep.share_after_held")
    await policy.check(
        policy.access(ctx),
        policy.Do.SHARE_PREP,
        round_=view.round,
        round_id=view.round.id,
        employee_id=ctx.person.id,
    )
    await _apply(ctx, view, session, PrepAction.SHARE, leader=leaders_text)
    session = await _session(ctx, view)
    await ctx.audit(action="prep.share", subject=f"round:{view.round.id}:person:{ctx.person.id}")
    leaders = await ctx.tx.people.get_many(person_ids=list(view.leader_ids))
    private = not ctx.settings.content_in_messages
    notices = tuple(_share_notice(leader, ctx.person, view, private=private) for leader in leaders)
    from conversations.flows import home

    live = await home.refresh(ctx, [ctx.person, *leaders])
    done = ctx.t("prep.shared_done", leader=leaders_text)
    review = await _show_review(ctx, view, session, cursor=session.cursor)
    return (
        review
        + Reply(
            (
                Message(
                    to=ToActor(),
                    text=done,
                    blocks=(Paragraph(done), Note(ctx.t("prep.edit_after_share"))),
                ),
                *notices,
            )
        )
        + live
    )


def _share_notice(
    leader: Person, employee: Person, view: RoundView, *, private: bool = True
) -> Message:
    loc = leader.locale
    text = i18n.t(loc, "prep.share_notice", name=employee.display_name)
    return Message(
        to=ToPerson(leader.user_id),
        text=text,
        blocks=(Paragraph(text),),
        buttons=(
            PrepView(round_id=view.round.id, employee_id=employee.id).button(
                i18n.t(loc, "prep.button.view"), style="primary", private=private
            ),
            StatusShow(round_id=view.round.id).button(i18n.t(loc, "status.button.show")),
        ),
    )
