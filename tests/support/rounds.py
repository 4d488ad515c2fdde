"""Moving a round on in a test's own transaction, the way the flows do: through its lifecycle."""

from __future__ import annotations

from conversations.domain import Phase
from conversations.lifecycles import round as round_lifecycle
from conversations.lifecycles.base import Refusal
from conversations.lifecycles.round import RoundAction
from conversations.ports import Tx


async def advance_round(tx: Tx, *, round_id: int, action: RoundAction) -> Phase:
    """Apply `action` to the stored round; a refusal fails the test with its reason."""
    found = await tx.rounds.get(round_id=round_id)
    assert found is not None, round_id
    result = round_lifecycle.decide(found.phase, action)
    assert not isinstance(result, Refusal), result.reason
    return (await tx.rounds.apply(round_id=round_id, transition=result)).phase


async def close_round(tx: Tx, *, round_id: int) -> None:
    """The round ends (the leader's or an admin's CLOSE)."""
    await advance_round(tx, round_id=round_id, action=RoundAction.CLOSE)
