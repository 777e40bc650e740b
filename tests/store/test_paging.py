"""Pages of search results (store/sql/paging.py), shared by run and registry searches."""

import pytest

from labtrack.errors import InvalidParameter
from labtrack.store.sql.paging import decode_page_token, encode_page_token, split_page


def test_a_page_read_with_one_row_more_has_a_next_page_token():
    page, token = split_page([1, 2, 3, 4], max_results=3, offset=6)
    assert page == [1, 2, 3]
    assert decode_page_token(token) == 9


@pytest.mark.parametrize(
    ("items", "max_results"), [([1, 2, 3], 3), ([1], 3), ([], 3), ([1, 2, 3], None)]
)
def test_the_last_page_has_no_token(items, max_results):
    assert split_page(items, max_results, offset=0) == (items, None)


def test_no_token_is_offset_zero_and_a_foreign_token_is_refused():
    assert decode_page_token(None) == 0
    assert decode_page_token(encode_page_token(42)) == 42
    for bad in ("not-a-token", encode_page_token(-1)):
        with pytest.raises(InvalidParameter, match="invalid page token"):
            decode_page_token(bad)
