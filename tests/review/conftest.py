"""Fixtures for the security review tests: the flow tests' small workplace."""

from __future__ import annotations

import pytest

from conversations.templates.library import TemplateLibrary
from tests.flows.conftest import World, make_world


@pytest.fixture(scope="session")
def library() -> TemplateLibrary:
    return TemplateLibrary()


@pytest.fixture
def world(library: TemplateLibrary) -> World:
    return make_world(library)
