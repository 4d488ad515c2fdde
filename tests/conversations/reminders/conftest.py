"""The flow fixtures (a small workplace on the SQL store over SQLite) for the reminder tests."""

from tests.conversations.flows.conftest import library, world

__all__ = ["library", "world"]
