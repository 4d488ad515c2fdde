"""Platform-neutral MUS conversations: flows take neutral events and return neutral messages.

Nothing in this package may import slack_bolt, the Teams SDK (microsoft_agents), aiohttp or
sqlmodel; adapters and storage plug in through the types in `events`, `messages` and the
Protocols in `ports`.
"""
