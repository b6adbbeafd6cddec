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


def _name(method: str) -> str:
    """The method's name as every table and sentence gives it ("pseudo-inverse (W⁺)")."""
    from . import METHODS
    return METHODS.get(method, method)


def summary_table(data: dict) -> list[str]:
    """Markdown rows: per method, the images classified as intended, the output, r and the output error."""
    rows = ["| method | classified as intended | output $a_d$: median (min) | $r$ with mean image: mean | "
            r"$\max_j \lvert a_j (x) - y_j \rvert$: median |", "|---|---|---|---|---|"]
    for method, s in data["summary"].items():
        images = [m for m in data["images"] if m["method"] == method]
        errors = [m["max_error"] for m in images if "max_error" in m]
        rows.append(f"| {_name(method)} | {s['correct']}/{s['images']} | {_n(s['output_median'])} "
                    f"({_n(s['output_min'])}) | {_n(s['corr_mean'])} | {_n(_median(errors)) if errors else '—'} |")
    return rows


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
            "mean training image of the digit.", "", *summary_table(data), "", weaknesses(data)]
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
                 f"computes. On average {_pct(inv['training_images'])} of the energy ‖x‖² of a training image lies in "
                 f"that null space ({_pct(min(inv['mean_images']))} to {_pct(max(inv['mean_images']))} for the mean "
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
                 f"range (for sigmoid [{margin:g}, {1 - margin:g}]), yet on the training images the share of "
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
            para += (f" ReLU sends every z < 0 to the same 0: on the training images {share} of the ReLU "
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
        para += (". A high output is what it optimises, so the output alone does not make these images digits; "
                 "the correlation with the mean images, which the ascent never sees, is the independent check.")
        text += [para, ""]
    return "\n".join(text).rstrip() + "\n"
