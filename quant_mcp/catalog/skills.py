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

SkillId = Annotated[PathId, Field(description="Skill id, from list_skills or create_skill.")]
Namespace = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$"),
    Field(description="Skill collection namespace: lowercase letters, digits and dashes, 2-64 characters."),
]


class ListSkillsArguments(ToolArguments):
    tag: Annotated[str | None, QUERY, Field(description="Only skills with this tag.")] = None
    namespace: Annotated[str | None, QUERY, Field(description="Only skills in this collection namespace.")] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Page size, 1-100 (default 50).")] = None


class SkillOptions(ToolArguments):
    """Fields every way of making a skill accepts."""

    tags: list[str] | None = Field(None, description="Labels for finding the skill.")
    required_tools: list[str] | None = Field(None, description="Tools the skill needs the agent to have.")
    disable_model_invocation: bool | None = Field(
        None, description="true: only loaded when asked for by name, never chosen by the model."
    )
    allowed_tools: list[str] | None = Field(None, description="Tools the skill may use while active.")


class CreateSkillArguments(SkillOptions):
    name: Text = Field(description="Skill name.")
    content: Text = Field(description="The skill's instructions (Markdown).")
    trigger_condition: Text = Field(description="When an agent should load it, in plain words.")
    description: str | None = Field(None, description="What the skill does.")
    namespace: str | None = Field(None, description="Collection namespace to put it in.")
    files: dict[str, Any] | None = Field(None, description="Supporting files: path -> content.")
    installed_by: str | None = Field(None, description="Who added it (free text).")


class SkillSource(WireModel):
    type: Literal["skills.sh", "github"] = Field(description="Where the skill lives.")
    url: str | None = Field(None, description="skills.sh or GitHub URL of the skill.")
    repo: str | None = Field(None, description="GitHub 'owner/repo'.")
    path: str | None = Field(None, description="Path of the skill in the repository.")
    version: str | None = Field(None, description="Git ref or version to pin.")


class ImportSkillArguments(SkillOptions):
    source: SkillSource = Field(description="Where to import from: a skills.sh or GitHub `url`, or a GitHub `repo` and `path`.")
    name: str | None = Field(None, description="Override the skill's name.")
    description: str | None = Field(None, description="Override its description.")
    trigger_condition: str | None = Field(None, description="Override when it triggers.")
    installed_by: str | None = Field(None, description="Who added it (free text).")


class GithubSource(WireModel):
    type: Literal["github"] = "github"
    repo: Text = Field(description="GitHub 'owner/repo'.")
    path: str | None = Field(None, description="Folder holding the skills (default the repository root).")
    version: str | None = Field(None, description="Git ref to pin.")


class ImportCollectionArguments(ToolArguments):
    namespace: Namespace
    source: GithubSource = Field(description="The GitHub folder whose skills to import.")
    tags: list[str] | None = Field(None, description="Tags to give every imported skill.")
    installed_by: str | None = Field(None, description="Who added them (free text).")


class SkillArguments(ToolArguments):
    skill_id: SkillId


class UpdateSkillArguments(SkillOptions):
    skill_id: SkillId
    name: str | None = None
    description: str | None = None
    content: str | None = Field(None, description="New instructions.")
    trigger_condition: str | None = None
    source: dict[str, Any] | None = Field(None, description="New source reference (imported skills).")
    files: dict[str, Any] | None = Field(None, description="Supporting files: path -> content.")
    namespace: str | None = None


class CollectionArguments(ToolArguments):
    namespace: Annotated[PathId, Field(description="Skill collection namespace, from list_skill_collections.")]


class Skill(ApiResult):
    skill_id: str | None = None
    name: str | None = None
    description: str | None = None
    content: str | None = None
    trigger_condition: str | None = None
    tags: list[str] | None = None
    source: dict[str, Any] | None = Field(None, description="Where an imported skill came from.")
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
    skills: list[str] | None = Field(None, description="Skill ids in the namespace.")


class SkillCollectionList(ApiResult):
    collections: list[SkillCollection]


class CollectionImported(ApiResult):
    namespace: str | None = None
    imported: int | None = None
    failed: int | None = None
    skills: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = Field(None, description="Skills that could not be imported, and why.")


class CollectionSynced(ApiResult):
    namespace: str | None = None
    synced: int | None = None
    created: int | None = None
    failed: int | None = None
    removed_from_source: list[str] | None = Field(None, description="Skills no longer in the source folder.")
    skills: list[dict[str, Any]] | None = None


OPERATIONS = [
    Operation(
        name="list_skills",
        toolset=Toolset.SKILLS,
        title="List skills",
        description=(
            "List the organisation's skills (id, name, description, tags, trigger condition, source, "
            "namespace), optionally by `tag` or `namespace`; `limit` 1-100 (default 50)."
        ),
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
            "Write a skill inline: its `name`, `content` (the instructions, Markdown) and `triggerCondition` "
            "(when an agent should load it) are required; optionally tags, tools it needs, supporting files "
            "and a namespace. Returns the new skill with its `skillId`; give that to agents' `assignedSkills`."
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
        description="List skill namespaces (skills imported together) with how many skills each holds and their ids.",
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
        description=(
            "Re-import every skill of a namespace from its GitHub folder: updates changed skills, adds new "
            "ones and reports skills no longer in the source. Returns the counts."
        ),
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
        description=(
            "Import one skill from skills.sh or GitHub: `source.type` plus a `url`, or a GitHub `repo` and "
            "`path` (optionally a `version`). Name, description and trigger can be overridden. Returns the "
            "imported skill; sync_skill refreshes it later."
        ),
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
        description=(
            "Import every skill under a GitHub folder (`source.repo`, `source.path`) into a new `namespace`. "
            "Returns how many were imported and which failed, with reasons."
        ),
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
        description="Get one skill in full: its instructions, trigger condition, tools, files and source.",
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
        description=(
            "Change a skill: only the fields you pass change. On an imported skill the changes are kept as "
            "local overrides on top of its source."
        ),
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
        description="Delete a skill, permanently; agents that were assigned it lose it.",
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
        description="Re-fetch an imported skill from its source (skills.sh or GitHub). Returns the refreshed skill.",
        route=Route("POST", V3 + "/skills/{skillId}/sync"),
        arguments=SkillArguments,
        result=SkillSaved,
        operation_ids=("syncSkill",),
        summary=lambda r: r.get("message") or "Skill synced",
    ),
]
