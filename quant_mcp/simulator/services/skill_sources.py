"""Where imported skills come from: skills.sh and GitHub, simulated without any network.

`fetch_skill` and `fetch_collection` answer what the real server would download,
as a pure function of the source: a skill's name comes from the last segment of
its URL or path (or the repo's name), its SKILL.md from name, source and version,
and a GitHub path holds two or three skills picked from `COLLECTION_SKILLS`. A
source whose repo, path or URL mentions `missing` stands for one that does not
exist upstream: fetching it is a 502, like a failed upstream fetch.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ..core.errors import ApiError, bad_request

COLLECTION_SKILLS = (
    "brainstorming",
    "code-review",
    "systematic-debugging",
    "test-driven-development",
    "writing-plans",
    "refactoring",
    "release-notes",
    "incident-review",
)
_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")


@dataclass(frozen=True)
class FetchedSkill:
    name: str
    description: str
    trigger_condition: str
    content: str
    files: dict[str, str]


def _digest(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest(), 16)


def _where(source: dict[str, Any]) -> str:
    """A readable location of the source, after checking it has what its type needs (400 otherwise)."""
    if source.get("type") == "skills.sh":
        url = source.get("url")
        if not isinstance(url, str) or not url.strip("/"):
            raise bad_request("source.url", "is required for a skills.sh source")
        location = url.rstrip("/")
    else:
        repo = source.get("repo")
        if not isinstance(repo, str) or not _REPO.match(repo):
            raise bad_request("source.repo", "is required for a GitHub source, as owner/name")
        location = "/".join(part for part in (f"github.com/{repo}", str(source.get("path") or "").strip("/")) if part)
    if "missing" in location:
        raise ApiError(502, f"Could not fetch {location}: the upstream answered 404 Not Found")
    return location


def _skill(name: str, location: str, version: str) -> FetchedSkill:
    title = name.replace("-", " ").replace("_", " ").capitalize()
    description = f"{title}, as published at {location}"
    trigger = f"Use when the task calls for {title.lower()}"
    front_matter = f"---\nname: {name}\ndescription: {description}\n---\n"
    content = f"{front_matter}# {title}\n\n{trigger}. (Simulated SKILL.md from {location}@{version}.)\n"
    return FetchedSkill(name, description, trigger, content, {"SKILL.md": content})


def fetch_skill(source: dict[str, Any]) -> FetchedSkill:
    """The one skill at `source` (`type` skills.sh with `url`, or github with `repo` and optional `path`)."""
    location = _where(source)
    return _skill(location.rsplit("/", 1)[-1], location, str(source.get("version") or "main"))


def fetch_collection(source: dict[str, Any]) -> list[FetchedSkill]:
    """Every skill under a GitHub `repo` + `path` (two or three, the same ones each time)."""
    location = _where({**source, "type": "github"})
    version = str(source.get("version") or "main")
    start = _digest(location) % len(COLLECTION_SKILLS)
    names = [COLLECTION_SKILLS[(start + step) % len(COLLECTION_SKILLS)] for step in range(2 + _digest(location, "count") % 2)]
    return [_skill(name, f"{location}/{name}", version) for name in names]
