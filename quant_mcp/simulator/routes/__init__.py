"""The API groups the simulator serves: one module per group, each exporting `ROUTES`.

To add a group, write a module here and list it in `GROUPS`; see the package docstring.
"""

from __future__ import annotations

from starlette.routing import Route

from . import (
    agent_overlays,
    agents,
    ai_search,
    chat_callback,
    config,
    custom_tools,
    embeddings,
    files,
    filter_policies,
    governance,
    images,
    inference,
    models,
    my_usage,
    orchestrations,
    sessions,
    skills,
    slack_bots,
    tasks,
    tool_orchestrations,
    tools,
    usage,
    vector_db,
    vector_documents,
)

GROUPS = (
    sessions,
    inference,
    embeddings,
    images,
    models,
    usage,
    config,
    tools,
    custom_tools,
    agents,
    vector_db,
    # The operations added after client 4.8.0 (PHP client 4.20.0):
    chat_callback,
    my_usage,
    tool_orchestrations,
    agent_overlays,
    vector_documents,
    files,
    orchestrations,
    skills,
    slack_bots,
    tasks,
    governance,
    filter_policies,
    ai_search,
)


def api_routes() -> list[Route]:
    return [route for group in GROUPS for route in group.ROUTES]
