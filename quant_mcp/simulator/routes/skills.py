"""AISkills: reusable instructions for agents, written inline or imported from skills.sh / GitHub.

Imports and syncs fetch from services/skill_sources.py (deterministic, no network;
502 for a source that does not exist upstream). An imported skill keeps what the
source says (name, description, trigger, content, files) under the local
overrides: an update may change anything but `content`, `files` and `source`
(400: change them upstream and sync), and a sync re-fetches the source and keeps
the overrides. Inline skills have `source: {type: "inline"}` and cannot be synced (400).

A namespace groups skills into a collection: `import-collection` fills one from a
GitHub path (importing again updates the same skills), `collections/{ns}/sync`
re-fetches it (skills new upstream are created; local ones gone upstream are
reported in `removedFromSource`, not deleted), `DELETE collections/{ns}` deletes
every skill in it. A namespace with no skills is a 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request, found_or_404, not_found
from ..core.requests import WireModel, organisation_data, parse_body, parse_query, simulator_state
from ..core.routing import v3
from ..core.state import timestamp
from ..services.skill_sources import FetchedSkill, fetch_collection, fetch_skill
from ..services.wire import EchoedModel

# Every skill field in the order the API lists them, with the value of a field never set (name,
# content and trigger condition are always set: by the client inline, by the source when imported).
_TEMPLATE: dict[str, Any] = {
    "name": None,
    "description": "",
    "content": None,
    "triggerCondition": None,
    "tags": [],
    "requiredTools": [],
    "files": {},
    "disableModelInvocation": False,
    "allowedTools": [],
}
_SUMMARY_FIELDS = ("name", "description", "tags", "triggerCondition", "namespace")
_FROM_SOURCE = ("content", "files", "source")  # what an update may not change on an imported skill


class SkillFields(EchoedModel):
    """Every settable skill field, all optional, as an update sends them."""

    name: str | None = Field(None, min_length=1)
    description: str | None = None
    content: str | None = Field(None, min_length=1)
    trigger_condition: str | None = Field(None, min_length=1)
    tags: list[str] | None = None
    required_tools: list[str] | None = None
    namespace: str | None = Field(None, min_length=1)
    files: dict[str, Any] | None = None
    disable_model_invocation: bool | None = None
    allowed_tools: list[str] | None = None
    source: dict[str, Any] | None = None


class CreateSkill(SkillFields):
    name: str = Field(min_length=1)
    content: str = Field(min_length=1)
    trigger_condition: str = Field(min_length=1)
    installed_by: str | None = None


class SkillSource(EchoedModel):
    type: Literal["skills.sh", "github"]
    url: str | None = None
    repo: str | None = None
    path: str | None = None
    version: str | None = None


class ImportSkill(EchoedModel):
    source: SkillSource
    name: str | None = Field(None, min_length=1)
    description: str | None = None
    tags: list[str] | None = None
    trigger_condition: str | None = Field(None, min_length=1)
    required_tools: list[str] | None = None
    disable_model_invocation: bool | None = None
    allowed_tools: list[str] | None = None
    installed_by: str | None = None


class CollectionSource(EchoedModel):
    type: Literal["github"]
    repo: str
    path: str | None = None
    version: str | None = None


class ImportCollection(WireModel):
    namespace: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$")
    source: CollectionSource
    tags: list[str] = Field(default_factory=list)
    installed_by: str | None = None


class ListSkills(WireModel):
    tag: str | None = None
    namespace: str | None = None
    limit: int = Field(50, ge=1, le=100)


@dataclass
class Skill:
    id: str
    source: dict[str, Any]  # {"type": "inline"}, or where it was imported from
    fields: dict[str, Any]  # wire name -> value set here: an inline skill's definition, an imported skill's overrides
    installed_at: datetime
    updated_at: datetime
    fetched: FetchedSkill | None = None  # what the source said at the last import or sync

    def wire(self) -> dict[str, Any]:
        upstream = {}
        if self.fetched is not None:
            fetched = self.fetched
            upstream = {
                "name": fetched.name,
                "description": fetched.description,
                "triggerCondition": fetched.trigger_condition,
                "content": fetched.content,
                "files": fetched.files,
            }
        return {**_TEMPLATE, **upstream, **self.fields}

    def _envelope(self, fields: dict[str, Any]) -> dict[str, Any]:
        """`fields` between the id and the source and times, as both the summary and the detail have them."""
        return {
            "skillId": self.id,
            **fields,
            "source": self.source,
            "installedAt": timestamp(self.installed_at),
            "updatedAt": timestamp(self.updated_at),
        }

    def summary(self) -> dict[str, Any]:
        wire = self.wire()
        return self._envelope({name: wire[name] for name in _SUMMARY_FIELDS if name in wire})

    def detail(self) -> dict[str, Any]:
        return self._envelope(self.wire())


@dataclass
class SkillStore:
    """One organisation's skills, and the GitHub source of each imported collection."""

    skills: dict[str, Skill] = field(default_factory=dict)
    collection_sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def in_namespace(self, namespace: str) -> list[Skill]:
        found = [s for s in self.skills.values() if s.fields.get("namespace") == namespace]
        if not found and namespace not in self.collection_sources:
            raise not_found("Skill collection", namespace)
        return found


def _store(request: Request) -> SkillStore:
    return organisation_data(request).get(SkillStore)


def _skill(request: Request) -> Skill:
    skill_id = request.path_params["skillId"]
    return found_or_404(_store(request).skills.get(skill_id), "Skill", skill_id)


def _add(request: Request, source: dict[str, Any], fields: dict[str, Any], fetched: FetchedSkill | None = None) -> Skill:
    now = simulator_state(request).now()
    skill = Skill(str(uuid.uuid4()), source, fields, now, now, fetched)
    _store(request).skills[skill.id] = skill
    return skill


async def create_skill(request: Request) -> Response:
    body = await parse_body(request, CreateSkill)
    if body.source is not None:
        raise bad_request("source", "is set by an import; create an imported skill with POST skills/import")
    skill = _add(request, {"type": "inline"}, body.to_wire(exclude_none=True))
    return JSONResponse({"success": True, "skill": skill.detail(), "message": f"Skill '{body.name}' created"}, status_code=201)


async def import_skill(request: Request) -> Response:
    body = await parse_body(request, ImportSkill)
    source = body.source.to_wire(exclude_none=True)
    fetched = fetch_skill(source)
    skill = _add(request, source, body.to_wire(exclude_none=True, exclude={"source"}), fetched)
    return JSONResponse({"skill": skill.detail(), "message": f"Skill '{skill.wire()['name']}' imported"}, status_code=201)


async def list_skills(request: Request) -> Response:
    query = parse_query(request, ListSkills)
    skills = [
        s.summary()
        for s in _store(request).skills.values()
        if (query.tag is None or query.tag in s.wire()["tags"])
        and (query.namespace is None or s.fields.get("namespace") == query.namespace)
    ][: query.limit]
    return JSONResponse({"skills": skills, "count": len(skills)})


async def get_skill(request: Request) -> Response:
    return JSONResponse({"skill": _skill(request).detail()})


async def update_skill(request: Request) -> Response:
    body = await parse_body(request, SkillFields)
    skill = _skill(request)
    changes = body.to_wire(exclude_unset=True)
    for name, value in changes.items():
        if name == "source" or (skill.fetched is not None and name in _FROM_SOURCE):
            raise bad_request(
                name, "comes from the skill's source: change it upstream and sync" if skill.fetched else "is set by an import"
            )
        if value is None and name != "namespace":
            raise bad_request(name, "cannot be null")
    skill.fields.update(changes)
    if skill.fields.get("namespace") is None:
        skill.fields.pop("namespace", None)
    skill.updated_at = simulator_state(request).now()
    return JSONResponse({"success": True, "skill": skill.detail(), "message": "Skill updated"})


async def delete_skill(request: Request) -> Response:
    skill = _skill(request)
    del _store(request).skills[skill.id]
    return JSONResponse({"success": True, "message": f"Skill '{skill.wire()['name']}' deleted"})


async def sync_skill(request: Request) -> Response:
    skill = _skill(request)
    if skill.fetched is None:
        raise bad_request("skillId", "an inline skill has no source to sync from")
    skill.fetched = fetch_skill(skill.source)
    skill.updated_at = simulator_state(request).now()
    return JSONResponse({"skill": skill.detail(), "message": f"Skill '{skill.wire()['name']}' synced from its source"})


def _fill_collection(request: Request, namespace: str, source: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Fetch `source` into `namespace`: update the skills already imported from it, create the others."""
    store, now = _store(request), simulator_state(request).now()
    existing = {s.fetched.name: s for s in store.skills.values() if s.fetched and s.source.get("collection") == namespace}
    fetched = fetch_collection(source)
    synced, created = [], []
    for upstream in fetched:
        skill = existing.get(upstream.name)
        if skill is None:
            member = {
                **source,
                "path": "/".join(p for p in (source.get("path", "").strip("/"), upstream.name) if p),
                "collection": namespace,
            }
            created.append(_add(request, member, {"namespace": namespace, **extra}, upstream))
        else:
            skill.fetched, skill.updated_at = upstream, now
            synced.append(skill)
    store.collection_sources[namespace] = source
    gone = sorted(name for name in existing if name not in {upstream.name for upstream in fetched})
    return {"namespace": namespace, "synced": synced, "created": created, "removedFromSource": gone}


async def import_collection(request: Request) -> Response:
    body = await parse_body(request, ImportCollection)
    extra = {"tags": body.tags, **({"installedBy": body.installed_by} if body.installed_by else {})}
    outcome = _fill_collection(request, body.namespace, body.source.to_wire(exclude_none=True), extra)
    skills = [s.detail() for s in outcome["synced"] + outcome["created"]]
    return JSONResponse(
        {"namespace": body.namespace, "imported": len(skills), "failed": 0, "skills": skills, "errors": []}, status_code=201
    )


async def list_collections(request: Request) -> Response:
    namespaces: dict[str, list[str]] = {}
    for skill in _store(request).skills.values():
        if "namespace" in skill.fields:
            namespaces.setdefault(skill.fields["namespace"], []).append(skill.wire()["name"])
    return JSONResponse(
        {"collections": [{"namespace": ns, "count": len(names), "skills": names} for ns, names in namespaces.items()]}
    )


async def delete_collection(request: Request) -> Response:
    namespace = request.path_params["namespace"]
    store = _store(request)
    doomed = store.in_namespace(namespace)
    for skill in doomed:
        del store.skills[skill.id]
    store.collection_sources.pop(namespace, None)
    return JSONResponse({"success": True, "message": f"Collection '{namespace}' deleted ({len(doomed)} skill(s))"})


async def sync_collection(request: Request) -> Response:
    namespace = request.path_params["namespace"]
    store = _store(request)
    store.in_namespace(namespace)
    if namespace not in store.collection_sources:
        raise bad_request("namespace", f"'{namespace}' holds no skills imported from GitHub, so there is nothing to sync")
    outcome = _fill_collection(request, namespace, store.collection_sources[namespace], {})
    return JSONResponse(
        {
            "namespace": namespace,
            "synced": len(outcome["synced"]),
            "created": len(outcome["created"]),
            "failed": 0,
            "removedFromSource": outcome["removedFromSource"],
            "skills": [s.detail() for s in outcome["synced"] + outcome["created"]],
        }
    )


ROUTES = [
    *v3("GET", "/skills", list_skills, "listSkills"),
    *v3("POST", "/skills", create_skill, "createSkill"),
    *v3("GET", "/skills/collections", list_collections, "listSkillCollections"),
    *v3("DELETE", "/skills/collections/{namespace}", delete_collection, "deleteSkillCollection"),
    *v3("POST", "/skills/collections/{namespace}/sync", sync_collection, "syncSkillCollection"),
    *v3("POST", "/skills/import", import_skill, "importSkill"),
    *v3("POST", "/skills/import-collection", import_collection, "importSkillCollection"),
    *v3("GET", "/skills/{skillId}", get_skill, "getSkill"),
    *v3("PUT", "/skills/{skillId}", update_skill, "updateSkill"),
    *v3("DELETE", "/skills/{skillId}", delete_skill, "deleteSkill"),
    *v3("POST", "/skills/{skillId}/sync", sync_skill, "syncSkill"),
]
