"""Filter policies: word and regex rules that block or redact AI input and output.

Agents, Slack bots and the governance configuration refer to policies by id. The reference
documents the request bodies but none of the answers, so every result here is free-form.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from quant_mcp.catalog.base import UNDOCUMENTED, V3, Method, NoArguments, Operation, PathId, Route, Toolset, ToolArguments, UndocumentedResult, WireModel

PolicyId = Annotated[PathId, Field(description="Filter policy id, from list_filter_policies.")]


class RuleMatch(WireModel):
    type: Literal["word", "regex"] = Field(description="word: any of `values`; regex: `pattern`.")
    values: list[Annotated[str, StringConstraints(max_length=100)]] | None = Field(None, description="Words to match (type word).")
    pattern: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, description="Regular expression (type regex).")

    @model_validator(mode="after")
    def _matches_type(self) -> RuleMatch:
        if self.type == "word" and not self.values:
            raise ValueError("a word match needs `values`")
        if self.type == "regex" and not self.pattern:
            raise ValueError("a regex match needs a `pattern`")
        return self


class Rule(WireModel):
    name: str | None = Field(None, description="Rule name.")
    match: RuleMatch
    action: Literal["BLOCK", "REDACT"] = Field(description="BLOCK refuses the message; REDACT masks the match.")
    apply_to: Literal["input", "output", "both"] = Field(description="Check the user's input, the model's output, or both.")


Rules = Annotated[list[Rule], Field(min_length=1, max_length=100)]


class CreatePolicyArguments(ToolArguments):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] = Field(description="Policy name.")
    rules: Rules = Field(description="1-100 rules.")
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    enabled: bool | None = Field(None, description="Whether the policy applies (enable_filter_policy / disable_filter_policy toggle it).")


class UpdatePolicyArguments(ToolArguments):
    policy_id: PolicyId
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    enabled: bool | None = None
    rules: Rules | None = Field(None, description="The new rule set (replaces the old one).")


class PolicyArguments(ToolArguments):
    policy_id: PolicyId


def _policy_operation(name: str, title: str, method: Method, suffix: str, description: str, operation_id: str, **hints: bool) -> Operation:
    """The operations on one policy differ in verb, path suffix and annotations only."""
    return Operation(
        name=name,
        toolset=Toolset.FILTER_POLICIES,
        title=title,
        description=description + UNDOCUMENTED,
        route=Route(method, V3 + "/filter-policies/{policyId}" + suffix),
        arguments=PolicyArguments,
        result=UndocumentedResult,
        operation_ids=(operation_id,),
        **hints,
    )


OPERATIONS = [
    Operation(
        name="list_filter_policies",
        toolset=Toolset.FILTER_POLICIES,
        title="List filter policies",
        description="List the organisation's content filter policies with their rules and whether each is enabled." + UNDOCUMENTED,
        route=Route("GET", V3 + "/filter-policies"),
        arguments=NoArguments,
        result=UndocumentedResult,
        read_only=True,
        idempotent=True,
        operation_ids=("listFilterPolicies",),
    ),
    Operation(
        name="create_filter_policy",
        toolset=Toolset.FILTER_POLICIES,
        title="Create filter policy",
        description=(
            "Create a content filter policy: a `name` and 1-100 `rules`, each matching words (`values`) or a "
            "regex (`pattern`) and then BLOCKing or REDACTing, on input, output or both. Attach it to agents, "
            "Slack bots or governance by its id. Invalid rules are refused with 422." + UNDOCUMENTED
        ),
        route=Route("POST", V3 + "/filter-policies"),
        arguments=CreatePolicyArguments,
        result=UndocumentedResult,
        operation_ids=("createFilterPolicy",),
    ),
    _policy_operation(
        "get_filter_policy", "Get filter policy", "GET", "",
        "Get one filter policy with its rules.", "getFilterPolicy", read_only=True, idempotent=True,
    ),
    Operation(
        name="update_filter_policy",
        toolset=Toolset.FILTER_POLICIES,
        title="Update filter policy",
        description=(
            "Change a filter policy's name, description, enabled state or rules; `rules`, when given, replaces "
            "the whole rule set." + UNDOCUMENTED
        ),
        route=Route("PUT", V3 + "/filter-policies/{policyId}"),
        arguments=UpdatePolicyArguments,
        result=UndocumentedResult,
        idempotent=True,
        operation_ids=("updateFilterPolicy",),
    ),
    _policy_operation(
        "delete_filter_policy", "Delete filter policy", "DELETE", "",
        "Delete a filter policy, permanently; agents and bots using it are no longer filtered by it.",
        "deleteFilterPolicy", destructive=True, idempotent=True,
    ),
    _policy_operation(
        "disable_filter_policy", "Disable filter policy", "PUT", "/disable",
        "Switch a filter policy off without deleting it.", "disableFilterPolicy", idempotent=True,
    ),
    _policy_operation(
        "enable_filter_policy", "Enable filter policy", "PUT", "/enable",
        "Switch a filter policy back on.", "enableFilterPolicy", idempotent=True,
    ),
]
