"""The anonymous evaluation of the process, when a round closes (issue #12).

The committee's questions (preparation useful? time enough? conversation useful? plan followed
up?) on a scale of 1-5, and an optional comment. Before writing, the person is told that
results and comments are shown only in aggregate, unattributed, and only when at least the
minimum group size has answered. The answer is stored apart from the fact that the person has
answered (`EvaluationRepo`): no key, time or order ties the two.
"""

from __future__ import annotations

from collections.abc import Mapping

from conversations import figures, i18n, policy
from conversations.actions import (
    ButtonAction,
    EvaluationForm,
    EvaluationOpen,
    EvaluationResults,
    FormState,
)
from conversations.context import Ctx
from conversations.domain import Person, Phase
from conversations.flows.common import RoundView, load_round, rounds_as_leader, say
from conversations.flows.status import team_label
from conversations.messages import (
    Block,
    BulletList,
    Fields,
    Form,
    FormErrors,
    Heading,
    Message,
    Note,
    Option,
    Paragraph,
    Reply,
    SelectInput,
    TextInput,
    ToActor,
    ToPerson,
)
from conversations.refusal import Refuse

QUESTIONS = ("prep_useful", "time_enough", "conversation_useful", "plan_followed")
SCALE = ("1", "2", "3", "4", "5")
COMMENT_LIMIT = 1000
Values = Mapping[str, str | tuple[str, ...] | None]


async def invite(ctx: Ctx, view: RoundView) -> Reply:
    """The round's members and leaders are asked, once each."""
    people = [*view.member_ids, *view.leader_ids]
    await ctx.tx.evaluations.invite(round_id=view.round.id, person_ids=people)
    found = await ctx.tx.people.get_many(person_ids=people)
    return Reply(tuple(_invitation(p, view) for p in found if p.id != ctx.person.id)) + Reply(
        (_invitation(ctx.person, view, to_actor=True),) if ctx.person.id in people else ()
    )


def _invitation(person: Person, view: RoundView, *, to_actor: bool = False) -> Message:
    loc = person.locale
    text = i18n.t(loc, "evaluation.invite", team=team_label(view))
    return Message(
        to=ToActor() if to_actor else ToPerson(person.user_id),
        text=text,
        blocks=(Paragraph(text), Note(i18n.t(loc, "evaluation.anonymous"))),
        buttons=(
            EvaluationOpen(round_id=view.round.id).button(
                i18n.t(loc, "evaluation.button.open"), style="primary"
            ),
        ),
    )


async def on_button(ctx: Ctx, action: ButtonAction) -> Reply:
    if not isinstance(action, EvaluationOpen | EvaluationResults):
        return say(ctx, "error.stale_button")
    round_id = action.round_id
    if isinstance(action, EvaluationOpen):
        if not await ctx.tx.evaluations.is_open_for(round_id=round_id, person_id=ctx.person.id):
            return say(ctx, "evaluation.not_open")
        return Reply((_form(ctx, round_id),))
    return await results(ctx, await load_round(ctx, round_id), round_id=round_id)


def _form(ctx: Ctx, round_id: int) -> Form:
    options = tuple(Option(value=v, label=ctx.t(f"evaluation.scale.{v}")) for v in SCALE)
    return EvaluationForm(round_id=round_id).form(
        title=ctx.t("evaluation.title"),
        submit_label=ctx.t("evaluation.submit"),
        intro=(Paragraph(ctx.t("evaluation.intro")), Note(ctx.t("evaluation.anonymous"))),
        inputs=(
            *(
                SelectInput(id=q, label=ctx.t(f"evaluation.q.{q}"), options=options)
                for q in QUESTIONS
            ),
            TextInput(
                id="comment",
                label=ctx.t("evaluation.comment"),
                hint=ctx.t("evaluation.comment_hint"),
                multiline=True,
                max_length=COMMENT_LIMIT,
                optional=True,
            ),
        ),
    )


def _text(values: Values, key: str) -> str:
    value = values.get(key)
    if isinstance(value, tuple):
        return value[0] if value else ""
    return (value or "").strip()


async def on_form(ctx: Ctx, state: FormState, values: Values) -> Reply:
    if not isinstance(state, EvaluationForm):
        return say(ctx, "error.stale_button")
    round_id = state.round_id
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    for q in QUESTIONS:
        raw = _text(values, q)
        if raw not in SCALE:
            errors[q] = ctx.t("evaluation.error.scale")
        else:
            scores[q] = int(raw)
    comment = _text(values, "comment") or None
    if comment is not None and len(comment) > COMMENT_LIMIT:
        errors["comment"] = ctx.t("error.too_long", length=len(comment), limit=COMMENT_LIMIT)
    if errors:
        return Reply((FormErrors(errors=errors),))
    stored = await ctx.tx.evaluations.answer(
        round_id=round_id, person_id=ctx.person.id, scores=scores, comment=comment
    )
    # Deliberately no audit row: its actor and time would sit next to the answer's round.
    return say(ctx, "evaluation.thanks" if stored else "evaluation.not_open")


# `/mus evaluering` shows this many closed rounds, newest first (a message stays readable).
SHOWN_ROUNDS = 5


async def command(ctx: Ctx, rest: str) -> Reply:
    """`/mus evaluering`: each of the leader's closed rounds' evaluation, in aggregate (each
    round on its own: a small round stays hidden even beside a large one), newest first."""
    rounds = [
        r for r in await ctx.tx.rounds.led_by(person_id=ctx.person.id) if r.phase == Phase.CLOSED
    ]
    if not rounds:
        if await rounds_as_leader(ctx):
            raise Refuse("evaluation.none_closed")
        raise Refuse("status.not_leader")
    if len(rounds) == 1:
        return await results(ctx, await load_round(ctx, rounds[0].id), round_id=rounds[0].id)
    title = ctx.t("evaluation.all_title", n=len(rounds))
    blocks: list[Block] = [Heading(title)]
    for round_ in rounds[:SHOWN_ROUNDS]:
        view = await load_round(ctx, round_.id)
        blocks += await _round_blocks(ctx, view, round_id=round_.id, heading=True)
    if len(rounds) > SHOWN_ROUNDS:
        blocks.append(Note(ctx.t("evaluation.older", n=len(rounds) - SHOWN_ROUNDS)))
    return Reply((Message(to=ToActor(), text=title, blocks=tuple(blocks)),))


async def results(ctx: Ctx, view: RoundView | None, *, round_id: int) -> Reply:
    blocks = await _round_blocks(ctx, view, round_id=round_id, heading=False)
    title = ctx.t("evaluation.results_title", team=team_label(view)) if view else ""
    return Reply((Message(to=ToActor(), text=title, blocks=(Heading(title), *blocks)),))


async def _round_blocks(
    ctx: Ctx, view: RoundView | None, *, round_id: int, heading: bool
) -> list[Block]:
    """One round's aggregate, read through the policy (the round's leader only)."""
    await policy.read_round(
        policy.access(ctx),
        round_=view.round if view else None,
        round_id=round_id,
        kind=policy.Read.EVALUATION,
    )
    assert view is not None
    k = ctx.settings.min_group_size
    responses = await ctx.tx.evaluations.responses(round_ids=[round_id])
    invited = await ctx.tx.evaluations.invited(round_ids=[round_id])
    blocks: list[Block] = []
    if heading:
        started = i18n.format_date(ctx.locale, view.round.created_at.astimezone(ctx.tz).date())
        blocks.append(
            Heading(ctx.t("evaluation.round_title", team=team_label(view), started=started))
        )
    blocks += result_blocks(ctx, [(r.scores, r.comment) for r in responses], invited=invited, k=k)
    return blocks


def result_blocks(
    ctx: Ctx, responses: list[tuple[dict[str, int], str | None]], *, invited: int, k: int
) -> list[Block]:
    """Aggregate results, or why they are not shown (fewer than `k` answers)."""
    found = figures.aggregate(responses, k=k)
    if found is None:
        return [Paragraph(ctx.t("evaluation.too_few", k=k))]
    blocks: list[Block] = [
        Paragraph(ctx.t("evaluation.answered", n=found.answers, of=invited)),
        Fields(
            tuple(
                (ctx.t(f"evaluation.q.{q}"), f"{found.means[q]:.1f}".replace(".", ","))
                if ctx.locale.startswith("da")
                else (ctx.t(f"evaluation.q.{q}"), f"{found.means[q]:.1f}")
                for q in QUESTIONS
                if q in found.means
            )
        ),
    ]
    if found.comments:
        blocks += [Paragraph(ctx.t("evaluation.comments")), BulletList(found.comments)]
    blocks.append(Note(ctx.t("evaluation.aggregate_note", k=k)))
    return blocks
