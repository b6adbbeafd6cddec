"""The report's reverse part: the ID's digits pictured by each method, the measurements, and the
validity discussion the reverse part wrote from its own numbers."""
from __future__ import annotations

import json
from pathlib import Path

from ..reverse import METHODS
from .document import Figure, Heading, Paragraph, Table, from_markdown, text

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def depth(sizes: list[int]) -> str:
    """'one hidden layer', 'three hidden layers' for layer sizes [n_0, …, n_L]."""
    hidden = len(sizes) - 2
    return f"{NUMBER_WORDS.get(hidden, hidden)} hidden layer{'' if hidden == 1 else 's'}"


def load_reverse(study_dir: Path, summary: dict) -> dict:
    """reverse.json and reverse.md of each ten-output network of the study, by name."""
    found = {}
    for name, entry in summary.get("reverse", {}).items():
        folder = study_dir / entry["dir"]
        found[name] = {"dir": entry["dir"], "data": json.loads((folder / "reverse.json").read_text()),
                       "markdown": (folder / "reverse.md").read_text()}
    return found


def reverse_blocks(reverse: dict) -> list:
    blocks = [Heading("Reverse: inside the mind of the network"),
              Paragraph(text(
                  "A binary network can only picture \"ID digit\" against \"not\", so the reverse part trains "
                  "ten-output networks on the digits (sigmoid everywhere, the book's input scaling and 0.01/0.99 "
                  "targets) with one and with three hidden layers, and asks each, for every digit d, for an "
                  "image it maps to d: by backquery (inverse activation, Wᵀ, rescaling, layer by layer down to "
                  "the pixels), by the same chain with the pseudo-inverse W⁺, and by gradient ascent on the "
                  "input for the log-likelihood of d with an L2 and a total-variation penalty. Each image is then "
                  "measured by the network itself and against the mean training image of the digit."))]
    for entry in reverse.values():
        data = entry["data"]
        network = data["network"]
        layers = depth(network["sizes"])
        digits = data["id_digits"]
        blocks.append(Heading(f"The network with {layers}", 2))
        blocks.append(Figure(f"{entry['dir']}/{data['files']['id_figure']}",
                             f"The digits of ID {data['student_id']} in order, pictured by each method for "
                             f"{network.get('label', '')} (test accuracy "
                             f"{100 * network.get('test_accuracy', 0):.2f}%). Under each image: the class the "
                             "network assigns to it and its output for the intended digit."))
        rows = []
        for method in data["settings"]["methods"]:
            cells = []
            for d in dict.fromkeys(digits):
                m = next(i for i in data["images"] if i["method"] == method and i["digit"] == d)
                r = "—" if m["corr_mean"] is None else f"{m['corr_mean']:.2f}"
                cells.append(f"{m['predicted']} / {m['output']:.2f} / {r}")
            s = data["summary"][method]
            rows.append((METHODS.get(method, method), *cells, f"{s['correct']}/{s['images']}"))
        blocks.append(Table(("method", *[f"digit {d}" for d in dict.fromkeys(digits)], "all ten right"),
                            tuple(rows), "For each ID digit: the class the network assigns to the image / its "
                            "output for the digit / the correlation r with the mean training image of the digit; "
                            "last column: images of the ten digits the network classifies as intended.",
                            align="l" + "r" * (len(rows[0]) - 1), size="8pt"))
        explanation = from_markdown(entry["markdown"], level=3,
                                    table_caption=f"Measurements of the ten digits' images ({layers}).")
        blocks.extend(b for b in explanation if not isinstance(b, Heading))
    return blocks
