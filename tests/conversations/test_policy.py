"""The access policy, walked as a table: every read path and every action, for every role.

Subject: Anna, an employee of round R1 (leader Lene). For each person below and each kind of
material about Anna (or each action on it), the expected answer is written out; the test
asserts the answer AND the audit row: the kind's action for an allowed read, `<action>_denied`
for every refused read or action. Runs on the SQL store (SQLite; the
migrated database is built once and copied for each test).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from conversations import policy
from conversations.domain import Person, Phase, PrepStatus, Round
from conversations.lifecycles import prep as prep_lifecycle
from conversations.lifecycles.base import Refusal
from conversations.lifecycles.prep import PrepAction, PrepState
from conversations.policy import Do, Read
from conversations.ports import Tx
from storage.db import SqlStore, create_store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

# Who asks. "committee" is a stranger with the committee role (issue #12): it sees nothing here.
WHO = ("own", "leader", "mate", "other_team", "other_leader", "admin", "stranger", "committee")

PERSONAL_READS: tuple[Read, ...] = (Read.PREP, Read.NOTES, Read.PLAN, Read.PLAN_HISTORY)
PERSONAL_READS += (Read.DOCUMENT, Read.PERSON_CARD, Read.BOOKING_MATERIAL, Read.LAST_PLAN)
ROUND_READS = (Read.ROUND_STATUS, Read.ROUND_SUMMARY, Read.TEAM_ACTIONS, Read.EVALUATION)

# ---------------------------------------------------------------- the expected table

ALL_READS = frozenset(Read)
READS: dict[str, frozenset[Read]] = {
    # Anna reads her own prep, plan and booking material; no notes, no card, no overviews.
    "own": frozenset(
        {
            Read.PREP,
            Read.PLAN,
            Read.PLAN_HISTORY,
            Read.DOCUMENT,
            Read.BOOKING_MATERIAL,
            Read.LAST_PLAN,
            Read.TEAM_ACTIONS,
        }
    ),
    # Her leader reads everything about her, the prep only once shared (see SHARED below).
    "leader": ALL_READS,
    "mate": frozenset({Read.TEAM_ACTIONS}),  # the team's action plan is the team's
    "other_team": frozenset(),
    "other_leader": frozenset(),
    "admin": frozenset(),
    "stranger": frozenset(),
    "committee": frozenset(),
}

EMPLOYEE_ACTS = frozenset({Do.WORK_ON_PREP, Do.SHARE_PREP, Do.SNOOZE})
PLAN_ACTS = frozenset(
    {
        Do.EDIT_PLAN,
        Do.PROPOSE_PLAN,
        Do.APPROVE_PLAN,
        Do.REQUEST_PLAN_CHANGE,
        Do.SET_ITEM_STATUS,
        Do.SNOOZE_FOLLOW_UP,
    }
)
LEADER_ACTS = frozenset(
    {
        Do.WRITE_NOTES,
        Do.BOOK,
        Do.MARK_HELD,
        Do.ADAPT_ROUND,
        Do.LIST_REMINDERS,
        Do.ANNOUNCE_SUMMARY,
        Do.START_FOLLOW_UP,
        Do.CLOSE_ROUND,
        Do.WRITE_TEAM_ACTIONS,
        Do.RESEND_KICKOFF,
        Do.EDIT_TEAM_ACTION,
    }
)
# Round-level; owners only: test_check_owner, test_only_an_owner_snoozes_their_reminder.
TEAM_ACTS = frozenset({Do.UPDATE_TEAM_ACTION, Do.SNOOZE_TEAM_ACTION})
ACTS: dict[str, frozenset[Do]] = {
    "own": EMPLOYEE_ACTS | PLAN_ACTS | TEAM_ACTS,
    "leader": PLAN_ACTS | LEADER_ACTS | TEAM_ACTS,
    "mate": TEAM_ACTS,
    "other_team": frozenset(),
    "other_leader": frozenset(),
    "admin": frozenset({Do.CLOSE_ROUND}),  # admins close rounds, and read nothing confidential
    "stranger": frozenset(),
    "committee": frozenset(),
}
ROUND_LEVEL = frozenset(
    {
        Do.ADAPT_ROUND,
        Do.LIST_REMINDERS,
        Do.ANNOUNCE_SUMMARY,
        Do.START_FOLLOW_UP,
        Do.CLOSE_ROUND,
        Do.WRITE_TEAM_ACTIONS,
        Do.UPDATE_TEAM_ACTION,
        Do.RESEND_KICKOFF,
        Do.EDIT_TEAM_ACTION,
        Do.SNOOZE_TEAM_ACTION,
    }
)


def test_the_table_covers_every_kind_and_action() -> None:
    assert set(READS) == set(ACTS) == set(WHO)
    assert set(PERSONAL_READS) | set(ROUND_READS) == set(Read)
    assert EMPLOYEE_ACTS | PLAN_ACTS | LEADER_ACTS | TEAM_ACTS == set(Do)
    assert set(policy.READERS) == set(Read) and set(policy.ACTORS) == set(Do)


# ---------------------------------------------------------------- the world


@dataclass
class World:
    store: SqlStore
    people: dict[str, Person]
    r1: Round
    r2: Round

    @property
    def anna(self) -> Person:
        return self.people["own"]


@dataclass(frozen=True)
class _Template:
    path: Path
    people: dict[str, Person]
    r1: Round
    r2: Round


async def _build(path: Path) -> _Template:
    store = await create_store(url=f"sqlite:///{path}", migrate=True)
    async with store.transaction() as tx:
        ws = await tx.workspaces.get_or_create(platform="test", external_id="W1")
        people: dict[str, Person] = {}
        for n, who in enumerate(WHO):
            people[who] = await tx.people.upsert(
                workspace_id=ws.id,
                user_id=f"U{n}",
                display_name=who,
                is_admin=who == "admin",
            )
        r1 = await _round(tx, ws.id, "C1", people["leader"], [people["own"], people["mate"]])
        r2 = await _round(tx, ws.id, "C2", people["other_leader"], [people["other_team"]])
    await store.close()
    return _Template(path=path, people=people, r1=r1, r2=r2)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> _Template:
    """The migrated database with its people and rounds, built once; each test gets a copy."""
    return asyncio.run(_build(tmp_path_factory.mktemp("policy") / "template.db"))


@pytest.fixture
async def world(template: _Template, tmp_path: Path) -> AsyncIterator[World]:
    path = tmp_path / "musbot.db"
    shutil.copyfile(template.path, path)
    store = await create_store(url=f"sqlite:///{path}")
    yield World(store=store, people=template.people, r1=template.r1, r2=template.r2)
    await store.close()


async def _round(tx: Tx, ws: int, channel: str, leader: Person, members: list[Person]) -> Round:
    team = await tx.teams.create(
        workspace_id=ws,
        name=channel,
        channel_id=channel,
        leader_ids=[leader.id],
        member_ids=[m.id for m in members],
    )
    return await tx.rounds.create(
        team_id=team.id,
        template_name="t",
        template={},
        kerneopgave="k",
        udviklingsmaal="u",
        kickoff_at=None,
        prep_deadline=date(2026, 12, 4),
        conversations_from=date(2026, 12, 7),
        conversations_to=date(2026, 12, 18),
        summary_at=None,
        started_by=leader.id,
        created_at=T0,
        leader_ids=[leader.id],
        member_ids=[m.id for m in members],
    )


async def _share(world: World) -> None:
    async with world.store.transaction() as tx:
        for action in (PrepAction.START, PrepAction.SHARE):
            stored = await tx.prep.get_session(round_id=world.r1.id, person_id=world.anna.id)
            step = prep_lifecycle.decide(PrepState.of(stored, phase=Phase.PREP), action)
            assert not isinstance(step, Refusal)
            await tx.prep.apply(
                round_id=world.r1.id, person_id=world.anna.id, transition=step, at=T0
            )


def _access(world: World, tx: Tx, who: str) -> policy.Access:
    return policy.Access(
        tx=tx,
        actor=world.people[who],
        now=T0 + timedelta(hours=1),
        is_admin=world.people[who].is_admin,
        committee=who == "committee",
    )


async def _read(access: policy.Access, world: World, kind: Read) -> None:
    r1, anna = world.r1, world.anna.id
    if kind == Read.PREP:
        await policy.read_prep(access, round_=r1, round_id=r1.id, employee_id=anna)
    elif kind == Read.NOTES:
        await policy.read_notes(access, round_=r1, round_id=r1.id, employee_id=anna)
    elif kind in (Read.PLAN, Read.PLAN_HISTORY, Read.DOCUMENT):
        await policy.read_plan(access, round_=r1, round_id=r1.id, employee_id=anna, kind=kind)
    elif kind == Read.PERSON_CARD:
        await policy.read_person_card(access, round_=r1, round_id=r1.id, employee_id=anna)
    elif kind == Read.BOOKING_MATERIAL:
        await policy.read_booking_material(access, round_=r1, round_id=r1.id, employee_id=anna)
    elif kind == Read.LAST_PLAN:
        await policy.read_last_plan(access, round_=r1, round_id=r1.id, employee_id=anna)
    else:
        await policy.read_round(access, round_=r1, round_id=r1.id, kind=kind)


async def _audit(world: World) -> list[tuple[str, str, int | None]]:
    async with world.store.transaction() as tx:
        return [(e.action, e.subject, e.actor_id) for e in await tx.audit.entries(limit=1000)]


def _subject(world: World, kind: Read | Do) -> str:
    if kind in ROUND_READS or kind in ROUND_LEVEL:
        return f"round:{world.r1.id}"
    return f"round:{world.r1.id}:person:{world.anna.id}"


# ---------------------------------------------------------------- reads


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "unshared"])
@pytest.mark.parametrize("kind", list(Read))
@pytest.mark.parametrize("who", WHO)
async def test_every_read_for_every_role(world: World, who: str, kind: Read, shared: bool) -> None:
    if shared:
        await _share(world)
    allowed = kind in READS[who]
    if kind == Read.PREP and who == "leader" and not shared:
        allowed = False  # THE rule: the leader sees only shared prep
    actor = world.people[who].id
    before = await _audit(world)
    async with world.store.transaction() as tx:
        if allowed:
            await _read(_access(world, tx, who), world, kind)
        else:
            with pytest.raises(policy.Denied) as refused:
                await _read(_access(world, tx, who), world, kind)
            # The round's leader is told why; anyone else learns nothing.
            why = "prep.not_shared" if who == "leader" else "error.not_allowed"
            assert refused.value.key == why
    new = [row for row in await _audit(world) if row not in before]
    subject = _subject(world, kind)
    if not allowed:
        assert new == [(f"{kind.value}_denied", subject, actor)]
    elif kind == Read.PREP and who == "own":
        assert new == []  # her own text, shown to her on every step: not a disclosure
    else:
        assert (kind.value, subject, actor) in new
        assert not [a for a, _, _ in new if a.endswith("_denied")]


async def test_the_last_plans_of_a_round_are_read_at_once_and_audited_per_member(
    world: World,
) -> None:
    """The status view's batch: one audit row per member read; any refusal refuses all."""
    r1 = world.r1
    members = list(r1.member_ids)
    before = await _audit(world)
    async with world.store.transaction() as tx:
        found = await policy.read_last_plans(
            _access(world, tx, "leader"), round_=r1, round_id=r1.id, employee_ids=members
        )
    assert found == {}  # no earlier round
    new = [row for row in await _audit(world) if row not in before]
    leader = world.people["leader"].id
    assert sorted(new) == sorted(
        (Read.LAST_PLAN.value, f"round:{r1.id}:person:{m}", leader) for m in members
    )
    assert len(members) > 1
    before = await _audit(world)
    async with world.store.transaction() as tx:
        with pytest.raises(policy.Denied):
            await policy.read_last_plans(
                _access(world, tx, "mate"), round_=r1, round_id=r1.id, employee_ids=members
            )
    new = [row for row in await _audit(world) if row not in before]
    assert [a for a, _, _ in new] == [f"{Read.LAST_PLAN.value}_denied"]


async def test_the_status_view_reads_the_round_and_the_last_plans_audited_as_each_read(
    world: World,
) -> None:
    """`read_round_status`: the rows `read_round` and `read_last_plans` would write, in one
    statement; a refused round is audited as `read_round` audits it."""
    r1 = world.r1
    members = list(r1.member_ids)
    leader = world.people["leader"].id
    before = await _audit(world)
    async with world.store.transaction() as tx:
        found = await policy.read_round_status(
            _access(world, tx, "leader"), round_=r1, round_id=r1.id, employee_ids=members
        )
    assert found == {}  # no earlier round
    new = [row for row in await _audit(world) if row not in before]
    assert sorted(new) == sorted(
        [(Read.ROUND_STATUS.value, f"round:{r1.id}", leader)]
        + [(Read.LAST_PLAN.value, f"round:{r1.id}:person:{m}", leader) for m in members]
    )
    for who in [w for w in WHO if Read.ROUND_STATUS not in READS[w]]:
        before = await _audit(world)
        async with world.store.transaction() as tx:
            with pytest.raises(policy.Denied):
                await policy.read_round_status(
                    _access(world, tx, who), round_=r1, round_id=r1.id, employee_ids=members
                )
        new = [row for row in await _audit(world) if row not in before]
        denied = f"{Read.ROUND_STATUS.value}_denied"
        assert new == [(denied, f"round:{r1.id}", world.people[who].id)], who


async def test_the_leaders_booking_material_carries_shared_prep_and_own_notes_only(
    world: World,
) -> None:
    async with world.store.transaction() as tx:
        await tx.notes.save(
            round_id=world.r1.id,
            leader_id=world.people["leader"].id,
            employee_id=world.anna.id,
            text="Mine noter",
            at=T0,
        )
        seen = await policy.read_booking_material(
            _access(world, tx, "leader"),
            round_=world.r1,
            round_id=world.r1.id,
            employee_id=world.anna.id,
        )
    assert seen.answers is None and seen.note is not None  # not shared yet: no answers
    await _share(world)
    async with world.store.transaction() as tx:
        seen = await policy.read_booking_material(
            _access(world, tx, "leader"),
            round_=world.r1,
            round_id=world.r1.id,
            employee_id=world.anna.id,
        )
        own = await policy.read_booking_material(
            _access(world, tx, "own"),
            round_=world.r1,
            round_id=world.r1.id,
            employee_id=world.anna.id,
        )
    assert seen.answers == {} and seen.session is not None
    assert seen.session.status == PrepStatus.SHARED
    assert own.note is None  # the leader's notes never reach the employee
    actions = [a for a, _, actor in await _audit(world) if actor == world.people["leader"].id]
    assert actions.count("prep.view") == 1 and "notes.view" in actions


@pytest.mark.parametrize("who", WHO)
async def test_material_about_someone_outside_the_round_is_refused_to_everybody(
    world: World, who: str
) -> None:
    """A forged id (an employee of another round) reveals nothing, even to R1's leader."""
    outsider = world.people["other_team"].id
    async with world.store.transaction() as tx:
        with pytest.raises(policy.Denied):
            await policy.read_plan(
                _access(world, tx, who), round_=world.r1, round_id=world.r1.id, employee_id=outsider
            )
        with pytest.raises(policy.Denied):
            await policy.read_prep(
                _access(world, tx, who), round_=None, round_id=9999, employee_id=world.anna.id
            )
    rows = [(a, s) for a, s, _ in (await _audit(world))[:2]]
    assert rows == [
        ("prep.view_denied", f"round:9999:person:{world.anna.id}"),
        ("plan.view_denied", f"round:{world.r1.id}:person:{outsider}"),
    ]


# ---------------------------------------------------------------- actions


@pytest.mark.parametrize("act", list(Do))
@pytest.mark.parametrize("who", WHO)
async def test_every_action_for_every_role(world: World, who: str, act: Do) -> None:
    employee = None if act in ROUND_LEVEL else world.anna.id
    actor = world.people[who]
    before = await _audit(world)
    async with world.store.transaction() as tx:
        access = _access(world, tx, who)
        if act in ACTS[who]:
            held = await policy.check(
                access, act, round_=world.r1, round_id=world.r1.id, employee_id=employee
            )
            assert held
        else:
            with pytest.raises(policy.Denied):
                await policy.check(
                    access, act, round_=world.r1, round_id=world.r1.id, employee_id=employee
                )
    new = [row for row in await _audit(world) if row not in before]
    if act in ACTS[who]:
        assert new == []  # an allowed action is audited by what it writes, not by the check
    else:
        assert new == [(f"{act.value}_denied", _subject(world, act), actor.id)]


@pytest.mark.parametrize("who", WHO)
async def test_what_is_offered_is_what_the_check_allows_and_asking_audits_nothing(
    world: World, who: str
) -> None:
    """`policy.may` (which buttons a flow shows) answers from the same table as `check`."""
    before = await _audit(world)
    async with world.store.transaction() as tx:
        access = _access(world, tx, who)
        offered = {
            act
            for act in Do
            if policy.may(
                access,
                act,
                round_=world.r1,
                employee_id=None if act in ROUND_LEVEL else world.anna.id,
            )
        }
        anywhere = {act for act in Do if policy.may_anywhere(access, act)}
    assert offered == ACTS[who]
    # Only an admin acts on rounds they have no part in, and only to close them.
    assert anywhere == ({Do.CLOSE_ROUND} if who == "admin" else set())
    assert await _audit(world) == before


def test_an_employee_acts_for_herself_only() -> None:
    """The pure rule behind the table: EMPLOYEE means the person the material is about."""
    r = Round(
        id=1,
        team_id=1,
        template_name="t",
        template={},
        kerneopgave="",
        udviklingsmaal="",
        kickoff_at=None,
        prep_deadline=date(2026, 12, 4),
        conversations_from=date(2026, 12, 7),
        conversations_to=date(2026, 12, 18),
        summary_at=None,
        phase=Phase.PREP,
        started_by=9,
        created_at=T0,
        leader_ids=(9,),
        member_ids=(1, 2),
    )
    assert policy.roles(actor_id=1, round_=r, employee_id=1) == {policy.Role.EMPLOYEE}
    assert policy.roles(actor_id=2, round_=r, employee_id=1) == frozenset()
    assert policy.roles(actor_id=9, round_=r, employee_id=1) == {policy.Role.LEADER}
    assert policy.roles(actor_id=9, round_=r, employee_id=3) == frozenset()  # not in the round
    assert not policy.may_read(Read.PREP, frozenset({policy.Role.LEADER}), shared=False)
    assert policy.may_read(Read.PREP, frozenset({policy.Role.LEADER}), shared=True)


@pytest.mark.parametrize(
    ("is_admin", "may_lead", "start", "name_leaders"),
    [
        (True, False, True, True),  # an admin may lead and names leaders
        (False, True, True, False),  # a named or configured leader starts rounds
        (False, False, False, False),  # anyone else does neither
    ],
)
def test_workspace_actions(is_admin: bool, may_lead: bool, start: bool, name_leaders: bool) -> None:
    assert set(policy.GOVERNORS) == set(policy.Govern)
    got = {g: policy.may_govern(g, is_admin=is_admin, may_lead=may_lead) for g in policy.Govern}
    assert got == {
        policy.Govern.START_ROUND: start,
        policy.Govern.NAME_LEADERS: name_leaders,
        policy.Govern.NAME_COMMITTEE: name_leaders,  # admins only, like naming leaders
        policy.Govern.COVERAGE: start,  # leaders and admins see who was not offered a MUS
        policy.Govern.COVERAGE_ALL_TEAMS: name_leaders,  # admins: every team, not only their own
        policy.Govern.APPROVE_TEMPLATE: name_leaders,  # admins offer a template to everyone
    }


@pytest.mark.parametrize("who", WHO)
async def test_check_owner_lets_owners_and_the_leader_only(world: World, who: str) -> None:
    """Anna owns the agreement; her team mate does not."""
    allowed = who in ("own", "leader")
    async with world.store.transaction() as tx:
        access = _access(world, tx, who)
        if allowed:
            await policy.check_owner(
                access, round_=world.r1, round_id=world.r1.id, owner_ids=(world.anna.id,)
            )
        else:
            with pytest.raises(policy.Denied):
                await policy.check_owner(
                    access, round_=world.r1, round_id=world.r1.id, owner_ids=(world.anna.id,)
                )
    denied = [a for a, _, actor in await _audit(world) if actor == world.people[who].id]
    assert denied == ([] if allowed else ["actions.update_denied"])


@pytest.mark.parametrize("who", WHO)
async def test_only_an_owner_snoozes_their_reminder(world: World, who: str) -> None:
    """Anna owns the agreement: she may put her reminder off; the leader (no owner) may not."""
    allowed = who == "own"
    async with world.store.transaction() as tx:
        access = _access(world, tx, who)
        check = policy.check_owner(
            access,
            round_=world.r1,
            round_id=world.r1.id,
            owner_ids=(world.anna.id,),
            action=Do.SNOOZE_TEAM_ACTION,
        )
        if allowed:
            await check
        else:
            with pytest.raises(policy.Denied):
                await check
    denied = [a for a, _, actor in await _audit(world) if actor == world.people[who].id]
    assert denied == ([] if allowed else ["actions.snooze_denied"])


async def test_admins_are_the_flagged_and_the_configured_ones(world: World) -> None:
    """One rule for who is an admin: the platform's flag, or MUSBOT_ADMINS (Teams has no flag)."""
    anna, admin = world.anna, world.people["admin"]
    configured = frozenset({anna.user_id, "U-never-met"})
    assert policy.is_admin(anna, configured=configured)
    assert policy.is_admin(admin, configured=frozenset())
    assert not policy.is_admin(world.people["mate"], configured=configured)
    async with world.store.transaction() as tx:
        found = await policy.admins(tx, workspace_id=anna.workspace_id, configured=configured)
    assert admin.id in {p.id for p in found} and anna.id in {p.id for p in found}
    assert world.people["mate"].id not in {p.id for p in found}


@pytest.mark.parametrize("who", WHO)
async def test_only_committee_members_read_the_committee_figures(world: World, who: str) -> None:
    async with world.store.transaction() as tx:
        workspace_id = world.anna.workspace_id
        await tx.committee.set_members(
            workspace_id=workspace_id, person_ids=[world.people["committee"].id]
        )
    async with world.store.transaction() as tx:
        if who == "committee":
            await policy.read_committee(_access(world, tx, who), workspace_id=workspace_id)
        else:
            with pytest.raises(policy.Denied):
                await policy.read_committee(_access(world, tx, who), workspace_id=workspace_id)
    actions = [a for a, _, actor in await _audit(world) if actor == world.people[who].id]
    assert actions == ["committee.figures" if who == "committee" else "committee.figures_denied"]
