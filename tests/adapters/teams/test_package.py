"""The Teams app package: manifest template filled and checked, icons reproducible."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from adapters.teams.icons import color_icon, outline_icon, png_size
from adapters.teams.package import DEFAULT_TEMPLATE_DIR, ManifestError, build_package

APP_ID = "0d5e1a9c-1f9e-4a4b-9a51-6c1f7c3e2b10"


def test_package_holds_a_filled_manifest_and_both_icons(tmp_path: Path) -> None:
    path = build_package(app_id=APP_ID, out=tmp_path, version="1.2.3")
    assert path == tmp_path / "musbot-teams.zip"
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [
            "color.png",
            "en-us.json",
            "manifest.json",
            "outline.png",
        ]
        manifest = json.loads(archive.read("manifest.json"))
        english = json.loads(archive.read("en-us.json"))
        assert png_size(archive.read("color.png")) == (192, 192)
        assert png_size(archive.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["version"] == "1.2.3"
    assert "{{" not in json.dumps(manifest)
    titles = [c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]]
    from conversations.commands import COMMANDS

    assert titles == [f"mus {c.da}" for c in COMMANDS if c.teams_menu]  # the one command list
    # Danish is the default language, English the translation Teams shows English users.
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "da-dk",
        "additionalLanguages": [{"languageTag": "en-us", "file": "en-us.json"}],
    }
    assert english["name.short"] == "MUS-bot"
    assert english["bots[0].commandLists[0].commands[1].title"] == "mus prep"
    # Every command the manifest lists has its English title and description.
    for i, commands in enumerate(manifest["bots"][0]["commandLists"]):
        for j in range(len(commands["commands"])):
            prefix = f"bots[0].commandLists[{i}].commands[{j}]"
            assert english[f"{prefix}.title"] and english[f"{prefix}.description"]


def test_privacy_and_terms_urls_are_the_installer_s(tmp_path: Path) -> None:
    path = build_package(
        app_id=APP_ID,
        out=tmp_path,
        privacy_url="https://kommune.example/mus/privatliv",
        terms_url="https://kommune.example/mus/vilkaar",
    )
    with zipfile.ZipFile(path) as archive:
        developer = json.loads(archive.read("manifest.json"))["developer"]
    assert developer["privacyUrl"] == "https://kommune.example/mus/privatliv"
    assert developer["termsOfUseUrl"] == "https://kommune.example/mus/vilkaar"
    with pytest.raises(ManifestError, match="privacyUrl"):
        build_package(app_id=APP_ID, out=tmp_path, privacy_url="http://insecure.example/")


def test_a_missing_translation_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "template"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, template)
    (template / "en-us.json").unlink()
    with pytest.raises(ManifestError, match=r"en-us\.json"):
        build_package(app_id=APP_ID, out=tmp_path, template_dir=template)


def test_same_inputs_give_the_same_zip(tmp_path: Path) -> None:
    one = build_package(app_id=APP_ID, out=tmp_path / "a.zip").read_bytes()
    two = build_package(app_id=APP_ID, out=tmp_path / "b.zip").read_bytes()
    assert one == two


def test_app_id_must_be_a_guid(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as raised:
        build_package(app_id="my-bot", out=tmp_path)
    assert any("GUID" in p for p in raised.value.problems)
    assert not (tmp_path / "musbot-teams.zip").exists()


def test_broken_template_is_refused_with_every_problem(tmp_path: Path) -> None:
    template = tmp_path / "template"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, template)
    manifest = json.loads((template / "manifest.json").read_text(encoding="utf-8"))
    manifest["name"]["short"] = "x" * 31
    manifest["accentColor"] = "blue"
    del manifest["description"]
    (template / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (template / "outline.png").write_bytes(color_icon(size=64))
    with pytest.raises(ManifestError) as raised:
        build_package(app_id=APP_ID, out=tmp_path, template_dir=template, website_url="http://x")
    text = "\n".join(raised.value.problems)
    for expected in ("name.short", "accentColor", "'description'", "icons.outline", "https"):
        assert expected in text


def test_committed_icons_are_the_generated_ones() -> None:
    assert (DEFAULT_TEMPLATE_DIR / "outline.png").read_bytes() == outline_icon()
    assert (DEFAULT_TEMPLATE_DIR / "color.png").read_bytes() == color_icon()


def test_musbot_manifest_teams_takes_the_privacy_and_terms_urls(tmp_path: Path) -> None:
    from bot.cli import main

    argv = ["manifest", "teams", "--app-id", APP_ID, "--out", str(tmp_path)]
    urls = ["--privacy-url", "https://k.example/privat", "--terms-url", "https://k.example/vilkaar"]
    assert main([*argv, *urls]) == 0
    with zipfile.ZipFile(tmp_path / "musbot-teams.zip") as archive:
        developer = json.loads(archive.read("manifest.json"))["developer"]
    assert developer["privacyUrl"] == "https://k.example/privat"
    assert developer["termsOfUseUrl"] == "https://k.example/vilkaar"
    assert main([*argv, "--privacy-url", "http://k.example/privat"]) == 1
