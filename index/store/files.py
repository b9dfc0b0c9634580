"""Reading one file of an index generation: any failure is IndexCorrupt naming the file and
the fix (numpy's "mmap length is greater than file size" named neither)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.errors import REINDEX_ADVICE, IndexCorrupt


def read_array(path: Path, mmap: bool = False) -> np.ndarray:
    """The array saved in `path` (memory-mapped with `mmap`)."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except OSError as err:  # missing, no permission
        raise unreadable(path, err) from None
    except (ValueError, EOFError):  # numpy's words ("mmap length is greater than file size")
        raise unreadable(path, "cut short or overwritten") from None


def read_json(path: Path) -> object:
    """The JSON value saved in `path`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise unreadable(path, err) from None


def unreadable(path: Path, err: BaseException | str) -> IndexCorrupt:
    """The error for `path` that could not be read, `err` saying why."""
    return IndexCorrupt(f"{path} is unreadable ({reason(err)}){REINDEX_ADVICE}")


def reason(err: BaseException | str) -> str:
    """Why a file could not be read, in a few words."""
    if isinstance(err, str):
        return err
    if isinstance(err, UnicodeDecodeError):
        return "not text"
    if isinstance(err, json.JSONDecodeError):
        return "not valid JSON"
    return getattr(err, "strerror", None) or str(err) or type(err).__name__
