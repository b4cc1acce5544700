"""The API groups the simulator serves: one module per group, each exporting `ROUTES`.

To add a group, write a module here and list it in `GROUPS`; see the package docstring.
"""

from __future__ import annotations

from starlette.routing import Route

from . import agents, config, custom_tools, embeddings, images, inference, models, sessions, tools, usage, vector_db

GROUPS = (sessions, inference, embeddings, images, models, usage, config, tools, custom_tools, agents, vector_db)


def api_routes() -> list[Route]:
    return [route for group in GROUPS for route in group.ROUTES]
