"""A round's snapshot is parsed once per process for each distinct content: every prep answer
reads its round, and parsing the snapshot anew cost more than the answer's statements."""

from __future__ import annotations

import copy

from conversations.templates import TemplateLibrary, model
from conversations.templates.model import snapshot_template


def test_the_same_content_is_one_parsed_template() -> None:
    data = TemplateLibrary().snapshot(name="kk-buf")
    first = snapshot_template(data)
    assert snapshot_template(copy.deepcopy(data)) is first  # by content, not by object
    assert first.steps() == TemplateLibrary.from_snapshot(data).steps()


def test_an_adapted_snapshot_is_parsed_anew_and_a_later_change_to_a_dict_is_no_match() -> None:
    data = TemplateLibrary().snapshot(name="kk-buf")
    original = snapshot_template(data)
    adapted = copy.deepcopy(data)
    adapted["themes"][0]["title"] = "Lokalt tilpasset tema"
    mine = snapshot_template(adapted)
    assert mine is not original and mine.themes[0].title == "Lokalt tilpasset tema"
    # The kept copy is the cache's own: changing the caller's dict afterwards changes nothing.
    adapted["themes"][0]["title"] = "Ændret bagefter"
    assert snapshot_template(adapted).themes[0].title == "Ændret bagefter"
    assert snapshot_template(data) is original


def test_only_a_bounded_number_of_snapshots_is_kept() -> None:
    base = TemplateLibrary().snapshot(name="generic")
    for n in range(model.SNAPSHOTS_KEPT + 5):
        variant = copy.deepcopy(base)
        variant["title"] = f"Variant {n}"
        assert snapshot_template(variant).title == f"Variant {n}"
    assert len(model._snapshots) == model.SNAPSHOTS_KEPT
