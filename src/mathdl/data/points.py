"""The user's own dots: a CSV file of 2-D points ``x, y, label``, checked line by line.

Returns X of shape (2, N) (points as columns, like every input in mathdl), labels (N,) as class
indices 0..k−1, and the k class names. An optional header row (``x,y,label``) is skipped. Labels
that are all integers keep their numeric order (0 is class 0, drawn red); text labels are numbered
in the order they first appear. Every fault is a one-line ``DataError`` naming the file and line.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from ..base.errors import DataError

MAX_CLASSES = 10


def read_points(path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(X (2, N), labels (N,), class names) from a CSV file of rows ``x, y, label``."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return parse_points(fh.read(), path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e})") from None


def parse_points(text: str, path="points") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``read_points`` on the text of a CSV file (e.g. an upload); ``path`` names it in the errors."""
    try:
        rows = list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    rows = [(line, [cell.strip() for cell in row]) for line, row in rows if any(cell.strip() for cell in row)]
    if rows and _is_header(rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise DataError(f"{path}: no points (expected rows x, y, label)")
    points, names = [], []
    for line, row in rows:
        if len(row) != 3:
            raise DataError(f"{path} line {line}: expected 3 values (x, y, label), got {len(row)}")
        points.append([_coordinate(path, line, name, text) for name, text in zip("xy", row)])
        if not row[2]:
            raise DataError(f"{path} line {line}: the label is empty")
        names.append(row[2])
    classes = _class_order(names)
    if len(classes) < 2:
        raise DataError(f"{path}: every point has the label {classes[0]!r}; need at least two classes")
    if len(classes) > MAX_CLASSES:
        raise DataError(f"{path}: {len(classes)} classes; at most {MAX_CLASSES} are supported")
    index = {name: i for i, name in enumerate(classes)}
    labels = np.array([index[name] for name in names], dtype=np.int64)
    counts = np.bincount(labels, minlength=len(classes))
    if counts.min() < 2:
        raise DataError(f"{path}: class {classes[int(counts.argmin())]!r} has only one point; "
                        "every class needs at least 2 (one to train on, one to test)")
    return np.array(points, dtype=np.float64).T, labels, classes


def _is_header(row: list[str]) -> bool:
    """A first row whose x and y are both not numbers (e.g. ``x,y,label``)."""
    return len(row) >= 2 and not _is_number(row[0]) and not _is_number(row[1])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _coordinate(path: Path, line: int, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path} line {line}: {name} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{path} line {line}: {name} {text!r} is not a finite number")
    return value


def _class_order(names: list[str]) -> list[str]:
    """Integer labels in numeric order, other labels in order of first appearance."""
    distinct = list(dict.fromkeys(names))
    try:
        return sorted(distinct, key=int)
    except ValueError:
        return distinct
