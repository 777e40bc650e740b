"""Pages of search results: a page token is the offset of the page, and a page is read with
one row more than asked, which tells whether a next page exists (no COUNT query)."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from labtrack.errors import InvalidParameter

T = TypeVar("T")


def encode_page_token(offset: int) -> str:
    """The token of the page that starts at ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: str | None) -> int:
    """The offset a token names (0 without one); a token this did not write is InvalidParameter."""
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise InvalidParameter(f"invalid page token {token!r}") from None


def page_query(query: Any, max_results: int | None, offset: int) -> Any:
    """``query`` (a SQLAlchemy select) limited to the page at ``offset``, plus one row."""
    if max_results is not None:
        query = query.limit(max_results + 1)  # one more tells whether a next page exists
    return query.offset(offset or None)


def split_page(items: list[T], max_results: int | None, offset: int) -> tuple[list[T], str | None]:
    """What ``page_query`` read as the page, and the token of the next page (None on the last)."""
    if max_results is None or len(items) <= max_results:
        return items, None
    return items[:max_results], encode_page_token(offset + max_results)
