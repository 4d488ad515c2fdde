"""Microsoft Teams adapter (botbuilder): activities -> neutral events, neutral replies -> Adaptive Cards.

Every botbuilder import of the project lives in this package: Microsoft has archived the SDK,
so replacing it must not touch `conversations/` or `bot/`.
"""
