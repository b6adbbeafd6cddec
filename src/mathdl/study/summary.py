"""Summarising a study from its files alone (so it can be re-summarised without retraining):
summary.json and summary.csv (one row per configuration), mcnemar.csv, and the study's figures.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..base.files import write_csv, write_json
from ..evaluation.metrics import mcnemar
from ..runs.directory import load_run
from .protocol import COMPARISONS, Study, StudyOptions


def _rate(d: dict, name: str) -> dict:
    return {"value": d[name], "ci95": d[f"{name}_ci95"]}


def load_predictions(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The true and predicted classes of a run's test images, from its predictions.csv."""
    with open(run_dir / "predictions.csv", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        true, predicted = header.index("true"), header.index("predicted")
        pairs = np.array([(row[true], row[predicted]) for row in rows], dtype=int).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def summarise(out, options: StudyOptions, seconds: float | None = None) -> Study:
    """summary.json, summary.csv, mcnemar.csv and the study figures, from the run directories."""
    out = Path(out)
    rows, correct, histories, matrices = [], {}, [], []
    for number, name, config in options.configs():
        run_dir = out / "runs" / name
        run = load_run(run_dir)
        true, predicted = load_predictions(run_dir)
        correct[number] = true == predicted
        test = run.metrics["test"]
        settings = run.config["config"]["resolved"]
        label = run.config["label"]
        rows.append({
            "number": number, "name": name, "label": label, "layers": "-".join(map(str, run.config["sizes"])),
            "hidden_layers": len(config.hidden), "cost": config.cost, "bp": config.method,
            "epochs": settings["epochs"], "eta": settings["eta"], "batch_size": settings["batch_size"],
            "tp": test["tp"], "fn": test["fn"], "fp": test["fp"], "tn": test["tn"],
            **{name_: _rate(test, name_) for name_ in ("accuracy", "sensitivity", "specificity", "precision",
                                                       "npv", "f1", "mcc")},
            "train_seconds": run.metrics["train_seconds"], "compile_seconds": run.metrics.get("compile_seconds", 0.0),
            "class_balance": run.metrics["class_balance"],
            "run_dir": str(Path("runs") / name)})
        histories.append({"number": number, "cost": config.cost, "method": config.method, "rows": run.history,
                          "architecture": f"{len(config.hidden)} hidden layer{'s' * (len(config.hidden) > 1)} "
                                          f"of {', '.join(map(str, config.hidden))}"})
        matrices.append((test["confusion_matrix"], label, number))
    tests = []
    for question, a, b in COMPARISONS:
        t = mcnemar(correct[a], correct[b])
        tests.append({"question": question, "a": a, "b": b, "accuracy_a": float(correct[a].mean()),
                      "accuracy_b": float(correct[b].mean()), "a_right_b_wrong": t.b, "a_wrong_b_right": t.c,
                      "p_exact": t.p_exact, "p_mid": t.p_mid})
    size_rows = _size_rows(out, options, rows)
    reverse = {}
    for _, name, _ in options.reverse_configs():
        data = json.loads((out / "reverse" / name / "reverse.json").read_text())
        reverse[name] = {"network": data["network"], "summary": data["summary"],
                         "dir": str(Path("reverse") / name)}
    checks = architecture_gradcheck([784, *options.hidden3, 1], options.seed)
    best = max(rows, key=lambda r: r["accuracy"]["value"])
    versus_best = []  # is the best observed really ahead of each other configuration?
    for r in rows:
        if r is not best:
            t = mcnemar(correct[best["number"]], correct[r["number"]])
            versus_best.append({"a": best["number"], "b": r["number"], "a_right_b_wrong": t.b, "a_wrong_b_right": t.c,
                                "p_exact": t.p_exact, "p_mid": t.p_mid})
    summary = {"student_id": options.student_id, "positive_digits": _positive(options.student_id),
               "class_balance": rows[0]["class_balance"], "configurations": rows, "mcnemar": tests,
               "best": best["number"], "versus_best": versus_best, "size_curve": size_rows, "gradcheck": checks, "reverse": reverse,
               "options": options.to_dict(),
               "intervals": "Wilson score intervals for proportions; percentile bootstrap (10,000 multinomial "
                            "resamples of the confusion matrix) for F1 and MCC",
               "mcnemar_test": "exact two-sided binomial test on the discordant pairs, and the mid-p value",
               "wall_seconds": seconds}
    write_json(out / "summary.json", summary)
    write_csv(out / "summary.csv", [_flat(r) for r in rows])
    write_csv(out / "mcnemar.csv", tests)
    write_study_figures(out, rows, matrices, histories, size_rows, options)
    return Study(out, rows, tests, seconds or 0.0, size_rows)


def architecture_gradcheck(sizes: list[int], seed: int, entries: int = 12) -> dict:
    """The largest relative error of backprop against central differences on this architecture (sigmoid,
    random weights and data, TSE and XE), per method."""
    from ..base.seeding import rng
    from ..nn.gradcheck import gradcheck
    from ..nn.network import Network

    generator = rng(seed, "init")
    net = Network.create(sizes, ["sigmoid"] * (len(sizes) - 1), rng=generator)
    X = generator.uniform(0, 1, (sizes[0], 4))
    Y = generator.integers(0, 2, (sizes[-1], 4)).astype(float)
    worst = {}
    for method in ("online", "matrix"):
        errors = [e for cost in ("tse", "xe")
                  for c in gradcheck(net, X, Y, cost, method=method, max_entries=entries, rng=rng(seed, "init"))
                  for e in (c.W_error, c.b_error)]
        worst[method] = max(errors)
    return {"sizes": sizes, "entries_per_array": entries, **worst}


def _positive(student_id: str) -> list[int]:
    from ..data.tasks import parse_id
    return list(parse_id(student_id))


def _flat(row: dict) -> dict:
    """A summary row for CSV: each rate as value, low, high columns."""
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict) and "value" in value:
            low, high = value["ci95"] or (None, None)
            flat.update({key: value["value"], f"{key}_low": low, f"{key}_high": high})
        elif key == "class_balance":
            for split, counts in value.items():
                negative, positive = list(counts.values())
                flat.update({f"{split}_positives": positive, f"{split}_negatives": negative})
        else:
            flat[key] = value
    return flat


def _size_rows(out: Path, options: StudyOptions, rows: list[dict]) -> list[dict]:
    """Test accuracy of configuration 4 trained on each subset size (and on the whole training set)."""
    config, sizes = options.size_curve()
    curve = []
    for n in sizes:
        metrics = json.loads((out / "sizes" / f"{n}" / "metrics.json").read_text())["test"]
        curve.append({"train_size": n, "accuracy": metrics["accuracy"], "ci95": metrics["accuracy_ci95"]})
    full = rows[3]
    n_full = sum(full["class_balance"]["train"].values())
    curve.append({"train_size": n_full, "accuracy": full["accuracy"]["value"], "ci95": full["accuracy"]["ci95"]})
    return curve


def write_study_figures(out: Path, rows, matrices, histories, size_rows, options: StudyOptions) -> None:
    from ..plots import save
    from ..plots.confusion import confusion_figure, confusion_grid
    from ..plots.curves import accuracy_vs_size, study_curves

    classes = list(rows[0]["class_balance"]["test"])  # [negative, positive] names in class order
    grid = []
    for (matrix, label, number), row in zip(matrices, rows):
        cm = np.array([[matrix[1][1], matrix[1][0]], [matrix[0][1], matrix[0][0]]])  # back to class order
        title = f"{number}: {label}"
        save(confusion_figure(cm, classes, positive=1, title=title), out / f"confusion_{number}.png", svg=True)
        grid.append((cm, classes, title))
    save(confusion_grid(grid, positive=1, suptitle=f"ID {options.student_id}: the eight configurations "
                        "(test set)"), out / "confusion_matrices.png")
    save(study_curves(histories, title="learning curves of the eight configurations"),
         out / "learning_curves.png")
    config, _ = options.size_curve()
    save(accuracy_vs_size([r["train_size"] for r in size_rows], [r["accuracy"] for r in size_rows],
                          low=[r["ci95"][0] for r in size_rows], high=[r["ci95"][1] for r in size_rows],
                          title=f"accuracy vs training images: {config.label()}"),
         out / "accuracy_vs_size.png")
