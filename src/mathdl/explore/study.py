"""The study view: a study directory's results from its files alone (summary.json, each run's history.csv),
in the shape the page draws — the eight confusion matrices with their labels and rates, the McNemar tests,
the learning curves, the size curve, the reverse part's summary, the presentation (video, subtitles and script)
and the files — and every other table that
summary.json holds (e.g. a factorial analysis), rendered generically: a list of records is a table, a
mapping of mappings of numbers a table with a row per key, the numbers and words of any other mapping a
two-column table and its other entries tables of their own.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..base.files import read_csv_rows
from .catalog import StudyEntry
from .checks import ApiError

SHOWN = {"student_id", "positive_digits", "class_balance", "configurations", "mcnemar", "best", "size_curve",
         "gradcheck", "reverse", "options", "intervals", "mcnemar_test", "wall_seconds"}
TITLES = {  # summary.json's keys and columns as the page names them; other keys with their _ as spaces
    "versus_best": "The best observed configuration against each other one (McNemar's test)",
    "seeds": "Seeds", "a_right_b_wrong": "a right, b wrong", "a_wrong_b_right": "a wrong, b right",
    "p_exact": "p exact", "p_mid": "p mid", "p_exact_holm": "p exact, Holm", "p_mid_holm": "p mid, Holm",
    "accuracy_a": "accuracy of a", "accuracy_b": "accuracy of b"}
CURVE_KEYS = ("epoch", "cost", "train_accuracy", "test_accuracy", "test_cost")
MAX_DEPTH = 2


def study_view(entry: StudyEntry) -> dict:
    root = entry.path
    try:
        summary = json.loads((root / "summary.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ApiError(422, f"{entry.name}: unreadable summary.json ({e})") from None
    configurations = summary.get("configurations")
    if not isinstance(configurations, list):
        raise ApiError(422, f"{entry.name}: summary.json lists no configurations")
    files = entry.list_files()
    index = {path: i for i, path in enumerate(files)}
    top = {f.name: f for f in files if f.parent == root}
    link = lambda path: {"index": index[path], "name": path.name, "folder": str(path.parent.relative_to(root)),  # noqa: E731
                         "url": f"/api/studies/{entry.id}/files/{index[path]}/{path.name}"}
    balance = (configurations[0].get("class_balance") or {}).get("test", {}) if configurations else {}
    first = summary.get("mcnemar") or []  # the first seed's tests; the family: every seed's, Holm-adjusted together
    family = summary.get("mcnemar_family") if _records(summary.get("mcnemar_family")) else []
    shown = SHOWN | ({"mcnemar_family"} if family else set())
    reverse = []
    for name, part in (summary.get("reverse") or {}).items():
        figure = _inside(root, root / str(part.get("dir", "")) / "reverse-id.png")
        reverse.append({"name": name, "label": (part.get("network") or {}).get("label", ""),
                        "figure": link(figure) if figure in index else None,
                        "table": _table(f"reverse: {name}", [{"method": m, **v} for m, v in
                                                             (part.get("summary") or {}).items()])})
    return {
        "id": entry.id, "name": entry.name, "student_id": summary.get("student_id"),
        "positive_digits": summary.get("positive_digits"), "classes": list(balance),
        "best": summary.get("best"), "intervals": summary.get("intervals"),
        "mcnemar_test": summary.get("mcnemar_test"), "wall_seconds": summary.get("wall_seconds"),
        "configurations": configurations,
        "curves": [{"number": row.get("number"), "label": row.get("label"), "rows": _curve(root, row)}
                   for row in configurations],
        "mcnemar": _table("McNemar's tests", first),
        "mcnemar_others": _table("McNemar's tests of the other seeds", [t for t in family if t not in first]),
        "size_curve": summary.get("size_curve") or [],
        "reverse": reverse,
        "tables": [t for key, value in summary.items() if key not in shown for t in tables(_title(key), value)],
        "report": link(top["report.pdf"]) if "report.pdf" in top else None,
        "presentation": {"video": link(top["presentation.mp4"]),  # with its subtitles and script when present
                         **{kind: link(top[name]) for kind, name in (("subtitles", "presentation.vtt"),
                                                                     ("script", "presentation.md")) if name in top}}
        if "presentation.mp4" in top else None,
        "files": [link(f) for f in files],
    }


def _curve(root: Path, row: dict) -> list[dict]:
    """A configuration's history.csv: cost and accuracies per epoch ([] when it is missing)."""
    path = _inside(root, root / str(row.get("run_dir", "")) / "history.csv")
    if path is None or not path.is_file():
        return []
    try:
        history = read_csv_rows(path)
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    return [{k: r[k] for k in CURVE_KEYS if isinstance(r.get(k), float)} for r in history]


def _inside(root: Path, path: Path) -> Path | None:
    """``path`` resolved, if it lies inside the study directory (summary.json names its own runs)."""
    resolved = path.resolve()
    return resolved if resolved.is_relative_to(root) else None


def tables(title: str, value, depth: int = 0) -> list[dict]:
    """The tables of one entry of summary.json (see the module docstring); [] for what is not tabular."""
    if _records(value):
        return [_table(title, value)]
    if isinstance(value, dict) and value and depth < MAX_DEPTH:
        if all(isinstance(v, dict) and v and all(_scalar(x) for x in v.values()) and not _interval(v)
               for v in value.values()):
            return [_table(title, [{"": k, **v} for k, v in value.items()])]
        scalars = {k: v for k, v in value.items() if _scalar(v)}
        found = [_table(title, [{"name": k, "value": v} for k, v in scalars.items()])] if scalars else []
        return found + [t for k, v in value.items() if k not in scalars
                        for t in tables(f"{title} › {_title(k)}", v, depth + 1)]
    return []


def _records(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool)) or _interval(value) or \
        (isinstance(value, list) and all(isinstance(v, (int, float)) for v in value))


def _interval(value) -> bool:
    return isinstance(value, dict) and set(value) == {"value", "ci95"}


def _table(title: str, records: list[dict]) -> dict:
    columns = list(dict.fromkeys(key for record in records for key in record))
    return {"title": title, "columns": [_title(c) for c in columns],
            "rows": [[cell(record.get(c)) for c in columns] for record in records]}


def cell(value) -> str:
    """A value as the table shows it: numbers to 4 significant digits, an interval as 'v [lo, hi]'."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return "—" if not math.isfinite(value) else f"{value:.4g}"
    if _interval(value):
        low, high = value["ci95"] or (None, None)
        return f"{cell(value['value'])} [{cell(low)}, {cell(high)}]"
    if isinstance(value, list):
        return "[" + ", ".join(cell(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {cell(v)}" for k, v in value.items())
    return str(value)


def _title(key: str) -> str:
    return TITLES.get(key, str(key).replace("_", " "))
