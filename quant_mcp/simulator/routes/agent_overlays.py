"""AIAgents overlays: an organisation's adjustments to a global (Quant-provided) agent.

Global agents are addressed by slug; the simulator provides `GLOBAL_AGENTS`. An
overlay is replaced whole by PUT; sending the `version` of a previous read makes
the write compare-and-swap (409 when the overlay changed meanwhile; no overlay is
version 0). Every write increments the version. Organisation agents (UUIDs) have
no overlays: GET shows `overlay: null`, PUT is a 400 (update the agent itself),
DELETE a 404. Any other id is a 404.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import ApiError, bad_request
from ..core.requests import organisation_data, parse_body
from ..core.routing import v3
from ..services.models import require_model
from ..services.wire import EchoedModel
from .agents import GuardrailPreset, requested_agent

GLOBAL_AGENTS: dict[str, dict[str, Any]] = {
    "code-reviewer": {
        "name": "Code Reviewer",
        "modelId": "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "allowedTools": ["search_web"],
        "assignedSkillIds": ["code-review"],
    },
    "research-assistant": {
        "name": "Research Assistant",
        "modelId": "amazon.nova-pro-v1:0",
        "allowedTools": ["search_web", "calculate"],
        "assignedSkillIds": [],
    },
    "content-writer": {
        "name": "Content Writer",
        "modelId": "amazon.nova-lite-v1:0",
        "allowedTools": ["generate_image"],
        "assignedSkillIds": ["brand-voice"],
    },
}


class Overlay(EchoedModel):
    model_id: str | None = None
    temperature: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    disabled_skills: list[str] | None = None
    additional_skills: list[str] | None = None
    additional_tools: list[str] | None = None
    disabled_tools: list[str] | None = None
    system_prompt_append: str | None = None
    allowed_collections: list[str] | None = None
    guardrail_preset: GuardrailPreset | None = None
    version: int | None = None


class OverlayStore(dict[str, dict[str, Any]]):
    """One organisation's overlays (wire shape, with `version`) by global agent slug."""


def _base(request: Request) -> tuple[dict[str, Any], bool]:
    """The agent as the overlay sees it, and whether it is global; 404 for an unknown id."""
    agent_id = request.path_params["agentId"]
    if agent_id in GLOBAL_AGENTS:
        return {"agentId": agent_id, **GLOBAL_AGENTS[agent_id]}, True
    agent = requested_agent(request)
    settings = agent.settings
    base = {
        "agentId": agent.id,
        "name": settings["name"],
        "modelId": settings["model_id"],
        "allowedTools": settings.get("allowed_tools", []),
        "assignedSkillIds": settings.get("assigned_skills", []),
    }
    return base, False


async def get_overlay(request: Request) -> Response:
    base, _ = _base(request)
    return JSONResponse({"overlay": organisation_data(request).get(OverlayStore).get(base["agentId"]), "base": base})


async def upsert_overlay(request: Request) -> Response:
    body = await parse_body(request, Overlay)
    base, is_global = _base(request)
    if not is_global:
        raise bad_request(
            "agentId", "overlays apply to global agents only; update an organisation agent with PUT agents/{agentId}"
        )
    if body.model_id is not None:
        require_model(body.model_id, "chat")
    overlays = organisation_data(request).get(OverlayStore)
    current = overlays.get(base["agentId"], {}).get("version", 0)
    if body.version is not None and body.version != current:
        raise ApiError(409, f"Overlay version conflict: sent version {body.version}, current version is {current}; read it again")
    overlays[base["agentId"]] = {**body.to_wire(exclude_none=True, exclude={"version"}), "version": current + 1}
    return JSONResponse({"overlay": overlays[base["agentId"]]})


async def delete_overlay(request: Request) -> Response:
    base, _ = _base(request)
    overlays = organisation_data(request).get(OverlayStore)
    if base["agentId"] not in overlays:
        raise ApiError(404, f"Agent '{base['agentId']}' has no overlay")
    del overlays[base["agentId"]]
    return JSONResponse({"success": True, "message": f"Overlay removed: '{base['name']}' is back to its defaults"})


ROUTES = [
    *v3("GET", "/agents/{agentId}/overlay", get_overlay, "getAgentOverlay"),
    *v3("PUT", "/agents/{agentId}/overlay", upsert_overlay, "upsertAgentOverlay"),
    *v3("DELETE", "/agents/{agentId}/overlay", delete_overlay, "deleteAgentOverlay"),
]
