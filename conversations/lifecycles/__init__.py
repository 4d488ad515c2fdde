"""The lifecycles of a MUS round as pure transition tables (see docs/architecture.md).

Each module has a `decide(state, action, ...)` that returns a `Transition` (next state plus
effects) or a `Refusal` (an i18n key). Flows call them and carry out the effects;
repositories persist the transition (`apply`), so no handler can set an arbitrary status.
"""

from conversations.lifecycles.base import Effect, Refusal, Rule, Transition

__all__ = ["Effect", "Refusal", "Rule", "Transition"]
