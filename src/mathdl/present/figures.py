"""The figures drawn for the slides from the study's own files (summary.json, examples.npz, the reverse
part's reverse-images.npz and reverse.json), at slide size: the task's example images, sensitivity
beside specificity, and the reverse part's pictures of the ID's digits."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plots import save
from ..report import architecture_figure
from ..plots.presentation import digit_rows, rates_chart
from ..reverse import METHODS
from ..report.reverse_section import CONTROL, depth
from .script import EXAMPLES, INVERSIONS


def draw(study: dict, folder: Path, root: Path, *, plan_only: bool = False) -> dict[str, str]:
    """Draw the slide figures into ``folder`` (inside ``root``, the Typst root) — or, with ``plan_only``,
    only name them; returns name → path relative to ``root``, for the figures the study has the data of."""
    makers = {"architecture": lambda: architecture_figure(study),
              "rates": lambda: rates_chart(study["summary"]["configurations"])}
    examples = Path(study["dir"]) / EXAMPLES
    if examples.is_file():
        makers["examples"] = lambda: _examples(examples)
    nets = {n: e for n, e in (study.get("reverse") or {}).items() if n != CONTROL}
    measured = [m for m in METHODS if nets and all(m in e["data"]["summary"] for e in nets.values())]
    for name, methods in (("backquery", ["backquery"]), ("prior", ["prior"]),
                          ("inversions", INVERSIONS)):
        if methods := [m for m in methods if m in measured]:  # a study made before a method existed has none
            makers[name] = lambda methods=methods: _reverse(study["dir"], nets, methods)
    made = {}
    for name, make in makers.items():
        path = folder / f"{name}.png"
        if not plan_only:
            save(make(), path)
        made[name] = str(path.relative_to(root))
    return made


def _examples(path: Path):
    """The study's example test images: a row of positive ones above a row of negative ones."""
    with np.load(path, allow_pickle=False) as e:
        rows = [(f"{name}", e[name].reshape(len(e[name]), -1), [str(int(d)) for d in e[f"{name}_labels"]])
                for name in ("positive", "negative")]
    return digit_rows(rows, size=(9, 5.2), scale="image")


def _reverse(study_dir: Path, nets: dict, methods: list[str]):
    """One row per network and method: the ID's digits in ID order, each captioned with the class the
    network assigns to it and its output for the digit, and the class the independent judge reads (each
    line red when it is not the digit)."""
    rows = []
    digits = None
    for name, entry in nets.items():
        data = entry["data"]
        digits = data["id_digits"]
        with np.load(Path(study_dir) / entry["dir"] / data["files"]["images"], allow_pickle=False) as images:
            for method in methods:
                if method not in images:
                    continue
                by_digit = {i["digit"]: i for i in data["images"] if i["method"] == method}
                rows.append((f"{depth(data['network']['sizes'])}\n{METHODS[method]}", images[method][:, digits].T,
                             [_readings(by_digit[d], d) for d in digits]))
    height = min(8.2, 2.9 * len(rows) + 0.6)
    return digit_rows(rows, columns=[str(d) for d in digits], size=(16, height))


def _readings(image: dict, d: int) -> list[tuple[str, bool]]:
    """What the network reads in an image of digit d (class and output), and what the judge reads."""
    lines = [(f"net: {image['predicted']} ({image['output']:.2f})", image["predicted"] != d)]
    if "judge_class" in image:
        lines.append((f"judge: {image['judge_class']}", image["judge_class"] != d))
    return lines
