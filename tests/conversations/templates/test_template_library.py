"""The template library: built-ins load, broken files say exactly where they are broken,
user directories add and override, and snapshots keep a running round stable."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml

from conversations.templates import (
    Template,
    TemplateError,
    TemplateLibrary,
    UnknownTemplateError,
    load_template,
    split_dir_list,
)

BUILTINS = ["generic", "kk-buf", "randers", "toender"]
THREE_PROMPTS = (
    "Hvad fungerer godt?",
    "Hvad kunne I gøre mere af?",
    "Hvordan kan du bidrage? Hvor skal du understøttes?",
)


def builtin_data(name: str) -> dict[str, Any]:
    text = resources.files("conversations.templates").joinpath(f"{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(TemplateError) as caught:
        load_template(path=path)
    return str(caught.value)


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return TemplateLibrary()


# --- built-in templates -----------------------------------------------------------------------


def test_builtin_names(library: TemplateLibrary) -> None:
    assert library.names() == BUILTINS
    assert library.errors() == []
    assert all(library.origin(name=n) == "built-in" for n in BUILTINS)


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_loads_and_has_unique_steps(library: TemplateLibrary, name: str) -> None:
    template = library.get(name=name)
    assert template.name == name
    steps = template.steps()
    assert steps
    assert len({s.id for s in steps}) == len(steps)
    assert template.plan.fields


def test_toender_has_skema_1_to_3(library: TemplateLibrary) -> None:
    t = library.get(name="toender")
    by_id = {theme.id: theme for theme in t.themes}
    for skema1 in ("faglighed", "trivsel-samarbejde", "toenderkulturen", "andet"):
        assert (by_id[skema1].intro or "").startswith("Skema 1")
    assert "Hvordan bidrager du og kunne du gøre andet/mere?" in (t.employee_guidance or "")
    assert "Hvad er din oplevelse af medarbejderen?" in (t.leader_guidance or "")

    leveregler, laering = by_id["leveregler"], by_id["organisatorisk-laering"]
    assert leveregler.title.startswith("Skema 2")
    assert laering.title.startswith("Skema 3")
    assert "samskabelse" in laering.title
    assert len(leveregler.questions) == 6
    assert len(laering.questions) == 5
    for question in (*leveregler.questions, *laering.questions):
        assert question.prompts == THREE_PROMPTS
    # three answer boxes per Skema 2/3 question
    assert [s.id for s in t.steps() if s.question.id == "samskabelse"] == [
        "samskabelse.1",
        "samskabelse.2",
        "samskabelse.3",
    ]
    assert len(by_id["enkle-spoergsmaal"].questions) == 6


def test_randers_themes_with_good_day_bad_day(library: TemplateLibrary) -> None:
    t = library.get(name="randers")
    assert [theme.title for theme in t.themes] == ["Mig som medarbejder", "Faglighed", "Relationer"]
    mig = t.themes[0]
    texts = " ".join(f"{mig.intro} {q.text} {q.help or ''}" for q in mig.questions)
    assert "god dag" in texts
    assert "dårlig dag" in texts
    assert t.plan.title == "Individuel kompetenceudviklingsplan"


def test_kk_buf_themes_help_and_plan_fields(library: TemplateLibrary) -> None:
    t = library.get(name="kk-buf")
    assert [theme.title for theme in t.themes] == [
        "Siden sidste MUS",
        "Trivsel",
        "Arbejdsopgaver",
        "Frem mod udviklingsplanen",
    ]
    for theme in t.themes:
        helps = [q.help for q in theme.questions if q.help]
        assert helps, theme.id
        assert all(h.startswith("Spørgsmål til refleksion:") for h in helps)
    labels = [f.label.lower() for f in t.plan.fields]
    assert len(labels) == 4
    for wanted, label in zip(
        ("læringsmål", "tiltag", "hvem kan støtte", "tidsplan og ansvar"), labels, strict=True
    ):
        assert wanted in label
    assert t.plan.fields[0].required


def test_generic_is_english(library: TemplateLibrary) -> None:
    t = library.get(name="generic")
    assert t.language == "en"
    assert [f.id for f in t.plan.fields] == ["learning-goal", "actions", "support", "timeline"]


def test_unknown_name_lists_the_available_ones(library: TemplateLibrary) -> None:
    with pytest.raises(KeyError) as caught:
        library.get(name="aarhus")
    assert isinstance(caught.value, UnknownTemplateError)
    assert str(caught.value) == (
        "no template named 'aarhus'; available: generic, kk-buf, randers, toender"
    )


class TemplateSource(Protocol):  # as in conversations/context.py
    def names(self) -> list[str]: ...

    def get(self, *, name: str) -> Template: ...


def test_library_satisfies_the_engines_template_source(library: TemplateLibrary) -> None:
    source: TemplateSource = library  # checked by mypy
    assert source.get(name=source.names()[0]).name == "generic"


def test_conversations_templates_imports_no_platform_or_sql() -> None:
    code = (
        "import sys, conversations.templates, conversations.templates.describe\n"
        "bad = {'slack_bolt', 'microsoft_agents', 'aiohttp', 'sqlmodel'} & "
        "{m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(bad))"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# --- broken files -----------------------------------------------------------------------------


def test_missing_field_names_file_and_field_path(tmp_path: Path) -> None:
    data = builtin_data("toender")
    del data["themes"][2]["questions"][0]["text"]
    path = write(tmp_path / "toender.yaml", data)
    assert (
        load_error(path)
        == "toender.yaml: line 68, themes[2].questions[0].text: is missing – expected the question's text"
    )


def test_missing_top_level_field(tmp_path: Path) -> None:
    data = builtin_data("kk-buf")
    del data["plan"]
    assert load_error(write(tmp_path / "kk-buf.yaml", data)) == (
        "kk-buf.yaml: line 1, plan: is missing – expected the development plan (title:, fields:)"
    )


def test_every_problem_gets_its_own_line(tmp_path: Path) -> None:
    data = builtin_data("randers")
    data["language"] = "de"
    data["themes"][1]["questions"][0]["id"] = "Has Spaces"
    data["plan"]["fields"][0]["lable"] = "typo"
    assert load_error(write(tmp_path / "randers.yaml", data)).splitlines() == [
        "randers.yaml: line 3, language: 'de' is not allowed – expected da or en",
        "randers.yaml: line 64, themes[1].questions[0].id: 'Has Spaces' cannot be used – "
        "expected an id of lowercase letters, digits, - and _ (e.g. wellbeing-1)",
        "randers.yaml: line 116, plan.fields[0].lable: unknown field 'lable' – fields allowed "
        "here: id, label, hint, multiline, required",
    ]


def test_empty_question_list_is_reported_once(tmp_path: Path) -> None:
    data = builtin_data("generic")
    data["themes"][0]["questions"] = [{"id": "only"}]
    assert load_error(write(tmp_path / "generic.yaml", data)) == (
        "generic.yaml: line 39, themes[0].questions[0].text: is missing – expected the question's text"
    )


def test_bad_yaml_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\n  title: indented by mistake\n", encoding="utf-8")
    assert load_error(path) == (
        "mine.yaml: line 2, column 8: invalid YAML: mapping values are not allowed here"
    )
    path.write_text("name: mine\ntitle: [unclosed\n", encoding="utf-8")
    assert load_error(path) == (
        "mine.yaml: line 3, column 1: invalid YAML: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence that began on line 2)"
    )


def test_duplicate_yaml_key_is_an_error_not_silently_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\ntitle: A\ntitle: B\n", encoding="utf-8")
    assert load_error(path) == (
        "mine.yaml: line 3, column 1: the field 'title' appears twice (first on line 2)"
    )


def test_duplicate_question_id_points_at_both_places(tmp_path: Path) -> None:
    data = builtin_data("toender")
    data["themes"][3]["questions"][1]["id"] = data["themes"][3]["questions"][0]["id"]
    assert load_error(write(tmp_path / "toender.yaml", data)) == (
        "toender.yaml: line 87, themes[3].questions[1].id: id 'leveregler-arbejde' is used "
        "twice (first on line 81, themes[3].questions[0].id)"
    )


def test_duplicate_theme_and_plan_field_ids(tmp_path: Path) -> None:
    data = builtin_data("kk-buf")
    data["themes"][2]["id"] = "trivsel"
    assert load_error(write(tmp_path / "kk-buf.yaml", data)) == (
        "kk-buf.yaml: line 96, themes[2].id: id 'trivsel' is used twice "
        "(first on line 74, themes[1].id)"
    )
    data = builtin_data("kk-buf")
    data["plan"]["fields"][3]["id"] = "tiltag"
    assert load_error(write(tmp_path / "kk-buf.yaml", data)) == (
        "kk-buf.yaml: line 174, plan.fields[3].id: id 'tiltag' is used twice "
        "(first on line 170, plan.fields[1].id)"
    )


def test_name_must_equal_file_stem(tmp_path: Path) -> None:
    path = write(tmp_path / "my-copy.yaml", builtin_data("toender"))
    assert load_error(path) == (
        "my-copy.yaml: line 1, name: 'toender' must equal the file name without suffix ('my-copy')"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "line 1: the top level must be a mapping (name:, title:, ...), not a list"),
    ],
)
def test_empty_or_not_a_mapping(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_error(path) == f"mine.yaml: {message}"


def test_error_exposes_file_and_fields(tmp_path: Path) -> None:
    data = builtin_data("toender")
    del data["title"]
    with pytest.raises(TemplateError) as caught:
        load_template(path=write(tmp_path / "toender.yaml", data), label="/etc/x/toender.yaml")
    assert caught.value.file == "/etc/x/toender.yaml"
    assert caught.value.fields == ["title"]
    assert str(caught.value) == (
        "/etc/x/toender.yaml: line 1, title: is missing – expected a title (text)"
    )


# --- user directories -------------------------------------------------------------------------


def test_user_dir_adds_a_template(tmp_path: Path) -> None:
    data = builtin_data("generic") | {"name": "ours", "title": "Our own"}
    write(tmp_path / "ours.yaml", data)
    write(tmp_path / "short.yml", data | {"name": "short"})
    (tmp_path / "notes.txt").write_text("not a template", encoding="utf-8")
    lib = TemplateLibrary(extra_dirs=[tmp_path])
    assert lib.names() == [*BUILTINS[:2], "ours", "randers", "short", "toender"]
    assert lib.get(name="ours").title == "Our own"
    assert lib.origin(name="ours") == str(tmp_path / "ours.yaml")
    assert lib.errors() == []


def test_user_file_overrides_builtin_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "toender.yaml", builtin_data("toender") | {"title": "Tønder, lokal udgave"})
    with caplog.at_level(logging.WARNING, logger="conversations.templates.library"):
        lib = TemplateLibrary(extra_dirs=[tmp_path])
    assert lib.names() == BUILTINS
    assert lib.get(name="toender").title == "Tønder, lokal udgave"
    assert lib.origin(name="toender") == str(tmp_path / "toender.yaml")
    assert f"template 'toender' from {tmp_path / 'toender.yaml'} overrides the built-in one" in (
        caplog.text
    )


def test_later_directory_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write(first / "generic.yaml", builtin_data("generic") | {"title": "First"})
    write(second / "generic.yaml", builtin_data("generic") | {"title": "Second"})
    lib = TemplateLibrary(extra_dirs=[first, second])
    assert lib.get(name="generic").title == "Second"


def test_broken_user_files_do_not_take_down_the_builtins(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "broken.yaml").write_text("name: broken\n  oops: [\n", encoding="utf-8")
    bad = builtin_data("toender")
    del bad["themes"][0]["questions"][0]["text"]
    write(tmp_path / "toender.yaml", bad)
    missing = tmp_path / "nowhere"
    with caplog.at_level(logging.ERROR, logger="conversations.templates.library"):
        lib = TemplateLibrary(extra_dirs=[tmp_path, missing])
    assert lib.names() == BUILTINS
    assert lib.origin(name="toender") == "built-in"  # the broken override is not used
    assert "keeping the built-in one" in caplog.text
    messages = [str(e) for e in lib.errors()]
    assert messages[0].startswith(f"{tmp_path / 'broken.yaml'}: line 2, column 7: invalid YAML")
    assert messages[1:] == [
        f"{tmp_path / 'toender.yaml'}: line 46, themes[0].questions[0].text: is missing – "
        "expected the question's text",
        f"{missing}: the template directory does not exist",
    ]


def test_reload_picks_up_new_and_edited_files(tmp_path: Path) -> None:
    lib = TemplateLibrary(extra_dirs=[tmp_path])
    assert "ours" not in lib.names()
    write(tmp_path / "ours.yaml", builtin_data("generic") | {"name": "ours"})
    lib.reload()
    assert "ours" in lib.names()


def test_split_dir_list() -> None:
    assert split_dir_list(value=None) == []
    assert split_dir_list(value="") == []
    assert split_dir_list(value="/a, /b,,") == [Path("/a"), Path("/b")]
    assert split_dir_list(value="/a:/b") == [Path("/a"), Path("/b")]


# --- snapshots --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTINS)
def test_snapshot_round_trips_through_json(library: TemplateLibrary, name: str) -> None:
    snapshot = library.snapshot(name=name)
    restored = TemplateLibrary.from_snapshot(json.loads(json.dumps(snapshot)))
    assert restored == library.get(name=name)
    assert [s.id for s in restored.steps()] == [s.id for s in library.get(name=name).steps()]


def test_editing_the_file_after_a_snapshot_changes_nothing_restored(tmp_path: Path) -> None:
    data = builtin_data("kk-buf")
    path = write(tmp_path / "kk-buf.yaml", data)
    lib = TemplateLibrary(extra_dirs=[tmp_path])
    snapshot = json.loads(json.dumps(lib.snapshot(name="kk-buf")))  # as stored with the round

    data["themes"][1]["questions"][0]["text"] = "Ny formulering"
    data["themes"][1]["questions"].pop()
    data["plan"]["fields"].pop()
    write(path, data)
    lib.reload()
    assert lib.get(name="kk-buf").themes[1].questions[0].text == "Ny formulering"

    restored = TemplateLibrary.from_snapshot(snapshot)
    assert restored.themes[1].questions[0].text == "Hvordan trives du på dit arbejde?"
    assert len(restored.themes[1].questions) == 3
    assert [f.id for f in restored.plan.fields] == ["laeringsmaal", "tiltag", "stoette", "tidsplan"]
    assert restored == TemplateLibrary().get(name="kk-buf")


def test_snapshot_is_a_copy(library: TemplateLibrary) -> None:
    snapshot = library.snapshot(name="toender")
    snapshot["themes"].clear()
    assert library.snapshot(name="toender")["themes"]


def test_corrupt_snapshot_is_a_template_error(library: TemplateLibrary) -> None:
    snapshot = library.snapshot(name="toender")
    del snapshot["themes"]
    with pytest.raises(TemplateError) as caught:
        TemplateLibrary.from_snapshot(snapshot)
    assert str(caught.value) == (
        "snapshot of 'toender': themes: is missing – expected a list of themes "
        "(- id:, title:, questions:)"
    )


def test_the_example_in_the_docs_loads(tmp_path: Path) -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "templates.md").read_text("utf-8")
    example = docs.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "skole.yaml").write_text(example, encoding="utf-8")
    lib = TemplateLibrary(extra_dirs=[tmp_path])
    assert lib.errors() == []
    steps = lib.get(name="skole").steps()
    assert [s.id for s in steps] == [
        "trivsel",
        "samarbejde.1",
        "samarbejde.2",
        "samarbejde.3",
        "laeringsmaal",
    ]
