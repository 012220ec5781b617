"""Every link in the documentation, and every "see the README's ..." in the files a
reader opens, leads somewhere that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "bench" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
# Files whose comments send the reader to a README section by its title.
POINTING = [ROOT / name for name in ("Dockerfile", "docker-compose.yml", ".env.example", ".ci/run")]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.MULTILINE)
SECTION = re.compile(r"README(?:'s)? \"([^\"]+)\"")


def _without_code(text: str) -> str:
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def headings(document: Path) -> list[str]:
    return HEADING.findall(_without_code(document.read_text()))


def anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_resolves(document: Path) -> None:
    broken = []
    for target in LINK.findall(_without_code(document.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:: outside the repository
        path, _, fragment = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        missing = not linked.exists()
        if missing or (fragment and fragment not in {anchor(h) for h in headings(linked)}):
            broken.append(target)
    assert broken == []


def test_every_readme_section_named_elsewhere_exists() -> None:
    titles = {heading.lower() for heading in headings(ROOT / "README.md")}
    named = [(path.name, title) for path in POINTING for title in SECTION.findall(path.read_text())]
    assert named, "the pattern finds the references it checks"
    assert [(name, title) for name, title in named if title.lower() not in titles] == []
