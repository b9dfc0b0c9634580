"""Passage ids to rows in the local backend (index/store/local.py)."""

import numpy as np
import pytest

from index.errors import IndexCorrupt
from index.store.local import RowIds


def test_rows_of_the_same_ids_again_are_the_same_and_read_only():
    """The last look-up is kept for a question's next call with the same candidates; it is
    read-only, so no caller can change what the next one gets."""
    ids = RowIds(np.array([50, 10, 40, 30], dtype=np.int64))
    first = ids.rows([40, 10, 99], known_only=True)
    assert first.tolist() == [2, 1]
    assert ids.rows(np.array([40, 10, 99]), known_only=True) is first
    with pytest.raises(ValueError):
        first[0] = 0
    with pytest.raises(IndexCorrupt):  # the same ids, but unknown ones are now an error
        ids.rows([40, 10, 99])
    assert ids.rows([30, 50]).tolist() == [3, 0]
