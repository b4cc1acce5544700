"""`create_app`: the simulator's Starlette app, assembled from the core and the API groups."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from .core.control import CONTROL_ROUTES
from .core.errors import ApiError, handle_api_error, handle_http_exception, handle_unexpected
from .core.gateway import ApiGateway
from .core.state import SimulatorState
from .routes import api_routes


def create_app(state: SimulatorState | None = None) -> Starlette:
    """A simulator app over `state` (a fresh, open-to-any-token state when omitted).

    The state is reachable as `app.state.simulator`.
    """
    state = state if state is not None else SimulatorState()
    app = Starlette(
        routes=[*CONTROL_ROUTES, *api_routes()],
        middleware=[Middleware(ApiGateway, state=state)],
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )
    app.state.simulator = state
    return app
