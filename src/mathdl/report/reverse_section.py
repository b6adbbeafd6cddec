"""The report's reverse part: the ID's digits and the digits 0-9 pictured by each method, the mean images
they are compared with, the measurements, the control (the book's network trained the book's way) and
the validity discussion written from the reverse part's own numbers (``mathdl.reverse.discussion``)."""
from __future__ import annotations

import json
from pathlib import Path

from ..base.numbers import count, pct
from ..reverse import METHODS
from ..reverse.discussion import (JUDGE_DESCRIPTION, judge_text, judged, prior_text, read_as_digits, summary_table,
                                  verdict_text, weaknesses)
from .document import Equation, Figure, Heading, Paragraph, Ref, Table, from_markdown, text
from .format import join

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
WEAK = 0.90  # below this test accuracy on the ten digits, a reverse network is called weak
MEANINGFUL = 0.02  # a difference in the share of saturated activations that the comparison takes as real
CONTROL = "book"  # the reverse part's control network's name (``mathdl.study.protocol.BOOK``)


def depth(sizes: list[int]) -> str:
    """'one hidden layer', 'three hidden layers' for layer sizes [n_0, …, n_L]."""
    hidden = len(sizes) - 2
    return f"{NUMBER_WORDS.get(hidden, hidden)} hidden layer{'' if hidden == 1 else 's'}"


def load_reverse(study_dir: Path, summary: dict) -> dict:
    """reverse.json of each ten-output network of the study, by name, with how long and on how many images
    the network trained (from its run directory, when there)."""
    found = {}
    for name, entry in summary.get("reverse", {}).items():
        folder = study_dir / entry["dir"]
        training = {}
        if (folder / "model" / "metrics.json").is_file() and (folder / "model" / "config.json").is_file():
            config = json.loads((folder / "model" / "config.json").read_text())["config"]
            balance = json.loads((folder / "model" / "metrics.json").read_text())["class_balance"]["train"]
            resolved = config["resolved"]
            training = {"epochs": resolved["epochs"], "images": sum(balance.values()),
                        "recipe": _recipe(config, resolved, sum(balance.values()))}
        found[name] = {"dir": entry["dir"], "data": json.loads((folder / "reverse.json").read_text()),
                       "training": training}
    return found


def _recipe(config: dict, resolved: dict, images: int) -> str:
    """How a reverse network was trained, in a few words: 'XE, matrix (batch 16), 10 epochs, η 0.5 decaying,
    60,000 deskewed images shifted ±1 px'."""
    method = resolved["method"] + (f" (batch {resolved['batch_size']})" if resolved["method"] == "matrix" else "")
    eta = f"η {resolved['eta']:g}" + (" decaying" if resolved.get("decay") else " constant")
    treated = ("deskewed " if config.get("deskew") else "raw ") + "images" + (
        f" shifted ±{resolved['augment']} px" if resolved.get("augment") else "")
    return (f"{resolved['cost'].upper()}, {method}, {resolved['epochs']} epochs, {eta}, {count(images)} {treated}"
            + ("" if config.get("bias", True) else ", no biases"))


def _title(name: str, network: dict) -> str:
    if name == CONTROL:
        return f"The control: the book's network ({'-'.join(map(str, network['sizes']))}, trained the book's way)"
    return f"The network with {depth(network['sizes'])}"


def _hidden_saturation(facts: dict) -> float | None:
    """The share of saturated activations over the hidden layers (weighted by their sizes), or None."""
    layers = facts["layers"]
    hidden = [(int(l), v) for l, v in facts["saturated"].items() if int(l) < len(layers)]
    if not hidden:
        return None
    sizes = {s["l"]: s["shape"][0] for s in layers}
    return sum(v * sizes[l] for l, v in hidden) / sum(sizes[l] for l, _ in hidden)


def _output_saturation(facts: dict) -> float | None:
    return facts["saturated"].get(str(len(facts["layers"])))


def reverse_blocks(reverse: dict, student_id: str = "") -> list:
    names = list(reverse)
    blocks = [Heading("Reverse: inside the mind of the network"),
              Paragraph(text(
                  "A binary network can only picture \"ID digit\" against \"not\", so the reverse part trains "
                  "ten-output networks on the digits (sigmoid everywhere, the book's input scaling and 0.01/0.99 "
                  "targets) with one and with three hidden layers, and asks each, for every digit d, for an "
                  "image it maps to d: by backquery (inverse activation, Wᵀ, rescaling, layer by layer down to "
                  f"the pixels), by the same chain with the pseudo-inverse W⁺, by {METHODS['optimize']}: "
                  "gradient ascent on the input for the log-likelihood of d with an L2 and a total-variation "
                  "penalty, and as the most probable image of d under a Gaussian prior over all the training images "
                  "(below). Each image is then measured by the network itself, by an independent judge, against "
                  "the mean training image of the digit and against the nearest training image." + (
                      " Before criticising backquery, the part runs it on a control too: the book's own network, "
                      "trained the book's way, where backquery is known to give digit-like pictures."
                      if CONTROL in reverse else "")))]
    blocks += _judge_and_prior_blocks(reverse)
    blocks.append(_comparison_table(reverse))
    if CONTROL in reverse:
        blocks.append(Paragraph(_comparison_text(reverse)))
    first = reverse[names[0]]
    if first["data"]["files"].get("means_figure"):
        blocks.append(Figure(f"{first['dir']}/{first['data']['files']['means_figure']}",
                             "The mean training image of each digit, in the input scale of the reverse part's "
                             "study networks: the images each picture is correlated with (r).", label="fig-means"))
    for name, entry in reverse.items():
        blocks += _network_blocks(name, entry, student_id)
    return blocks


def _comparison_table(reverse: dict) -> Table:
    rows = []
    for name, entry in reverse.items():
        data = entry["data"]
        network, facts, summary = data["network"], data["facts"], data["summary"]
        bq = summary.get("backquery")
        hidden, output = _hidden_saturation(facts), _output_saturation(facts)
        rows.append(("the book's (control)" if name == CONTROL else depth(network["sizes"]),
                     "-".join(map(str, network["sizes"])) + ": " + (entry.get("training") or {}).get(
                         "recipe", network.get("label", "")),
                     pct(network.get("test_accuracy")) if network.get("test_accuracy") is not None else "—",
                     f"{bq['correct']}/{bq['images']}" if bq else "—",
                     f"{bq['corr_mean']:.2f}" if bq and bq["corr_mean"] is not None else "—",
                     pct(hidden, 1) if hidden is not None else "—", pct(output, 1) if output is not None else "—"))
    return Table(("network", "layers and training", "test acc.", "backquery right", "r", "saturated: hidden", "output"),
                 tuple(rows),
                 "Backquery on each reverse network: the images of the ten digits the network classifies as "
                 "intended, their mean correlation r with the mean images, and the share of the activations on "
                 "the training images (at most 10,000 of them, evenly spread) outside [0.01, 0.99], where the rescaled "
                 "query cannot reach (hidden layers together, and the output layer).", align="llrrrrr", size="7.5pt", label="tab-reverse-networks")


def _comparison_text(reverse: dict) -> tuple:
    """What the control shows, from the numbers: backquery's success beside the hidden layers' saturation
    (the share of activations outside the band the rescaled query can ask for)."""
    control = reverse[CONTROL]["data"]
    c_bq = control["summary"].get("backquery")
    others = {n: e["data"] for n, e in reverse.items() if n != CONTROL and "backquery" in e["data"]["summary"]}
    if not c_bq or not others:
        return text("Backquery did not run on the control, or on no study network: nothing to compare.")
    c_hidden, c_out = _hidden_saturation(control["facts"]), _output_saturation(control["facts"])
    words = [f"On the control, backquery gives {c_bq['correct']} of 10 images the network classifies as intended "
             f"(r = {c_bq['corr_mean']:.2f} with its mean images); on the study's networks "
             + join([f"{o['summary']['backquery']['correct']} of 10 (r = {o['summary']['backquery']['corr_mean']:.2f}, "
                     f"{depth(o['network']['sizes'])})" for o in others.values()]) + ". "]
    better = [o for o in others.values() if c_bq["correct"] > o["summary"]["backquery"]["correct"]]
    hidden = {n: _hidden_saturation(o["facts"]) for n, o in others.items()}
    if c_hidden is not None and all(h is not None for h in hidden.values()):
        words.append(f"The control's hidden layer drives {pct(c_hidden, 1)} of its activations on the training "
                     "images outside [0.01, 0.99], the band the rescaled query can ask for; the study's networks "
                     + join([f"{pct(hidden[n], 1)} ({depth(o['network']['sizes'])})" for n, o in others.items()])
                     + ". ")
        explained = [o for n, o in others.items() if o in better and hidden[n] - c_hidden >= MEANINGFUL]
        if better and len(explained) == len(better):
            words += ["Where backquery does worse, the hidden units sit more often in the flat tails of the "
                         "sigmoid: there a query confined to [0.01, 0.99] cannot ask for what the unit actually "
                         "does, and the image it gives is not one the network reads as the digit. The networks were "
                         "trained differently (", Ref("tab-reverse-networks"), "), and the recipe is what drives "
                         "units into the tails: cross-entropy's output delta a − y keeps pushing an output that is "
                         "already right, while TSE's carries σ'(z) and fades as a unit saturates. "]
        elif better:
            words.append(f"The hidden layers' saturation does not explain the difference here: not every network "
                         f"on which backquery does worse has clearly more saturated units (by {100 * MEANINGFUL:.0f} "
                         "points or more) than the control. ")
        else:
            words.append("Backquery does no better on the control here, so saturation has nothing to explain. ")
    if c_out is not None:
        words.append(f"The output layer's share ({pct(c_out, 1)} for the control) says little: with the targets 0.01 "
                     "and 0.99 a trained output sits near 0.01 for nine digits of ten, inside or just outside the "
                     "band. ")
    words.append("The book's network also sees raw, not deskewed, images, so its mean images, and with them its "
                 "correlations r, are not exactly comparable with the others'.")
    return text(*words)


def _network_blocks(name: str, entry: dict, student_id: str) -> list:
    data = entry["data"]
    network = data["network"]
    digits = data["id_digits"]
    accuracy = network.get("test_accuracy")
    blocks = [Heading(_title(name, network), 2)]
    intro = [f"It classifies {pct(accuracy)} of the test digits correctly; how it was trained is in ",
             Ref("tab-reverse-networks"), "."]
    training = entry.get("training") or {}
    if accuracy is not None and accuracy < WEAK:
        intro.append(f" This network is weak (below {pct(WEAK, 0)}): its images show what an undertrained network "
                     "has learnt, not what the methods can do" + (
                         f"; it trained {training['epochs']} epoch{'s' * (training['epochs'] != 1)} on "
                         f"{count(training['images'])} images" if training else "") + ".")
    blocks.append(Paragraph(text(*intro)))
    repeated = [d for d in dict.fromkeys(digits) if digits.count(d) > 1]
    blocks.append(Figure(f"{entry['dir']}/{data['files']['id_figure']}",
                         f"The digits of ID {data['student_id']} in order, pictured by each method; under each "
                         "image the class the network assigns to it and its output for the intended digit"
                         + ("; below, the class the independent judge reads and its share of votes for the digit"
                            if judged(data) else "") + "; each method's row on its own intensity scale, at the "
                         "right." + (
                             f" A digit that occurs more than once ({join([str(d) for d in repeated])}) is the same "
                             "query each time, so it shows the same image: the chains are deterministic and the "
                             "ascent for a digit starts from that digit's own seeded generator." if repeated else ""),
                         label=f"fig-reverse-id-{name}"))
    rows = []
    with_judge = judged(data)
    for method in data["settings"]["methods"]:
        cells = []
        for d in dict.fromkeys(digits):
            m = next(i for i in data["images"] if i["method"] == method and i["digit"] == d)
            r = "—" if m["corr_mean"] is None else f"{m['corr_mean']:.2f}"
            cells.append(f"{m['predicted']} / {m['output']:.2f} / " + (f"{m['judge_class']} / " if with_judge else "")
                         + r)
        s = data["summary"][method]
        rows.append((METHODS.get(method, method), *cells, f"{s['correct']}/{s['images']}"
                     + (f", {s['judge_correct']}/{s['images']}" if with_judge else "")))
    blocks.append(Table(("method", *[f"digit {d}" for d in dict.fromkeys(digits)],
                         "all ten right: network" + (", judge" if with_judge else "")),
                        tuple(rows), "For each ID digit: the class the network assigns to the image / its "
                        "output for the digit / " + ("the class the judge reads / " if with_judge else "")
                        + "the correlation r with the mean training image of the digit; last column: images of "
                        "the ten digits the network " + ("and the judge read" if with_judge else "classifies")
                        + " as intended.", align="l" + "r" * (len(rows[0]) - 1), size="8pt"))
    if data["files"].get("grid_figure"):
        blocks.append(Figure(f"{entry['dir']}/{data['files']['grid_figure']}",
                             "The digits 0-9 pictured by each method, as above.", label=f"fig-reverse-grid-{name}"))
    measurements = from_markdown("\n".join(summary_table(data)), level=3,
                                 table_caption=f"Measurements of the ten digits' images ({_short(name, network)}).")
    blocks.extend(measurements)
    if with_judge:
        words = judge_text(data, description=False)
        if "prior" in data["summary"] and data["settings"].get("prior"):
            words += "\n" + prior_text(data, derivation=False)
        blocks.extend(from_markdown(words + "\n" + verdict_text(data), level=3))
    blocks.extend(b for b in from_markdown(weaknesses(data), level=3) if not isinstance(b, Heading))
    return blocks


def _judge_and_prior_blocks(reverse: dict) -> list:
    """The judge and the Gaussian prior's inversion, described once with the gradient; the table of what the judge
    reads of each method's images on each network, and which methods it reads as the digits."""
    judged_networks = {name: e["data"] for name, e in reverse.items() if judged(e["data"])}
    if not judged_networks:
        return []
    first = next(iter(judged_networks.values()))
    judge = first["judge"]
    blocks = [_md(
        "**An independent judge.** " + JUDGE_DESCRIPTION.format(k=judge["k"], N=judge["training_images"])
        + f" A picture counts as a near-copy of a training image when it is closer to one of its digit than "
        f"{100 * (1 - judge['quantile']):g}% of new handwritten digits are (the {judge['quantile']:g} quantile of "
        "the distances of a sample of test images to their nearest training image of their digit): a copy is "
        "no picture of the digit either. A high correlation r with the mean image does not show a digit on its "
        "own: the mean of all the training images, which shows none, correlates with the ten mean images at r = "
        f"{judge['overall_mean_corr_mean']:.2f} on average; the correlation of the deviations, "
        r"$r(x - \mu, \bar x_d - \mu)$, asks whether what a picture adds to that overall mean is what the digit's "
        "mean adds.")]
    if any("prior" in d["summary"] for d in judged_networks.values()):
        blocks += [
            _md(
                "**Inversion with a Gaussian prior.** Backquery and the ascent ask only the network; a prior over "
                "images also asks what images look like. With $\\mu$ and $\\Sigma$ the mean and covariance of "
                "all the training images (every digit: the digit's own would copy the answer), regularised by "
                r"$\varepsilon = \Delta^2 / 12$, the variance of rounding to 256 grey levels of step $\Delta$, the "
                "image of digit d maximises"),
            Equation.tex(r"J(x) = \log p(d \mid x) + \lambda \log \mathcal{N}(x; \mu, \Sigma_\varepsilon),"
                         r" \quad \Sigma_\varepsilon = \Sigma + \varepsilon I", label="eq-prior"),
            _md(
                r"where $\log p(d \mid x) = -C_x$ is the network's log-likelihood of d (the cost of x against the "
                "one-hot target). Its gradient is one line beside backprop's:"),
            Equation.tex(r"\nabla_x J = -\frac{\partial C_x}{\partial x} - \lambda \Sigma_\varepsilon^{-1} (x - \mu)"
                         r" = -W^{(1)\top} \delta^{(1)} - \lambda \Sigma_\varepsilon^{-1} (x - \mu)", label="eq-prior-grad"),
            _md(
                r"since $\log \mathcal{N}(x; \mu, \Sigma_\varepsilon) = -\tfrac{1}{2} (x - \mu)^\top "
                r"\Sigma_\varepsilon^{-1} (x - \mu) - \tfrac{1}{2} \log \det (2 \pi \Sigma_\varepsilon)$: the "
                "prior pulls towards $\\mu$, hardest along the directions in which the training images vary least. "
                r"With the eigen-decomposition $\Sigma_\varepsilon = U D U^\top$ the ascent runs in the whitened "
                r"coordinates $u$, where the prior is a round bowl, $-\tfrac{1}{2} \|u\|^2$, and every direction is "
                "as easy to move along as the training images vary in it:"),
            Equation.tex(r"x = \mu + U D^{1/2} u, \quad \nabla_u J = D^{1/2} U^\top \nabla_x \log p(d \mid x) "
                         r"- \lambda u", label="eq-prior-white"),
            _md(
                "It starts at $u = 0$ (the mean image $\\mu$) and steps up the gradient, the step grown by a "
                "quarter after a step that raised J and halved when one would lower it; the pixels are clipped to "
                r"their range at the end. λ = 1 is Bayes' rule, $p(x \mid d) \propto p(d \mid x)\, p(x)$, with the "
                "Gaussian as p(x): the image is then the most probable one given the digit. The network's "
                "log-likelihood is not a calibrated probability, and from λ = 1 the ascent can stop where the network "
                "does not read the picture as its digit; so λ is halved while the network itself does not assign "
                "every picture its own digit. One λ serves all ten digits of a network, and the judge plays no part "
                "in choosing it.")]
    rows = []
    methods = list(dict.fromkeys(m for d in judged_networks.values() for m in d["summary"]))
    for name, data in judged_networks.items():
        summary = data["summary"]
        rows.append((_short(name, data["network"]), pct(data["judge"].get("accuracy"), 1),
                     *[f"{summary[m]['judge_correct']}/{summary[m]['images']}, r {summary[m]['corr_mean']:.2f}"
                       if m in summary and summary[m]["corr_mean"] is not None else "—" for m in methods]))
    blocks.append(Table(("network", "judge's test acc.", *[METHODS.get(m, m) for m in methods]), tuple(rows),
                        "What the independent judge reads: for each network and method, the images of the ten digits "
                        "it reads as intended, and their mean correlation r with the mean images. The judge is "
                        "fitted on each network's own training images (the control's are not deskewed).",
                        align="ll" + "r" * len(methods), size="7.5pt", label="tab-reverse-judge"))
    verdicts = []
    for name, data in judged_networks.items():
        good = read_as_digits(data)
        verdicts.append(f"{_short(name, data['network'])}: "
                        + (join([METHODS.get(m, m) for m in good]) if good else "none"))
    bar = first["settings"].get("read_as_digits", {})
    blocks.append(Paragraph(text(
        "Which methods make pictures something other than their own network reads as the digits (the judge reads at "
        f"least {100 * bar.get('judge_share', 0.9):g}% of them as intended, their mean r is at least "
        f"{bar.get('corr_mean', 0.7):g} and none is a near-copy of a training image): " + "; ".join(verdicts) + ".")))
    return blocks


def _md(markdown: str) -> Paragraph:
    """One paragraph of Markdown with **bold** and $maths$."""
    return from_markdown(markdown)[0]


def _short(name: str, network: dict) -> str:
    return "the control" if name == CONTROL else depth(network["sizes"])
