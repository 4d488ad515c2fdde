"""Write constraints.txt: the installed versions of musbot[test]'s whole dependency tree.

    python .ci/freeze.py > constraints.txt

Run it in an environment where `pip install -e '.[test]'` just succeeded (after changing a
dependency in pyproject.toml); CI and the README install with `-c constraints.txt`.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def closure(root: str, extras: set[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, set[str]]] = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = _name(dist.metadata["Name"])
        if (key, frozenset(wanted)) in done:
            continue
        done.add((key, frozenset(wanted)))
        seen[key] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            envs = [{**default_environment(), "extra": e} for e in (wanted or {""})]
            if req.marker and not any(req.marker.evaluate(env) for env in envs):
                continue
            todo.append((req.name, set(req.extras)))
    return seen


def root_requirements() -> list[str]:
    """musbot[test]'s own requirements, read from pyproject.toml (not an installed copy)."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads(
        (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def main() -> None:
    pins: dict[str, str] = {}
    for line in root_requirements():
        req = Requirement(line)
        pins.update(closure(req.name, set(req.extras)))
    print("# pip install -e '.[test]' -c constraints.txt   (regenerate: python .ci/freeze.py)")
    for name in sorted(pins):
        print(f"{name}=={pins[name]}")


if __name__ == "__main__":
    sys.exit(main())
