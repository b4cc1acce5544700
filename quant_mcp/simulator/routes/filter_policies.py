"""AIFilterPolicies: an organisation's word and regex filters for chat input and output.

A rule matches `word`s (non-empty `values`) or a `regex` (`pattern`, which must
compile), and BLOCKs or REDACTs on input, output or both. Validation failures are
422, as documented. Policies are recorded, not applied to chat calls.

The reference documents no success bodies. The simulator answers `{policies, count}`
(list), `{policy}` (get), `{success, policy, message}` (create 201, update, enable,
disable) and `{success, message}` (delete), where `policy` is `{policyId, name,
description, enabled, rules, createdAt, updatedAt}`. Unknown ids are 404.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import found_or_404
from ..core.requests import organisation_data, simulator_state
from ..core.routing import Endpoint, v3
from ..core.state import timestamp
from ..services.wire import EchoedModel, parse_body_422, unprocessable


class RuleMatch(EchoedModel):
    type: Literal["word", "regex"]
    values: list[str] | None = None
    pattern: str | None = Field(None, max_length=500)


class Rule(EchoedModel):
    name: str | None = None
    match: RuleMatch
    action: Literal["BLOCK", "REDACT"]
    apply_to: Literal["input", "output", "both"] = "both"


class PolicyFields(EchoedModel):
    """Every field optional, as an update sends them."""

    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=1000)
    enabled: bool | None = None
    rules: list[Rule] | None = Field(None, min_length=1, max_length=100)


class CreatePolicy(PolicyFields):
    name: str = Field(min_length=1, max_length=255)
    enabled: bool = True
    rules: list[Rule] = Field(min_length=1, max_length=100)


@dataclass
class FilterPolicy:
    id: str
    name: str
    description: str | None
    enabled: bool
    rules: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "policyId": self.id,
            "name": self.name,
            "description": self.description,
            "enabled": self.enabled,
            "rules": self.rules,
            "createdAt": timestamp(self.created_at),
            "updatedAt": timestamp(self.updated_at),
        }


class FilterPolicyStore(dict[str, FilterPolicy]):
    """One organisation's filter policies by id."""


def _check_rules(rules: list[Rule] | None) -> list[dict[str, Any]] | None:
    """The rules in wire shape, after checking each has what its match type needs (422 otherwise)."""
    if rules is None:
        return None
    for index, rule in enumerate(rules):
        where = f"rules[{index}].match"
        if rule.match.type == "word":
            if not rule.match.values or any(not value or len(value) > 100 for value in rule.match.values):
                raise unprocessable(f"{where}.values", "a word rule needs at least one word, each 1-100 characters")
        elif not rule.match.pattern:
            raise unprocessable(f"{where}.pattern", "a regex rule needs a pattern")
        else:
            try:
                re.compile(rule.match.pattern)
            except re.error as exc:
                raise unprocessable(f"{where}.pattern", f"is not a valid regular expression ({exc})") from exc
    return [rule.to_wire(exclude_none=True) for rule in rules]


def _policy(request: Request) -> FilterPolicy:
    policy_id = request.path_params["policyId"]
    return found_or_404(organisation_data(request).get(FilterPolicyStore).get(policy_id), "Filter policy", policy_id)


def _changed(policy: FilterPolicy, message: str, status_code: int = 200) -> Response:
    """The answer of create (201), update, enable and disable: `{success, policy, message}`."""
    return JSONResponse({"success": True, "policy": policy.to_json(), "message": message}, status_code=status_code)


async def list_policies(request: Request) -> Response:
    policies = [p.to_json() for p in organisation_data(request).get(FilterPolicyStore).values()]
    return JSONResponse({"policies": policies, "count": len(policies)})


async def create_policy(request: Request) -> Response:
    body = await parse_body_422(request, CreatePolicy)
    rules = _check_rules(body.rules) or []
    now = simulator_state(request).now()
    policy = FilterPolicy(str(uuid.uuid4()), body.name, body.description, body.enabled, rules, now, now)
    organisation_data(request).get(FilterPolicyStore)[policy.id] = policy
    return _changed(policy, f"Filter policy '{policy.name}' created", status_code=201)


async def get_policy(request: Request) -> Response:
    return JSONResponse({"policy": _policy(request).to_json()})


async def update_policy(request: Request) -> Response:
    body = await parse_body_422(request, PolicyFields)
    policy = _policy(request)
    for name in body.model_fields_set:
        value = getattr(body, name)
        if value is None and name != "description":
            raise unprocessable(name, "cannot be null")
    rules = _check_rules(body.rules)
    policy.name = body.name or policy.name
    policy.description = body.description if "description" in body.model_fields_set else policy.description
    policy.enabled = policy.enabled if body.enabled is None else body.enabled
    policy.rules = rules or policy.rules
    policy.updated_at = simulator_state(request).now()
    return _changed(policy, "Filter policy updated")


async def delete_policy(request: Request) -> Response:
    policy = _policy(request)
    del organisation_data(request).get(FilterPolicyStore)[policy.id]
    return JSONResponse({"success": True, "message": f"Filter policy '{policy.name}' deleted"})


def _switch(enabled: bool) -> Endpoint:
    """The handler that enables or disables a policy."""

    async def handler(request: Request) -> Response:
        policy = _policy(request)
        policy.enabled = enabled
        policy.updated_at = simulator_state(request).now()
        return _changed(policy, f"Filter policy {'enabled' if enabled else 'disabled'}")

    return handler


ROUTES = [
    *v3("GET", "/filter-policies", list_policies, "listFilterPolicies"),
    *v3("POST", "/filter-policies", create_policy, "createFilterPolicy"),
    *v3("GET", "/filter-policies/{policyId}", get_policy, "getFilterPolicy"),
    *v3("PUT", "/filter-policies/{policyId}", update_policy, "updateFilterPolicy"),
    *v3("DELETE", "/filter-policies/{policyId}", delete_policy, "deleteFilterPolicy"),
    *v3("PUT", "/filter-policies/{policyId}/enable", _switch(True), "enableFilterPolicy"),
    *v3("PUT", "/filter-policies/{policyId}/disable", _switch(False), "disableFilterPolicy"),
]
