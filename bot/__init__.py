"""Wiring: configuration, the one aiohttp server, command routing, the scheduler, the outbox."""
