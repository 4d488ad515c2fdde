"""The flows' small workplace, for the lifecycle scenarios."""

from tests.conversations.flows.conftest import library, world

__all__ = ["library", "world"]
