"""Microsoft Teams adapter (Microsoft 365 Agents SDK): activities -> neutral events, neutral
replies -> Adaptive Cards.

Every import of the SDK (`microsoft_agents.*`) lives in this package, so replacing or
upgrading it never touches `conversations/` or `bot/`.
"""
