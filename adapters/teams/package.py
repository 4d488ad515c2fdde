"""Build the installable Teams app package: manifest.json, the two icons and the English
localization file (Danish is the manifest's own language), zipped.

`musbot manifest teams --app-id ID` calls `build_package`. The manifest is a template in
`manifest/teams/` whose ``{{PLACEHOLDERS}}`` are filled here; the result is checked against the
fields Teams requires before anything is written, so a broken package fails here and not in
the Teams admin centre.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from adapters.teams.icons import png_size

DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "manifest" / "teams"
DEFAULT_WEBSITE = "https://github.com/musbot/musbot"
PACKAGE_NAME = "musbot-teams.zip"
ICON_SIZES = {"color": (192, 192), "outline": (32, 32)}
BOT_SCOPES = {"personal", "team", "groupChat"}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_PLACEHOLDER = re.compile(r"\{\{[A-Z_]+\}\}")
# A fixed timestamp: the same inputs give the same zip, byte for byte.
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


class ManifestError(ValueError):
    """The package would be rejected by Teams; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid Teams app package:\n- " + "\n- ".join(problems))
        self.problems = problems


def build_package(
    *,
    app_id: str,
    out: Path,
    version: str = "1.0.0",
    developer_name: str = "MUS-bot",
    website_url: str = DEFAULT_WEBSITE,
    privacy_url: str | None = None,
    terms_url: str | None = None,
    template_dir: Path = DEFAULT_TEMPLATE_DIR,
) -> Path:
    """Write the app package (a directory `out` gets `musbot-teams.zip`); returns its path.

    `app_id` is the Azure Bot's Microsoft App ID; it is also used as the Teams app id, which
    keeps one id to manage per installation.
    """
    values = {
        "APP_ID": app_id,
        "VERSION": version,
        "DEVELOPER_NAME": developer_name,
        "WEBSITE_URL": website_url,
        "PRIVACY_URL": privacy_url or website_url,
        "TERMS_URL": terms_url or website_url,
    }
    text = (template_dir / "manifest.json").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", json.dumps(value)[1:-1])
    manifest = json.loads(text)
    icons: dict[str, bytes] = {}
    for name in ICON_SIZES:
        path = template_dir / str((manifest.get("icons") or {}).get(name, ""))
        if path.is_file():
            icons[name] = path.read_bytes()
    problems = validate_manifest(manifest=manifest, icons=icons, app_id=app_id)
    translations, translation_problems = _translations(manifest=manifest, template_dir=template_dir)
    problems += translation_problems
    if _PLACEHOLDER.search(text):
        problems.append(f"unfilled placeholders: {sorted(set(_PLACEHOLDER.findall(text)))}")
    if problems:
        raise ManifestError(problems)

    target = out / PACKAGE_NAME if out.is_dir() else out
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())]
        entries += [(manifest["icons"][name], data) for name, data in sorted(icons.items())]
        entries += sorted(translations.items())
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return target


def _translations(
    *, manifest: dict[str, Any], template_dir: Path
) -> tuple[dict[str, bytes], list[str]]:
    """The localization files `localizationInfo` names, and what is wrong with them."""
    info = manifest.get("localizationInfo") or {}
    problems: list[str] = []
    found: dict[str, bytes] = {}
    if not info.get("defaultLanguageTag"):
        problems.append("localizationInfo.defaultLanguageTag is required")
    for language in info.get("additionalLanguages") or []:
        name = str(language.get("file", ""))
        path = template_dir / name
        if not name or not path.is_file():
            problems.append(f"localization file {name!r} is missing from the template")
            continue
        data = path.read_bytes()
        try:
            strings = json.loads(data)
        except ValueError:
            problems.append(f"localization file {name!r} is not JSON")
            continue
        for key in ("name.short", "description.short", "description.full"):
            if not strings.get(key):
                problems.append(f"localization file {name!r} lacks {key!r}")
        if len(str(strings.get("name.short", ""))) > 30:
            problems.append(f"{name}: name.short must be at most 30 characters")
        found[name] = data
    return found, problems


def validate_manifest(
    *, manifest: dict[str, Any], icons: dict[str, bytes], app_id: str | None = None
) -> list[str]:
    """The problems Teams would reject the package for (empty when it is fine)."""
    problems: list[str] = []

    def need(condition: bool, problem: str) -> None:
        if not condition:
            problems.append(problem)

    for field in (
        "$schema",
        "manifestVersion",
        "version",
        "id",
        "developer",
        "name",
        "description",
        "icons",
        "accentColor",
    ):
        need(field in manifest, f"missing required field {field!r}")
    need(bool(_SEMVER.match(str(manifest.get("version", "")))), "version must be MAJOR.MINOR.PATCH")
    need(bool(_GUID.match(str(manifest.get("id", "")))), "id must be a GUID (the Microsoft App ID)")
    developer = manifest.get("developer") or {}
    need(bool(developer.get("name")), "developer.name is required")
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        need(str(developer.get(key, "")).startswith("https://"), f"developer.{key} must be https")
    name = manifest.get("name") or {}
    need(0 < len(str(name.get("short", ""))) <= 30, "name.short must be 1-30 characters")
    need(len(str(name.get("full", ""))) <= 100, "name.full must be at most 100 characters")
    description = manifest.get("description") or {}
    need(
        0 < len(str(description.get("short", ""))) <= 80,
        "description.short must be 1-80 characters",
    )
    need(
        0 < len(str(description.get("full", ""))) <= 4000,
        "description.full must be 1-4000 characters",
    )
    need(bool(_COLOR.match(str(manifest.get("accentColor", "")))), "accentColor must be #RRGGBB")
    for icon, size in ICON_SIZES.items():
        data = icons.get(icon)
        if data is None:
            problems.append(f"icons.{icon} is missing from the package")
        elif png_size(data) != size:
            problems.append(f"icons.{icon} must be a {size[0]}x{size[1]} PNG, got {png_size(data)}")
    bots = manifest.get("bots") or []
    need(len(bots) == 1, "exactly one bot is expected")
    for bot in bots:
        need(bot.get("botId") == (app_id or manifest.get("id")), "bots[0].botId must be the app id")
        scopes = set(bot.get("scopes") or [])
        need(
            bool(scopes) and scopes <= BOT_SCOPES, f"bot scopes must be within {sorted(BOT_SCOPES)}"
        )
        for commands in bot.get("commandLists") or []:
            listed = commands.get("commands") or []
            need(0 < len(listed) <= 10, "a command list holds 1-10 commands")
            for command in listed:
                title = str(command.get("title", ""))
                need(0 < len(title) <= 32, f"command title {title!r} must be 1-32 characters")
                need(
                    0 < len(str(command.get("description", ""))) <= 128,
                    f"command {title!r} needs a description of at most 128 characters",
                )
    if app_id is not None:
        need(
            bool(_GUID.match(app_id)),
            f"app id {app_id!r} is not a GUID (Azure Bot > Configuration)",
        )
    return problems
