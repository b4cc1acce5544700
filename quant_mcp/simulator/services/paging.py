"""Cursor paging, for the list routes whose reference says "opaque cursor from the previous page".

A cursor is the offset of the next page, base64-encoded so that clients treat it as
opaque (as they must with the real API); a cursor the simulator did not issue is a 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import TypeVar

from ..core.errors import bad_request

ItemT = TypeVar("ItemT")
_PREFIX = "offset:"


def page(items: Sequence[ItemT], limit: int, cursor: str | None) -> tuple[list[ItemT], str | None]:
    """One page of `items` from `cursor`, and the cursor of the next page (None on the last page)."""
    start = _offset(cursor)
    end = start + limit
    return list(items[start:end]), (_cursor(end) if end < len(items) else None)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit():
        raise bad_request("cursor", "is not a cursor from a previous page of this list")
    return int(number)
