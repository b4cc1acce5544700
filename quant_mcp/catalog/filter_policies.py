"""Filter policies: word and regex rules that block or redact AI input and output.

Agents, Slack bots and the governance configuration refer to policies by id. The reference
documents the request bodies but none of the answers, so every result here is free-form.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from quant_mcp.catalog.base import V3, NoArguments, PathId, Route, ToolArguments, Toolset, WireModel, undocumented

PolicyId = PathId


class RuleMatch(WireModel):
    type: Literal["word", "regex"] = Field(description="word: any of `values`; regex: `pattern`.")
    values: list[Annotated[str, StringConstraints(max_length=100)]] | None = Field(
        None, description="Words to match (type word)."
    )
    pattern: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="Regular expression (type regex)."
    )

    @model_validator(mode="after")
    def _matches_type(self) -> RuleMatch:
        if self.type == "word" and not self.values:
            raise ValueError("a word match needs `values`")
        if self.type == "regex" and not self.pattern:
            raise ValueError("a regex match needs a `pattern`")
        return self


class Rule(WireModel):
    name: str | None = None
    match: RuleMatch
    action: Literal["BLOCK", "REDACT"] = Field(description="BLOCK refuses the message; REDACT masks the match.")
    apply_to: Literal["input", "output", "both"]


Rules = Annotated[list[Rule], Field(min_length=1, max_length=100)]


class CreatePolicyArguments(ToolArguments):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    rules: Rules
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    enabled: bool | None = Field(None, description="enable_filter_policy / disable_filter_policy toggle it too.")


class UpdatePolicyArguments(ToolArguments):
    policy_id: PolicyId
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    enabled: bool | None = None
    rules: Rules | None = Field(None, description="The new rule set (replaces the old one).")


class PolicyArguments(ToolArguments):
    policy_id: PolicyId


POLICY = V3 + "/filter-policies/{policyId}"

OPERATIONS = [
    undocumented(
        Toolset.FILTER_POLICIES,
        "list_filter_policies",
        "List filter policies",
        Route("GET", V3 + "/filter-policies"),
        NoArguments,
        "Content filter policies and their rules.",
        "listFilterPolicies",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.FILTER_POLICIES,
        "create_filter_policy",
        "Create filter policy",
        Route("POST", V3 + "/filter-policies"),
        CreatePolicyArguments,
        "Create a content filter policy: word or regex rules that block or redact input or output.",
        "createFilterPolicy",
    ),
    undocumented(
        Toolset.FILTER_POLICIES,
        "get_filter_policy",
        "Get filter policy",
        Route("GET", POLICY),
        PolicyArguments,
        "One filter policy with its rules.",
        "getFilterPolicy",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.FILTER_POLICIES,
        "update_filter_policy",
        "Update filter policy",
        Route("PUT", POLICY),
        UpdatePolicyArguments,
        "Change a filter policy (`rules` replaces them all).",
        "updateFilterPolicy",
        idempotent=True,
    ),
    undocumented(
        Toolset.FILTER_POLICIES,
        "delete_filter_policy",
        "Delete filter policy",
        Route("DELETE", POLICY),
        PolicyArguments,
        "Delete a filter policy, permanently.",
        "deleteFilterPolicy",
        destructive=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.FILTER_POLICIES,
        "disable_filter_policy",
        "Disable filter policy",
        Route("PUT", POLICY + "/disable"),
        PolicyArguments,
        "Switch a filter policy off.",
        "disableFilterPolicy",
        idempotent=True,
    ),
    undocumented(
        Toolset.FILTER_POLICIES,
        "enable_filter_policy",
        "Enable filter policy",
        Route("PUT", POLICY + "/enable"),
        PolicyArguments,
        "Switch a filter policy on.",
        "enableFilterPolicy",
        idempotent=True,
    ),
]
