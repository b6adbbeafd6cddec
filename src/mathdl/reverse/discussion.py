"""The validity discussion of the reverse images, written from their measurements.

``explanation(data)`` takes the content of reverse.json (``Reverse.to_dict`` plus the ID) and returns
Markdown: a table per method (``summary_table``), then one paragraph per weakness of backquery's
mathematics (``weaknesses``), each stating the numbers measured on this network. Nothing is canned: a
claim the numbers do not support for this network is not made, and a method that was not run is said
to be missing. Mathematics is written as inline LaTeX (``$a_d$``), which Markdown viewers and the
report typeset.
"""
from __future__ import annotations

import numpy as np

from ..nn.activations import get_activation
from .judge import needed

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _W(l: int) -> str:
    return f"W⁽{str(l).translate(SUPERSCRIPT)}⁾"


def _n(v, digits: int = 2) -> str:
    """A number for prose: fixed digits, or scientific when tiny or huge."""
    if v is None:
        return "undefined"
    v = float(v)
    if v != 0 and (abs(v) < 10 ** -digits or abs(v) >= 1e5):
        return f"{v:.1e}"
    return f"{v:.{digits}f}"


def _pct(v) -> str:
    return f"{100 * v:.1f}%"


def _median(values) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def _by_layer(images: list, key: str) -> dict[int, list]:
    """{l: [the value of ``key`` of layer step l for every image]}."""
    out: dict[int, list] = {}
    for m in images:
        for step in m.get("layers", []):
            out.setdefault(step["l"], []).append(step[key])
    return out


def _layer_list(values: dict[int, float], fmt=_n, where=lambda l: f"for {_W(l)}") -> str:
    """'26.00 for W⁽²⁾, 35.33 for W⁽¹⁾': values by layer, from the top down."""
    return ", ".join(f"{fmt(v)} {where(l)}" for l, v in sorted(values.items(), reverse=True))


def _images(facts: dict) -> str:
    """The training images the activations were counted on: "10,000 of the training images (evenly spread)"."""
    n = facts.get("activation_images")
    return "the training images" if n is None else f"{n:,} of the training images (evenly spread)"


def _name(method: str) -> str:
    """The method's name as every table and sentence gives it ("pseudo-inverse (W⁺)")."""
    from . import METHODS
    return METHODS.get(method, method)


def summary_table(data: dict) -> list[str]:
    """Markdown rows: per method, the images the network and the judge classify as intended, the output, r, r of
    the deviations from μ, the nearest training image and the output error."""
    judged_ = judged(data)
    rows = ["| method | network: as intended | output $a_d$: median (min) | "
            + ("judge: as intended (mean $\\hat p$) | " if judged_ else "")
            + "$r$ with mean image: mean | " + ("$r$ of deviations: mean | nearest training image: min distance | "
                                                if judged_ else "")
            + r"$\max_j \lvert a_j (x) - y_j \rvert$: median |",
            "|---|---|---|" + ("---|---|---|---|" if judged_ else "---|") + "---|"]
    for method, s in data["summary"].items():
        images = [m for m in data["images"] if m["method"] == method]
        errors = [m["max_error"] for m in images if "max_error" in m]
        cells = [_name(method), f"{s['correct']}/{s['images']}", f"{_n(s['output_median'])} ({_n(s['output_min'])})"]
        if judged_:
            cells.append(f"{s['judge_correct']}/{s['images']} ({_n(s['judge_probability_mean'])})")
        cells.append(_n(s["corr_mean"]))
        if judged_:
            copies = s["near_copies"]
            cells += [_n(s["corr_deviation_mean"]), _n(s["nearest_distance_min"])
                      + ("" if not copies else f" ({copies} near-cop{'y' if copies == 1 else 'ies'})")]
        cells.append(_n(_median(errors)) if errors else "—")
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def read_as_digits(data: dict) -> list[str]:
    """The methods whose images meet ``settings.read_as_digits`` (the judge reads enough of them as intended,
    their mean r is high enough, none is a near-copy)."""
    return [m for m, s in data["summary"].items() if s.get("read_as_digits")]


def judged(data: dict) -> bool:
    """Did the judge read every method's images?"""
    return bool(data.get("judge")) and all("judge_correct" in s for s in data["summary"].values())


JUDGE_DESCRIPTION = (
    "The network that made an image is no fair judge of it: an image can be made to please one network without "
    "looking like anything. So every image is read too by a classifier of another kind that shares nothing with "
    "the network and never sees it: the {k} training images nearest to it (Euclidean distance, among all "
    r"{N:,}) vote, and its $\hat p$ for the digit is the share of votes for it.")


def judge_text(data: dict, *, description: bool = True) -> str:
    """Markdown: what the judge is (when ``description``), how well it reads, what r alone shows, and the
    near-copy distance."""
    judge, settings = data["judge"], data["settings"]
    para = "**An independent judge.** " + (JUDGE_DESCRIPTION.format(k=judge["k"], N=judge["training_images"])
                                           if description else f"The judge ({judge['k']} nearest training images)")
    if judge.get("accuracy") is not None:
        low, high = judge["accuracy_ci95"]
        para += ((" On" if description else " reads, on") + f" {judge['test_images']:,} test images "
                 f"({judge['test_images'] // len(judge['copy_distance'])} of each digit)"
                 + (" it reads " if description else ", ") + f"{_pct(judge['accuracy'])} right (95% interval "
                 f"{_pct(low)} to {_pct(high)})")
    para += f"; it reads {judge['means_read_right']} of the ten mean images as their own digit."
    if judge.get("overall_mean_corr_mean") is not None and description:
        para += (" A high $r$ with the mean image does not show a digit on its own: the mean of all the training "
                 "images, which shows none, correlates with the ten mean images at $r$ = "
                 f"{_n(judge['overall_mean_corr_mean'])} on average. The correlation of the deviations, "
                 r"$r(x - \mu, \bar x_d - \mu)$, asks whether what a picture adds to that overall mean $\mu$ is what "
                 "the digit's mean adds.")
    if judge.get("copy_distance"):
        copies = [c for c in judge["copy_distance"] if c is not None]
        q = judge["quantile"]
        para += ((" A picture is no success either if it copies one training image: it counts as a near-copy "
                  f"when it is closer to a training image of its digit than {100 * (1 - q):g}% of new handwritten "
                  f"digits are (the {q:g} quantile of the test images' distances to their nearest training image of "
                  "their digit: " if description else " The near-copy distances are ")
                 + f"{_n(min(copies))} to {_n(max(copies))} over the digits, for pixels from "
                 f"{_n(settings['input_range'][0])} to {_n(settings['input_range'][1])}" + (")." if description else "."))
    return para + "\n"


PRIOR_DERIVATION = (
    "With $\\mu$ and $\\Sigma$ the mean and covariance of all the training images (every digit: the digit's own "
    r"would copy the answer), regularised as $\Sigma_\varepsilon = \Sigma + \varepsilon I$ with "
    r"$\varepsilon = \Delta^2 / 12$, the variance of rounding to 256 grey levels of step $\Delta$, the image of "
    r"digit d maximises $J(x) = \log p(d \mid x) + \lambda \log \mathcal{N}(x; \mu, \Sigma_\varepsilon)$, whose "
    r"gradient is $\nabla_x J = -W^{(1)\top} \delta^{(1)} - \lambda \Sigma_\varepsilon^{-1} (x - \mu)$: the "
    r"first term is backprop's $\partial C / \partial x$ with its sign turned, the second the prior's pull towards "
    "$\\mu$, strongest along the directions in which the training images vary least. In the whitened "
    r"coordinates $u$, $x = \mu + U D^{1/2} u$ with $\Sigma_\varepsilon = U D U^\top$, the prior is "
    r"$-\tfrac{1}{2} \|u\|^2$ up to a constant and $\nabla_u J = D^{1/2} U^\top \nabla_x \log p(d \mid x) - "
    r"\lambda u$: a round bowl, which the ascent climbs from $u = 0$ ($x = \mu$). λ = 1 is Bayes' rule, "
    r"$p(x \mid d) \propto p(d \mid x)\, p(x)$; λ is halved while the network itself does not assign every image "
    "its own digit (one λ for all ten digits; the judge plays no part).")


def prior_text(data: dict, *, derivation: bool = True) -> str:
    """Markdown: the Gaussian prior's inversion (its derivation when ``derivation``) and its numbers here."""
    s, p = data["summary"]["prior"], data["settings"]["prior"]
    tried = ", ".join(f"{w:g}" for w in p["tried"])
    return ("**Inversion with a Gaussian prior.** Backquery and the ascent ask only the network; a prior over "
            "images also asks what images look like. " + (PRIOR_DERIVATION + " " if derivation else "")
            + f"Here ε = {p['epsilon']:.2e}, at most {p['steps']} steps, and λ = {p['weight']:g} (tried {tried}). "
            f"The network assigns {s['correct']} of the {s['images']} images their digit (output $a_d$ at least "
            f"{_n(s['output_min'])}), the judge reads {s['judge_correct']} as intended (mean $\\hat p$ "
            f"{_n(s['judge_probability_mean'])}); $r$ = {_n(s['corr_mean'])} on average, $r$ of the deviations "
            f"{_n(s['corr_deviation_mean'])}, and the nearest training image of the digit is at least "
            f"{_n(s['nearest_distance_min'])} away.\n")


def verdict_text(data: dict) -> str:
    """Markdown: which methods make images something other than their network reads as the digit."""
    summary, bar = data["summary"], data["settings"].get("read_as_digits", {})
    good = read_as_digits(data)
    images = max(s["images"] for s in summary.values())
    others = ", ".join(f"{_name(m)} {s['judge_correct']}/{s['images']} ($r$ = {_n(s['corr_mean'])})"
                       for m, s in summary.items() if m not in good)
    return ("**Which pictures something other than their network reads as the digit.** Asked that the judge read "
            f"at least {needed(bar.get('judge_share', 0.9), images)} of the {images} images as intended, "
            f"with a mean $r$ of at least {bar.get('corr_mean', 0.7):g} and no near-copy: "
            + (" and ".join(_name(m) for m in good) + (" does" if len(good) == 1 else " do") if good else "no method does")
            + "." + (f" The judge reads the others' images as intended far less often: {others}." if others else "")
            + "\n")


def judge_and_prior(data: dict) -> str:
    """Markdown: ``judge_text``, ``prior_text`` (when the prior ran) and ``verdict_text``; empty without the judge."""
    if not judged(data):
        return ""
    parts = [judge_text(data)]
    if "prior" in data["summary"] and data["settings"].get("prior"):
        parts.append(prior_text(data))
    parts.append(verdict_text(data))
    return "\n".join(parts)


def explanation(data: dict) -> str:
    """Markdown: where backquery's mathematics is weak, with this network's numbers (see the module)."""
    net, settings = data["network"], data["settings"]
    lo, hi = settings["target_levels"]
    sizes = "-".join(map(str, net["sizes"]))
    acts = "/".join(dict.fromkeys(net["activations"]))
    text = ["## Reverse: the network run backwards, and where backquery's mathematics is weak", "",
            f"Network {net.get('label') or f'{sizes} ({acts})'}. Each chain queries "
            f"the target $y_d$ = {hi} for digit d and {lo} for the others; the images are measured by the network "
            "itself (the class it assigns, its output $a_d$ for the intended digit) and by Pearson's $r$ with the "
            "mean training image of the digit.", "", *summary_table(data), "", judge_and_prior(data), weaknesses(data)]
    return "\n".join(text).rstrip() + "\n"


def weaknesses(data: dict) -> str:
    """Markdown paragraphs, one per weakness of backquery's mathematics, with this network's numbers."""
    net, facts, settings = data["network"], data["facts"], data["settings"]
    summary = data["summary"]
    images = {m: [i for i in data["images"] if i["method"] == m] for m in summary}
    layers = facts["layers"]
    acts = "/".join(dict.fromkeys(net["activations"]))
    text = []

    shapes = ", ".join(f"{_W(s['l'])} is {s['shape'][0]}×{s['shape'][1]} (rank {s['rank']})" for s in layers)
    wide = [s for s in layers if s["shape"][0] < s["shape"][1]]
    tall = [s for s in layers if s["shape"][0] > s["shape"][1]]
    para = f"**A non-square W has no inverse.** {shapes}."
    if wide:
        para += (" Where W has fewer rows than columns, W a = c has a whole affine space of solutions a, of "
                 + ", ".join(f"dimension {s['null_dim']} for {_W(s['l'])}" for s in wide)
                 + "; a chain picks one of them by formula, not by asking which one looks like a digit.")
    if tall:
        para += (" Where W has more rows than columns (" + ", ".join(_W(s["l"]) for s in tall) + "), W a = c has "
                 "in general no solution at all; the chain can only approximate it.")
    if not wide and not tall:
        para += " Every W is square here, so each layer can be undone exactly where W is invertible."
    text += [para, ""]

    sigma = ", ".join(f"{_n(s['sigma_min'])} to {_n(s['sigma_max'])} for {_W(s['l'])}" for s in layers)
    para = ("**Wᵀ is the adjoint of W, not its inverse.** Sent back up, Wᵀc does not give c: with the singular "
            r"value decomposition $W = U D V^\top$, $W W^\top = U D^2 U^\top$ scales the i-th singular direction by "
            f"$d_i^2$, and the singular values $d_i$ run from {sigma}.")
    if images.get("backquery"):
        res = {l: _median(v) for l, v in _by_layer(images["backquery"], "residual").items()}
        para += (r" Before any rescaling, the relative error $\|W W^\top c - c\| / \|c\|$ of backquery is "
                 f"{_layer_list(res)} (median over the digits)")
        if images.get("pinv"):
            res_p = {l: _median(v) for l, v in _by_layer(images["pinv"], "residual").items()}
            para += f"; with the pseudo-inverse W⁺ it is {_layer_list(res_p, lambda v: f'{v:.1e}')}"
        para += "."
    if images.get("pinv"):
        r_p = summary["pinv"]["corr_mean"]
        para += (" W⁺ solves each layer exactly where W has full row rank, but it divides by $d_i$ where Wᵀ multiplies, "
                 f"so it magnifies the weakest directions of {_W(1)} by up to "
                 f"{_n(layers[0]['sigma_max'] / layers[0]['sigma_min'], 1)}× "
                 f"relative to the strongest; its images correlate with the mean images at $r$ = {_n(r_p)} on average")
        r_b = summary["backquery"]["corr_mean"] if "backquery" in summary else None
        if r_p is not None and r_b is not None:
            para += f" ({'more' if r_p > r_b else 'less'} than backquery's {_n(r_b)})"
        para += "."
    text += [para, ""]

    inv = facts["invisible"]
    first = layers[0]
    n_0, n_1 = first["shape"][1], first["shape"][0]
    if first["null_dim"]:
        text += [f"**Information is lost from {n_0} to {n_1} dimensions.** {_W(1)} maps {n_0} pixels to {n_1} "
                 f"values, so the {first['null_dim']}-dimensional null space of {_W(1)} changes nothing the network "
                 f"computes. Of the training images' energy Σ‖x‖², {_pct(inv['training_images'])} lies in that null space "
                 f"({_pct(min(inv['mean_images']))} to {_pct(max(inv['mean_images']))} for the mean "
                 "images of the digits); no method can recover that part from the outputs. A backquery image lies "
                 f"in the row space of {_W(1)} plus the constant the rescaling adds.", ""]
    else:
        text += [f"**Information loss.** {_W(1)} has rank {first['rank']} = $n_0$ = {n_0}: no input direction is "
                 "invisible to the first layer here; what is lost, is lost in the later layers and the saturated "
                 "units below.", ""]

    if images.get("backquery"):
        bq = images["backquery"]
        before = _by_layer(bq, "range_before")
        ranges = ", ".join(f"[{_n(min(r[0] for r in before[l]))}, {_n(max(r[1] for r in before[l]))}] into "
                           + (f"layer {l - 1}" if l > 1 else "the input") for l in sorted(before, reverse=True))
        scales = _by_layer(bq, "scale")
        after = {l: _median(v) for l, v in _by_layer(bq, "residual_rescaled").items()}
        forward = {l - 1: _median([v for v in vals if v is not None])
                   for l, vals in _by_layer(bq, "corr_forward").items() if any(v is not None for v in vals)}
        s = summary["backquery"]
        para = ("**The rescaling is a heuristic.** Before rescaling, the values backquery sends down span "
                f"{ranges} (over the ten digits), outside the open ranges where the inverse activations are "
                "defined; the rescaling maps each onto the inner 98% of the range with slopes "
                f"{_n(min(min(v) for v in scales.values()), 3)} to {_n(max(max(v) for v in scales.values()), 3)} "
                "and a shift. "
                r"It does not keep the layers' equations: afterwards $\|W a - c\| / \|c\|$ is "
                f"{_layer_list(after)} (median)")
        if forward:
            para += (", and the activations the forward pass of the image produces correlate with those queried at $r$ = "
                     f"{_layer_list(forward, where=lambda l: f'in layer {l}')} (median)")
        para += (r". The forward pass misses the queried output by $\max_j |a_j(x) - y_j|$ = "
                 f"{_n(_median([m['max_error'] for m in bq]))} (median), and the network assigns the intended digit to "
                 f"{s['correct']} of the {s['images']} backquery images (output $a_d$ median {_n(s['output_median'])}).")
        if images.get("pinv"):
            p_after = {l: _median(v) for l, v in _by_layer(images["pinv"], "residual_rescaled").items()}
            para += (" Even the exact solutions of W⁺ are spoilt by it: after rescaling their error is "
                     f"{_layer_list(p_after)} (median), and the network assigns the intended digit to "
                     f"{summary['pinv']['correct']} of the {summary['pinv']['images']} pseudo-inverse images.")
        text += [para, ""]

    saturated = {int(l): v for l, v in facts["saturated"].items()}
    if saturated:
        margin = facts["margin"]
        slope = 1 / (margin * (1 - margin))
        where = ", ".join(f"{_pct(v)} at {'the output layer' if l == len(layers) else f'layer {l}'}"
                          for l, v in sorted(saturated.items()))
        text += [f"**Saturation.** The rescaling only ever asks for activations inside the inner band of each "
                 f"range (for sigmoid [{margin:g}, {1 - margin:g}]), yet on {_images(facts)} the share of "
                 f"activations outside that band is {where}. Out there f' is tiny and the inverse is steep (for "
                 r"sigmoid, $\frac{d}{da}\operatorname{logit}(a) = \frac{1}{a(1-a)}$ > "
                 f"{slope:.0f}): a small change of a is a large change of z, so "
                 "what the network actually does in those units cannot be queried back.", ""]

    zero = {int(l): v for l, v in facts["zero"].items()}
    no_inverse = sorted({s["activation"] for s in layers if get_activation(s["activation"]).inverse is None})
    if zero or no_inverse:
        para = (f"**ReLU is not invertible.** This network uses {' and '.join(no_inverse)}, which "
                f"{'have' if len(no_inverse) > 1 else 'has'} no inverse, so backquery and the pseudo-inverse chain are "
                "refused and only the optimisation runs.")
        if zero:
            share = _layer_list(zero, _pct, lambda l: f"in layer {l}")
            para += (f" ReLU sends every z < 0 to the same 0: on {_images(facts)} {share} of the ReLU "
                     "activations are exactly 0, and nothing about their z survives.")
    else:
        para = (f"**ReLU is not invertible.** Every activation of this network ({acts}) has an inverse, so the "
                "chains can run; with ReLU they cannot, because ReLU sends every z < 0 to the same 0 (backquery "
                "refuses such a network and only the optimisation applies).")
    text += [para, ""]

    if images.get("optimize"):
        s, ascent = summary["optimize"], settings["ascent"]
        runs = [m["ascent"] for m in images["optimize"]]
        ascending = sum(r["ascending"] for r in runs)
        steps = sorted({r["steps"] for r in runs})
        eta_end = sorted(r["eta_end"] for r in runs)
        if eta_end[0] == eta_end[-1] == ascent["eta"]:
            halved = "η was never halved"
        elif eta_end[0] == eta_end[-1]:
            halved = f"η ended at {eta_end[0]:.3g} for every digit"
        else:
            halved = f"η ended between {eta_end[0]:.3g} and {eta_end[-1]:.3g}"
        para = (r"**Optimisation asks the network directly.** Projected gradient ascent on x for "
                r"$J(x) = S_d(x) - \tfrac{\lambda_2}{2}\|x - x_{\min}\|^2 - \lambda_{\mathrm{TV}}\,\mathrm{TV}(x)$, "
                r"with $S_d$ the log-likelihood of digit d (at most "
                f"{ascent['steps']} steps from η = {ascent['eta']:g}, halved whenever a step would lower $J$; "
                f"$\\lambda_2$ = {ascent['l2']:g}, $\\lambda_{{\\mathrm{{TV}}}}$ = {ascent['tv']:g}; pixels clipped to "
                f"[{_n(settings['input_range'][0])}, {_n(settings['input_range'][1])}]) needs no inverse. It took "
                f"{steps[0] if len(steps) == 1 else f'{steps[0]} to {steps[-1]}'} steps; {halved}, and $J$ rose at "
                f"every step for {ascending} of {len(runs)} digits. The network classifies "
                f"{s['correct']} of its {s['images']} images as intended, with output $a_d$ at least "
                f"{_n(s['output_min'])} (median {_n(s['output_median'])}), and they correlate with the mean images "
                f"at $r$ = {_n(s['corr_mean'])} on average")
        others = [m for m in ("backquery", "pinv") if m in summary and summary[m]["corr_mean"] is not None]
        if others:
            para += " (" + ", ".join(f"{_name(m)}: {_n(summary[m]['corr_mean'])}" for m in others) + ")"
        para += ". A high output is what it optimises, so the output alone does not make these images digits"
        para += (f"; the judge, which the ascent never sees, reads {s['judge_correct']} of them as intended."
                 if "judge_correct" in s else
                 "; the correlation with the mean images, which the ascent never sees, is the independent check.")
        text += [para, ""]
    return "\n".join(text).rstrip() + "\n"
