"""Issue #18, "Shown by" (templates): every shipped template round-trips through export and
import; malformed files each get an error that names the line and the field, in Danish or
English; the committed JSON Schema is the model's; the CLI does what docs/templates.md says."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import templates_cli
from bot.cli import main
from bot.config import Settings
from conversations.templates.export import json_schema_text, shipped_schema_text, to_yaml
from conversations.templates.library import TemplateError, TemplateLibrary, parse_template
from conversations.templates.offer import offered_templates
from conversations.templates.stored import Scope, Status
from storage.db import SqlStore

BUILTINS = ["generic", "kk-buf", "randers", "toender"]


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return TemplateLibrary()


def test_the_committed_schema_is_generated_from_the_model() -> None:
    assert shipped_schema_text() == json_schema_text(), (
        "regenerate: musbot templates schema > conversations/templates/template.schema.json"
    )
    schema = json.loads(shipped_schema_text())
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "title", "language", "description", "themes", "plan"}


@pytest.mark.parametrize("name", BUILTINS)
def test_canonical_yaml_parses_back_to_the_same_template(
    library: TemplateLibrary, name: str
) -> None:
    template = library.get(name=name)
    text = to_yaml(template)
    again = parse_template(text=text, file=f"{name}.yaml")
    assert again == template
    assert to_yaml(again) == text


@pytest.mark.parametrize("name", BUILTINS)
async def test_every_shipped_template_round_trips_through_export_and_import(
    store: SqlStore, tmp_path: Path, name: str
) -> None:
    settings = Settings(database_url="sqlite://")
    exported = await templates_cli.export_text(store=store, settings=settings, name=name)
    assert exported is not None
    path = tmp_path / f"{name}.yaml"
    path.write_text(exported, encoding="utf-8")
    assert await templates_cli.import_file(store=store, path=path, lang="en") == 0
    again = await templates_cli.export_text(store=store, settings=settings, name=name)
    assert again == exported
    async with store.transaction() as tx:
        stored = await tx.templates.latest(name=name)
    assert stored is not None and stored.version == 1
    assert stored.template() == TemplateLibrary().get(name=name)


async def test_import_is_versioned_and_a_round_keeps_its_snapshot(
    store: SqlStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = TemplateLibrary()
    text = to_yaml(library.get(name="kk-buf")).replace("name: kk-buf", "name: skole")
    path = tmp_path / "skole.yaml"
    path.write_text(text, encoding="utf-8")
    assert await templates_cli.import_file(store=store, path=path, lang="da") == 0
    assert await templates_cli.import_file(store=store, path=path, lang="da") == 0
    assert "uændret; version 1" in capsys.readouterr().out
    async with store.transaction() as tx:
        first = await tx.templates.latest(name="skole")
    assert first is not None
    snapshot = first.data  # what a round started now would keep
    path.write_text(text.replace("title: Københavns", "title: Skolens"), encoding="utf-8")
    assert await templates_cli.import_file(store=store, path=path, lang="da") == 0
    async with store.transaction() as tx:
        versions = await tx.templates.versions(name="skole")
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].data == snapshot
    assert versions[1].data["title"].startswith("Skolens")


async def test_retired_templates_are_no_longer_offered(store: SqlStore, tmp_path: Path) -> None:
    library = TemplateLibrary()
    settings = Settings(database_url="sqlite://")
    path = tmp_path / "skole.yaml"
    path.write_text(
        to_yaml(library.get(name="kk-buf")).replace("name: kk-buf", "name: skole"), "utf-8"
    )
    await templates_cli.import_file(store=store, path=path, lang="en")
    async with store.transaction() as tx:
        offered = await offered_templates(
            repo=tx.templates, library=library, person_id=None, language="da"
        )
    assert "skole" in offered
    assert list(offered)[-1] == "generic"  # a Danish leader sees the Danish forms first
    assert await templates_cli.retire(store=store, settings=settings, name="skole", lang="en") == 0
    assert (
        await templates_cli.retire(store=store, settings=settings, name="generic", lang="en") == 0
    )
    async with store.transaction() as tx:
        offered = await offered_templates(
            repo=tx.templates, library=library, person_id=None, language="da"
        )
        kept = await tx.templates.versions(name="skole")
    assert "skole" not in offered and "generic" not in offered
    assert kept and kept[0].data["name"] == "skole"  # kept for the rounds that used it
    # exporting a retired template still works (a round's leader may want it back)
    assert await templates_cli.export_text(store=store, settings=settings, name="skole")


# ---------------------------------------------------------------- twenty malformed files

GOOD = """\
name: skole
title: Skolen
language: da
description: Årets MUS.
themes:
  - id: trivsel
    title: Trivsel
    questions:
      - id: trivsel
        text: Hvordan trives du?
        help: Tænk på en god dag.
      - id: samarbejde
        text: Hvordan går samarbejdet?
        prompts:
          - Hvad fungerer godt?
          - Hvad kunne I gøre mere af?
plan:
  title: Udviklingsplan
  fields:
    - id: maal
      label: Mål
      required: true
"""

# (what is wrong, the file, the line, the field (None: a YAML error), words in the Danish text)
MALFORMED: list[tuple[str, str, int, str | None, str]] = [
    ("bad YAML indentation", GOOD.replace("title: Skolen", "  title: Skolen"), 2, None, "YAML"),
    ("unclosed list", GOOD.replace("language: da", "language: [da"), 4, None, "YAML"),
    (
        "tab character",
        GOOD.replace("        text: Hvordan trives du?", "\ttext: Hvordan trives du?"),
        10,
        None,
        "YAML",
    ),
    (
        "duplicate key",
        GOOD.replace("language: da\n", "language: da\nlanguage: en\n"),
        4,
        None,
        "står to gange",
    ),
    (
        "duplicate question id",
        GOOD.replace("      - id: samarbejde", "      - id: trivsel"),
        12,
        "themes[0].questions[1].id",
        "brugt to gange",
    ),
    (
        "duplicate theme id",
        GOOD.replace(
            "plan:",
            "  - id: trivsel\n    title: Igen\n    questions:\n      - id: x\n"
            "        text: X?\nplan:",
        ),
        17,
        "themes[1].id",
        "brugt to gange",
    ),
    (
        "duplicate plan field id",
        GOOD + "    - id: maal\n      label: Igen\n",
        23,
        "plan.fields[1].id",
        "brugt to gange",
    ),
    (
        "unknown field",
        GOOD.replace("        help: Tænk", "        hjælp: Tænk"),
        11,
        "themes[0].questions[0].hjælp",
        "ukendt felt 'hjælp'",
    ),
    (
        "unknown top-level field",
        GOOD + "author: HR\n",
        23,
        "author",
        "ukendt felt 'author'",
    ),
    (
        "missing question text",
        GOOD.replace("        text: Hvordan trives du?\n", ""),
        9,
        "themes[0].questions[0].text",
        "spørgsmålets tekst",
    ),
    ("missing title", GOOD.replace("title: Skolen\n", ""), 1, "title", "mangler"),
    (
        "empty question text",
        GOOD.replace("text: Hvordan trives du?", 'text: ""'),
        10,
        "themes[0].questions[0].text",
        "må ikke være tom",
    ),
    (
        "wrong type: text is a list",
        GOOD.replace("text: Hvordan trives du?", "text: [a, b]"),
        10,
        "themes[0].questions[0].text",
        "forkert type",
    ),
    (
        "wrong type: priority",
        GOOD.replace("        help: Tænk på en god dag.", "        priority: måske"),
        11,
        "themes[0].questions[0].priority",
        "true eller false",
    ),
    (
        "wrong type: max_length",
        GOOD.replace("        help: Tænk på en god dag.", "        max_length: lang"),
        11,
        "themes[0].questions[0].max_length",
        "forkert type",
    ),
    (
        "wrong type: questions is a mapping",
        GOOD.replace(
            "    questions:\n      - id: trivsel\n        text: Hvordan trives du?\n"
            "        help: Tænk på en god dag.\n      - id: samarbejde\n"
            "        text: Hvordan går samarbejdet?\n        prompts:\n"
            "          - Hvad fungerer godt?\n          - Hvad kunne I gøre mere af?\n",
            "    questions:\n      id: trivsel\n",
        ),
        8,
        "themes[0].questions",
        "forkert type",
    ),
    (
        "question text too long",
        GOOD.replace("text: Hvordan trives du?", "text: " + "x" * 501),
        10,
        "themes[0].questions[0].text",
        "for lang: 501 tegn, højst 500",
    ),
    (
        "max_length out of range",
        GOOD.replace("        help: Tænk på en god dag.", "        max_length: 5000"),
        11,
        "themes[0].questions[0].max_length",
        "højst være 3000",
    ),
    (
        "id with spaces",
        GOOD.replace("id: samarbejde", "id: Godt Samarbejde"),
        12,
        "themes[0].questions[1].id",
        "'Godt Samarbejde' kan ikke bruges",
    ),
    (
        "unknown language",
        GOOD.replace("language: da", "language: de"),
        3,
        "language",
        "da eller en",
    ),
    (
        "a theme without questions",
        GOOD.replace("plan:", "  - id: tom\n    title: Tom\n    questions: []\nplan:"),
        19,
        "themes[1].questions",
        "mindst 1",
    ),
    (
        "empty prompt",
        GOOD.replace("          - Hvad fungerer godt?", '          - ""'),
        15,
        "themes[0].questions[1].prompts[0]",
        "må ikke være tom",
    ),
]


def test_there_are_at_least_twenty_malformed_files() -> None:
    assert len(MALFORMED) >= 20


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        pytest.param(text, line, field, words, id=what)
        for what, text, line, field, words in MALFORMED
    ],
)
def test_a_malformed_file_gets_an_error_naming_the_line_and_the_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    line: int,
    field: str | None,
    words: str,
) -> None:
    path = tmp_path / "skole.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        parse_template(text=text, file="skole.yaml")
    problem = caught.value.problems[0]
    assert problem.line == line, caught.value.render("da")
    assert problem.field == field, caught.value.render("da")
    danish = caught.value.render("da")
    assert f"skole.yaml: linje {line}" in danish
    assert words in danish
    if field is not None:
        assert f"linje {line}, {field}: " in danish
    english = caught.value.render("en")
    assert f"skole.yaml: line {line}" in english
    # and the same through the command an HR consultant runs
    assert main(["templates", "validate", str(path), "--lang", "da"]) == 1
    err = capsys.readouterr().err
    assert f"linje {line}" in err and words in err


def test_the_good_file_is_valid_and_the_cli_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "skole.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["templates", "validate", str(path), "--lang", "en"]) == 0
    assert "valid – 'skole', 1 themes, 2 questions" in capsys.readouterr().out


def test_templates_dir_setting_also_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "skole.yaml").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("MUSBOT_TEMPLATES_DIR", str(tmp_path))
    monkeypatch.setenv("MUSBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert main(["templates", "show", "skole"]) == 0
    assert "Hvordan trives du?" in capsys.readouterr().out
    assert main(["templates", "export", "skole"]) == 0
    assert capsys.readouterr().out == GOOD


async def test_leaders_own_templates_are_offered_to_them_only(store: SqlStore) -> None:
    library = TemplateLibrary()
    data = library.snapshot(name="kk-buf") | {"name": "lenes"}
    async with store.transaction() as tx:
        workspace = await tx.workspaces.get_or_create(platform="test", external_id="W")
        lene = await tx.people.upsert(workspace_id=workspace.id, user_id="UL", display_name="L")
        other = await tx.people.upsert(workspace_id=workspace.id, user_id="UX", display_name="X")
        await tx.templates.add(
            name="lenes",
            data=data,
            source_text=None,
            scope=Scope.OWN,
            status=Status.PENDING,
            owner_id=lene.id,
            at=datetime.now(UTC),
        )
        mine = await offered_templates(
            repo=tx.templates, library=library, person_id=lene.id, language="da"
        )
        theirs = await offered_templates(
            repo=tx.templates, library=library, person_id=other.id, language="da"
        )
    assert "lenes" in mine and "lenes" not in theirs
    settings = Settings(database_url="sqlite://")
    assert await templates_cli.approve(store=store, name="lenes", lang="en") == 0
    async with store.transaction() as tx:
        theirs = await offered_templates(
            repo=tx.templates, library=library, person_id=other.id, language="da"
        )
    assert "lenes" in theirs
    # saved from a round (no file): exported as canonical YAML that imports back the same
    text = await templates_cli.export_text(store=store, settings=settings, name="lenes")
    assert text is not None and parse_template(text=text, file="lenes.yaml").name == "lenes"


def test_the_commands_as_an_admin_types_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MUSBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    path = tmp_path / "skole.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["templates", "import", str(path)]) == 0
    assert "importeret 'skole' som version 1" in capsys.readouterr().out
    path.write_text(GOOD.replace("title: Skolen", "title: Skolen 2027"), encoding="utf-8")
    assert main(["templates", "import", str(path), "--lang", "en"]) == 0
    assert "imported 'skole' as version 2" in capsys.readouterr().out
    assert main(["templates", "list"]) == 0
    assert "skole      v2 [organisation, i brug]: Skolen 2027" in capsys.readouterr().out
    out = tmp_path / "ud.yaml"
    assert main(["templates", "export", "skole", "--out", str(out)]) == 0
    assert out.read_text("utf-8") == path.read_text("utf-8")
    assert main(["templates", "retire", "skole"]) == 0
    assert main(["templates", "list"]) == 0
    assert "v2 [organisation, trukket tilbage]" in capsys.readouterr().out
    assert main(["templates", "export", "ingen"]) == 1
    assert "ingen skabelon med navnet 'ingen'" in capsys.readouterr().err
    path.write_text("name: [", encoding="utf-8")
    assert main(["templates", "import", str(path)]) == 1
    assert "linje 1, kolonne 8: ugyldig YAML" in capsys.readouterr().err
    assert main(["templates", "schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Template"
