"""Skills: packaged instructions (with optional files) that agents load when a trigger condition fits.

A skill is written inline or imported from skills.sh or GitHub; imported skills can be
re-synced from their source, and local edits to them are kept as overrides. Skills imported
together from one GitHub path share a *namespace* (a skill collection).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from quant_mcp.catalog.base import (
    QUERY,
    V3,
    ApiResult,
    Confirmation,
    NoArguments,
    Operation,
    PathId,
    Route,
    Text,
    ToolArguments,
    Toolset,
    WireModel,
)

SkillId = PathId
Namespace = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$"),
    Field(description="Lowercase letters, digits, dashes."),
]


class ListSkillsArguments(ToolArguments):
    tag: Annotated[str | None, QUERY] = None
    namespace: Annotated[str | None, QUERY] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100)] = None


class SkillOptions(ToolArguments):
    """Fields every way of making a skill accepts."""

    tags: list[str] | None = None
    required_tools: list[str] | None = None
    disable_model_invocation: bool | None = Field(None, description="true: loaded only when named.")
    allowed_tools: list[str] | None = None


class CreateSkillArguments(SkillOptions):
    name: Text
    content: Text = Field(description="The skill's instructions (Markdown).")
    trigger_condition: Text = Field(description="When an agent should load it, in plain words.")
    description: str | None = None
    namespace: str | None = None
    files: dict[str, Any] | None = Field(None, description="path -> content")
    installed_by: str | None = None


class SkillSource(WireModel):
    type: Literal["skills.sh", "github"]
    url: str | None = None
    repo: str | None = None
    path: str | None = None
    version: str | None = None


class ImportSkillArguments(SkillOptions):
    source: SkillSource = Field(description="Where to import from: a skills.sh or GitHub `url`, or a GitHub `repo` and `path`.")
    name: str | None = None
    description: str | None = None
    trigger_condition: str | None = None
    installed_by: str | None = None


class GithubSource(WireModel):
    type: Literal["github"] = "github"
    repo: Text
    path: str | None = None
    version: str | None = None


class ImportCollectionArguments(ToolArguments):
    namespace: Namespace
    source: GithubSource
    tags: list[str] | None = None
    installed_by: str | None = None


class SkillArguments(ToolArguments):
    skill_id: SkillId


class UpdateSkillArguments(SkillOptions):
    skill_id: SkillId
    name: str | None = None
    description: str | None = None
    content: str | None = None
    trigger_condition: str | None = None
    source: dict[str, Any] | None = None
    files: dict[str, Any] | None = Field(None, description="path -> content")
    namespace: str | None = None


class CollectionArguments(ToolArguments):
    namespace: PathId


class Skill(ApiResult):
    skill_id: str | None = None
    name: str | None = None
    description: str | None = None
    content: str | None = None
    trigger_condition: str | None = None
    tags: list[str] | None = None
    source: dict[str, Any] | None = None
    required_tools: list[str] | None = None
    files: dict[str, Any] | None = None
    namespace: str | None = None
    disable_model_invocation: bool | None = None
    allowed_tools: list[str] | None = None
    installed_at: str | None = None
    updated_at: str | None = None


class SkillList(ApiResult):
    skills: list[Skill]
    count: int | None = None


class SkillDetails(ApiResult):
    skill: Skill


class SkillSaved(ApiResult):
    success: bool | None = None
    skill: Skill | None = None
    message: str | None = None


class SkillCollection(ApiResult):
    namespace: str | None = None
    count: int | None = None
    skills: list[str] | None = None


class SkillCollectionList(ApiResult):
    collections: list[SkillCollection]


class CollectionImported(ApiResult):
    namespace: str | None = None
    imported: int | None = None
    failed: int | None = None
    skills: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = None


class CollectionSynced(ApiResult):
    namespace: str | None = None
    synced: int | None = None
    created: int | None = None
    failed: int | None = None
    removed_from_source: list[str] | None = None
    skills: list[dict[str, Any]] | None = None


OPERATIONS = [
    Operation(
        name="list_skills",
        toolset=Toolset.SKILLS,
        title="List skills",
        description=("The organisation's skills (instructions agents can load), by tag or namespace."),
        route=Route("GET", V3 + "/skills"),
        arguments=ListSkillsArguments,
        result=SkillList,
        read_only=True,
        idempotent=True,
        operation_ids=("listSkills",),
        summary=lambda r: f"{len(r['skills'])} skill(s)",
    ),
    Operation(
        name="create_skill",
        toolset=Toolset.SKILLS,
        title="Create skill",
        description=(
            "Write a skill: Markdown instructions and when an agent should load them. Give its id to agents' `assignedSkills`."
        ),
        route=Route("POST", V3 + "/skills"),
        arguments=CreateSkillArguments,
        result=SkillSaved,
        operation_ids=("createSkill",),
        summary=lambda r: f"Created skill {(r.get('skill') or {}).get('skillId')}",
    ),
    Operation(
        name="list_skill_collections",
        toolset=Toolset.SKILLS,
        title="List skill collections",
        description="Skill namespaces (skills imported together) and their skills.",
        route=Route("GET", V3 + "/skills/collections"),
        arguments=NoArguments,
        result=SkillCollectionList,
        read_only=True,
        idempotent=True,
        operation_ids=("listSkillCollections",),
        summary=lambda r: f"{len(r['collections'])} skill collection(s)",
    ),
    Operation(
        name="delete_skill_collection",
        toolset=Toolset.SKILLS,
        title="Delete skill collection",
        description="Delete every skill in a namespace, permanently.",
        route=Route("DELETE", V3 + "/skills/collections/{namespace}"),
        arguments=CollectionArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteSkillCollection",),
        summary=lambda r: r.get("message") or "Skill collection deleted",
    ),
    Operation(
        name="sync_skill_collection",
        toolset=Toolset.SKILLS,
        title="Sync skill collection",
        description=("Re-import a namespace's skills from their GitHub folder."),
        route=Route("POST", V3 + "/skills/collections/{namespace}/sync"),
        arguments=CollectionArguments,
        result=CollectionSynced,
        operation_ids=("syncSkillCollection",),
        summary=lambda r: f"Synced {r.get('synced')}, created {r.get('created')}, failed {r.get('failed')}",
    ),
    Operation(
        name="import_skill",
        toolset=Toolset.SKILLS,
        title="Import skill",
        description=("Import one skill from skills.sh or GitHub."),
        route=Route("POST", V3 + "/skills/import"),
        arguments=ImportSkillArguments,
        result=SkillSaved,
        operation_ids=("importSkill",),
        summary=lambda r: f"Imported skill {(r.get('skill') or {}).get('skillId')}",
    ),
    Operation(
        name="import_skill_collection",
        toolset=Toolset.SKILLS,
        title="Import skill collection",
        description=("Import every skill under a GitHub folder into a new namespace."),
        route=Route("POST", V3 + "/skills/import-collection"),
        arguments=ImportCollectionArguments,
        result=CollectionImported,
        operation_ids=("importSkillCollection",),
        summary=lambda r: f"Imported {r.get('imported')} skill(s) into {r.get('namespace')}, {r.get('failed') or 0} failed",
    ),
    Operation(
        name="get_skill",
        toolset=Toolset.SKILLS,
        title="Get skill",
        description="One skill in full.",
        route=Route("GET", V3 + "/skills/{skillId}"),
        arguments=SkillArguments,
        result=SkillDetails,
        read_only=True,
        idempotent=True,
        operation_ids=("getSkill",),
        summary=lambda r: f"Skill {r['skill'].get('name')}",
    ),
    Operation(
        name="update_skill",
        toolset=Toolset.SKILLS,
        title="Update skill",
        description=("Change a skill (only the fields given; kept as overrides on an imported one)."),
        route=Route("PUT", V3 + "/skills/{skillId}"),
        arguments=UpdateSkillArguments,
        result=SkillSaved,
        idempotent=True,
        operation_ids=("updateSkill",),
        summary=lambda r: r.get("message") or "Skill updated",
    ),
    Operation(
        name="delete_skill",
        toolset=Toolset.SKILLS,
        title="Delete skill",
        description="Delete a skill, permanently.",
        route=Route("DELETE", V3 + "/skills/{skillId}"),
        arguments=SkillArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteSkill",),
        summary=lambda r: r.get("message") or "Skill deleted",
    ),
    Operation(
        name="sync_skill",
        toolset=Toolset.SKILLS,
        title="Sync skill",
        description="Re-fetch an imported skill from its source.",
        route=Route("POST", V3 + "/skills/{skillId}/sync"),
        arguments=SkillArguments,
        result=SkillSaved,
        operation_ids=("syncSkill",),
        summary=lambda r: r.get("message") or "Skill synced",
    ),
]
