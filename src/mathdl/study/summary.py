"""Summarising a study from its files alone (so it can be re-summarised without retraining):
summary.json and summary.csv (one row per configuration, its network of the study's seed), mcnemar.csv
(the twelve tests for every seed, with Holm's adjustment over all of them), and the study's figures.
With several seeds also runs.csv (every run), seeds.csv (each configuration's mean, standard deviation
and t-interval over the seeds), effects.csv (the factorial analysis) and their figures.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..base.files import write_csv, write_json
from ..evaluation.factorial import T_INTERVAL, factorial, t_interval
from ..evaluation.metrics import holm, mcnemar
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
    replicates = _replicates(out, options)
    family = _mcnemar_family(out, options, correct)
    tests = [t for t in family if t["seed"] == options.seed]
    size_rows = _size_rows(out, options, rows)
    reverse = {}
    for name, _ in options.reverse_configs():
        data = json.loads((out / "reverse" / name / "reverse.json").read_text())
        folder = Path("reverse") / name  # every path in summary.json is relative to the study directory
        reverse[name] = {"network": {**data["network"], "model": str(folder / "model")}, "summary": data["summary"],
                         "judge": data.get("judge", {}), "prior": data["settings"].get("prior"), "dir": str(folder)}
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
               "mcnemar_test": "exact two-sided binomial test on the discordant pairs, and the mid-p value; "
                               f"Holm's adjustment over the family of all {len(family)} tests "
                               f"({len(COMPARISONS)} comparisons × {options.seeds} seed{'s' if options.seeds > 1 else ''})",
               "mcnemar_family": family, "wall_seconds": seconds}
    if options.seeds > 1:
        summary["seeds"] = seed_summary(replicates, options)
        summary["factorial"] = {response: factorial(replicates, response) for response in RESPONSES}
    write_json(out / "summary.json", summary)
    write_csv(out / "summary.csv", [_flat(r) for r in rows])
    write_csv(out / "mcnemar.csv", family)
    write_study_figures(out, rows, matrices, histories, size_rows, options)
    if options.seeds > 1:
        write_seed_files(out, summary, replicates)
    return Study(out, rows, tests, seconds or 0.0, size_rows, summary)


RATES = ("accuracy", "sensitivity", "specificity", "precision", "npv", "f1", "mcc")
RESPONSES = ("accuracy", "sensitivity", "specificity")  # the factorial analysis's


def _replicates(out: Path, options: StudyOptions) -> list[dict]:
    """One row per run of the eight configurations over the seeds: its factors, counts and rates."""
    rows = []
    for number, name, seed, config in options.replicates():
        metrics = json.loads((out / "runs" / name / "metrics.json").read_text())
        test = metrics["test"]
        rows.append({"number": number, "seed": seed, "run_dir": str(Path("runs") / name), "cost": config.cost,
                     "method": config.method, "depth": len(config.hidden),
                     **{k: test[k] for k in ("tp", "fn", "fp", "tn")}, **{rate: test[rate] for rate in RATES},
                     "train_seconds": metrics["train_seconds"]})
    return rows


def _mcnemar_family(out: Path, options: StudyOptions, first: dict[int, np.ndarray]) -> list[dict]:
    """McNemar's test of every comparison for every seed, with Holm-adjusted p-values over all of them."""
    tests = []
    for seed in options.seed_list():
        correct = first if seed == options.seed else {
            number: np.equal(*load_predictions(out / "runs" / options.run_name(name, seed)))
            for number, name, _ in options.configs(seed)}
        for question, a, b in COMPARISONS:
            t = mcnemar(correct[a], correct[b])
            tests.append({"seed": seed, "question": question, "a": a, "b": b, "accuracy_a": float(correct[a].mean()),
                          "accuracy_b": float(correct[b].mean()), "a_right_b_wrong": t.b, "a_wrong_b_right": t.c,
                          "p_exact": t.p_exact, "p_mid": t.p_mid})
    for p in ("p_exact", "p_mid"):
        for test, adjusted in zip(tests, holm([t[p] for t in tests])):
            test[f"{p}_holm"] = adjusted
    return tests


def seed_summary(replicates: list[dict], options: StudyOptions) -> dict:
    """Each configuration's rates over the seeds: the values, mean, standard deviation and t-interval."""
    configurations = []
    for number, name, config in options.configs():
        runs = [r for r in replicates if r["number"] == number]
        configurations.append({"number": number, "name": name, "cost": config.cost, "bp": config.method,
                               "hidden_layers": len(config.hidden),
                               **{rate: {**t_interval([r[rate] for r in runs if r[rate] is not None],
                                                      bounds=(-1.0, 1.0) if rate == "mcc" else (0.0, 1.0)),
                                         "values": [r[rate] for r in runs]} for rate in RATES}})
    return {"seeds": options.seed_list(), "interval": T_INTERVAL, "configurations": configurations}


def write_seed_files(out: Path, summary: dict, replicates: list[dict]) -> None:
    """runs.csv, seeds.csv, effects.csv and the figures seeds.png and effects.png."""
    from ..plots import save
    from ..plots.factorial import effects_figure, seeds_figure

    write_csv(out / "runs.csv", replicates)
    rows = []
    for c in summary["seeds"]["configurations"]:
        row = {k: c[k] for k in ("number", "name", "cost", "bp", "hidden_layers")}
        for rate in RATES:
            low, high = c[rate]["ci95"] or (None, None)
            row.update({f"{rate}_mean": c[rate]["mean"], f"{rate}_sd": c[rate]["sd"], f"{rate}_low": low,
                        f"{rate}_high": high})
        rows.append(row)
    write_csv(out / "seeds.csv", rows)
    write_csv(out / "effects.csv", [{"response": response, "term": e["term"], "contrast": e["contrast"] or "",
                                     "effect": e["effect"], "low": e["ci95"][0], "high": e["ci95"][1],
                                     "se": e["se"], "t": e["t"], "p": e["p"], "df_resid": f["df_resid"]}
                                    for response, f in summary["factorial"].items() for e in f["effects"]])
    k = len(summary["seeds"]["seeds"])
    labels = [f"{r['layers']}, {r['cost'].upper()}, {r['bp']}, {r['epochs']} ep, η={r['eta']:g}"
              for r in summary["configurations"]]
    save(seeds_figure(summary["seeds"]["configurations"], labels,
                      title=f"test accuracy of the eight configurations over {k} seeds"), out / "seeds.png")
    save(effects_figure(summary["factorial"], title=f"factorial effects over {k} seeds (95% intervals)"),
         out / "effects.png")


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
