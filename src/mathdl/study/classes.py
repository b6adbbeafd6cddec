"""A class of students: one study per student ID (from a file, one ID a line), all on one executor, each in
its own study-ID/ directory, and the class table: every ID's eight test accuracies and its best
configuration, as class.csv and class.md beside the studies."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ..base.errors import MathdlError
from ..base.files import write_csv, write_text
from .protocol import Study, StudyOptions


def read_ids(path) -> list[str]:
    """The student IDs in ``path``, one a line (blank lines and lines starting with # left out); a one-line
    error for an unreadable file, a line that is not an ID, a repeated ID or no ID at all."""
    from ..data.tasks import parse_id

    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise MathdlError(f"--ids {path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    ids: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            parse_id(text)
        except MathdlError as e:
            raise MathdlError(f"--ids {path}, line {number}: {text!r} is not a student ID ({e})") from None
        if text in ids:
            raise MathdlError(f"--ids {path}, line {number}: ID {text} already on line {ids[text]}")
        ids[text] = number
    if not ids:
        raise MathdlError(f"--ids {path}: no student ID in it")
    return list(ids)


def class_studies(options: StudyOptions, ids: list[str], folder) -> list[tuple[StudyOptions, Path]]:
    """(options, folder/study-ID) for each ID: the same options but the ID."""
    return [(dataclasses.replace(options, student_id=i), Path(folder) / f"study-{i}") for i in ids]


def class_table(studies: list[Study], folder) -> list[dict]:
    """class.csv and class.md in ``folder``: one row per study, its ID, the eight test accuracies (the mean
    over the seeds when there are several) and the best configuration; returns the rows."""
    rows = []
    for study in studies:
        summary = study.summary
        seeds = summary.get("seeds")
        accuracies = ({c["number"]: c["accuracy"]["mean"] for c in seeds["configurations"]} if seeds else
                      {r["number"]: r["accuracy"]["value"] for r in summary["configurations"]})
        best = max(accuracies, key=accuracies.get)
        label = next(r["label"] for r in summary["configurations"] if r["number"] == best)
        rows.append({"id": summary["student_id"], **{f"accuracy_{n}": accuracies[n] for n in sorted(accuracies)},
                     "best": best, "best_label": label, "study": study.path.name})
    folder = Path(folder)
    write_csv(folder / "class.csv", rows)
    k = len(studies[0].summary.get("seeds", {}).get("seeds", [0]))
    what = f"mean test accuracy over {k} seeds" if k > 1 else "test accuracy"
    lines = [f"# The class: {len(rows)} student IDs, the eight configurations ({what}, %)", "",
             "| ID | " + " | ".join(str(n) for n in range(1, 9)) + " | best |",
             "|:--|" + "--:|" * 8 + ":--|"]
    for row in rows:
        cells = [f"**{100 * row[f'accuracy_{n}']:.2f}**" if n == row["best"] else f"{100 * row[f'accuracy_{n}']:.2f}"
                 for n in range(1, 9)]
        lines.append(f"| {row['id']} | " + " | ".join(cells) + f" | {row['best']}: {row['best_label']} |")
    configurations = studies[0].summary["configurations"]
    lines += ["", "Configurations: " + "; ".join(f"{r['number']} = {r['hidden_layers']} hidden, {r['cost'].upper()}, "
                                                 f"{r['bp']}" for r in configurations) + "."]
    write_text(folder / "class.md", "\n".join(lines) + "\n")
    return rows
