"""CSVDataset: a table of numeric feature columns and one target column.

A sample is ``(features, target)``: features a float32 array (F,), the target an int class
index (categorical or integral targets) or a float (regression). A bad cell is reported by its
line number in the file and its column, never as a bare NumPy conversion error.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..utils.data import Dataset
from ._download import DatasetError

__all__ = ["CSVDataset", "read_csv_table"]


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _detect_header(rows: list[list[str]]) -> bool:
    """A header when some column is numeric below its first cell but not in it, or when every
    first-row cell is text that never appears again in its column."""
    first, rest = rows[0], rows[1:21]
    if not rest:
        return not any(_is_number(c) for c in first)
    if all(not _is_number(c) for c in first):
        if all(all(r[j] != c for r in rest if j < len(r)) for j, c in enumerate(first)):
            return True
    for j, c in enumerate(first):
        col = [r[j] for r in rest if j < len(r)]
        if col and not _is_number(c) and all(_is_number(v) for v in col):
            return True
    return False


def read_csv_table(source: str | os.PathLike | bytes, delimiter: str = ",",
                   header: bool | str = "auto") -> tuple[list[str] | None, list[list[str]],
                                                       list[int]]:
    """Parse CSV into (column names or None, data rows, the file line of each data row)."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as e:
        raise DatasetError(f"{name}: cannot read the file ({e})") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatasetError(f"{name}: not UTF-8 text (byte {raw[e.start]:#x} at offset "
                           f"{e.start})") from e
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for r in reader:
            if any(c.strip() for c in r):
                rows.append((reader.line_num, [c.strip() for c in r]))
    except csv.Error as e:
        raise DatasetError(f"{name}: line {reader.line_num}: not valid CSV ({e})") from e
    if not rows:
        raise DatasetError(f"{name}: the file holds no rows")
    has_header = _detect_header([r for _, r in rows]) if header == "auto" else bool(header)
    names = rows[0][1] if has_header else None
    body = rows[1:] if has_header else rows
    if not body:
        raise DatasetError(f"{name}: the file holds a header but no data rows")
    width = len(names) if names is not None else len(body[0][1])
    for line, r in body:
        if len(r) != width:
            raise DatasetError(f"{name}: line {line} has {len(r)} fields, expected {width} "
                               f"(as in line {rows[0][0]})")
    return names, [r for _, r in body], [line for line, _ in body]


def _column(spec: str | int, names: list[str] | None, width: int, what: str, src: str) -> int:
    if isinstance(spec, str):
        if names is None:
            raise DatasetError(f"{src}: {what} {spec!r} is given by name but the file has no "
                               "header row (pass header=True, or a column index)")
        if spec not in names:
            raise DatasetError(f"{src}: no column named {spec!r}; columns are {names}")
        return names.index(spec)
    if not -width <= int(spec) < width:
        raise DatasetError(f"{src}: {what} column {spec} out of range for {width} columns")
    return int(spec) % width


class CSVDataset(Dataset):
    """A CSV table as a data set of ``(features, target)`` pairs.

    Args:
        path: the CSV file.
        target: the target column, by header name or index (default: the last column).
        features: feature columns by name or index (default: every other column).
        header: True, False or "auto" (detected from the first rows).
        categorical_target: map target values to class indices (sorted unique values, in
            ``classes``); None decides by itself: yes when any target cell is not a number.
        delimiter: the field separator.
        transform / target_transform: applied to each sample's features / target.
    """

    def __init__(self, path: str | os.PathLike, target: str | int = -1,
                 features: Sequence[str | int] | None = None, header: bool | str = "auto",
                 categorical_target: bool | None = None, delimiter: str = ",",
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.path = str(path)
        names, rows, self._lines = read_csv_table(path, delimiter, header)
        width = len(rows[0])
        t = _column(target, names, width, "target", self.path)
        cols = ([c for c in range(width) if c != t] if features is None
                else [_column(f, names, width, "feature", self.path) for f in features])
        if not cols:
            raise DatasetError(f"{self.path}: no feature columns besides the target")
        col_names = names or [f"column {j}" for j in range(width)]
        table = np.array(rows, dtype=object)
        self.feature_names = [col_names[j] for j in cols]
        self.target_name = col_names[t]
        self.data = self._numeric(table[:, cols], [col_names[j] for j in cols], self._lines)
        tcol = table[:, t]
        if categorical_target is None:
            categorical_target = not all(_is_number(v) for v in tcol)
        if categorical_target:
            self.classes = sorted(set(tcol.tolist()))
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
            self.targets = np.array([self.class_to_idx[v] for v in tcol], dtype=np.int64)
        else:
            y = self._numeric(tcol[:, None], [self.target_name], self._lines, np.float64)[:, 0]
            integral = bool(np.all(np.isfinite(y))) and bool(np.all(y == np.round(y)))
            self.targets = y.astype(np.int64) if integral else y.astype(np.float32)
            self.classes = None
            self.class_to_idx = None
        self.transform = transform
        self.target_transform = target_transform

    def _numeric(self, cells: np.ndarray, names: list[str], lines: list[int],
                 dtype: Any = np.float32) -> np.ndarray:
        try:
            return cells.astype(np.str_).astype(np.float64).astype(dtype)
        except ValueError:
            pass
        for i, j in zip(*np.nonzero(~np.vectorize(_is_number, otypes=[bool])(cells))):
            cell = cells[i, j]
            what = "an empty cell" if cell == "" else f"{cell!r}"
            raise DatasetError(f"{self.path}: line {lines[i]}, column {names[j]!r}: cannot "
                               f"parse {what} as a number") from None
        # every cell parses with Python's float (e.g. '1_000'), just not with NumPy's
        return np.vectorize(float, otypes=[np.float64])(cells).astype(dtype)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        x, y = self.data[index], self.targets[index].item()
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y
