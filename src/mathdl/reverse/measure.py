"""Measurements of the reverse images, and of the network, for the validity discussion.

Per image x (n_0,) of digit d: the class the network assigns (argmax a⁽ᴸ⁾(x)), its output a_d⁽ᴸ⁾(x),
Pearson's r with the mean training image x̄_d, and for the chains how well the forward pass
reproduces what each layer was asked for; the independent judge's reading and the distance to the
nearest training image of d (``judged``). Per network: the rank and singular values of every W⁽ˡ⁾,
the part of the inputs W⁽¹⁾ cannot see (its null space), and how often the training images drive
units into the saturated tails or, for ReLU, to exactly 0.
"""
from __future__ import annotations

import numpy as np

from ..base.errors import MathdlError
from ..nn.network import Network
from ..training.diagnostics import evenly
from .chain import MARGIN, Inversion
from .judge import Judge
from .moments import Moments

Array = np.ndarray
SATURATION = 10_000  # training images the activations are counted on: every k-th, at most this many


def mean_images(X: Array, labels: Array, k: int = 10) -> Array:
    """x̄_c = the mean of the training images of class c, as columns (n_0, k), from X (n_0, N)."""
    means = np.zeros((X.shape[0], k))
    for c in range(k):
        if not np.any(labels == c):
            raise MathdlError(f"no training image of digit {c}, so it has no mean image")
        means[:, c] = X[:, labels == c].mean(axis=1)
    return means


def correlation(u: Array, v: Array) -> float | None:
    """Pearson's r = Σ(u − ū)(v − v̄) / (‖u − ū‖ ‖v − v̄‖); None when either is constant."""
    u, v = u - u.mean(), v - v.mean()
    norm = float(np.linalg.norm(u) * np.linalg.norm(v))
    return float(u @ v) / norm if norm > 0 else None


def measure(net: Network, inversion: Inversion, digit: int, means: Array, *, mu: Array | None = None) -> dict:
    """What the network makes of the image x of ``inversion`` and how x compares with the mean images.

    ``predicted``: argmax a⁽ᴸ⁾(x); ``output``: a_d⁽ᴸ⁾(x); ``corr_mean``: r(x, x̄_d); ``nearest_mean``:
    the class whose mean image correlates best with x; with the mean μ of all training images,
    ``corr_deviation`` = r(x − μ, x̄_d − μ): whether what x adds to μ is what the digit's mean adds (r itself
    is high for μ alone, which shows no digit). Chains add ``max_error`` = max_j |a_j⁽ᴸ⁾(x) − y_j|,
    ``corr_output`` = r(a⁽ᴸ⁾(x), y) and per layer step l → l − 1: the range of M c before rescaling,
    the slope s, the residuals and ``corr_forward`` = r(a⁽ˡ⁻¹⁾(x), the activation asked of layer l − 1)
    (hidden layers only). The ascent adds its first and last score and objective.
    """
    x = inversion.x
    _, a = net.forward(x[:, None])
    out = a[net.L][:, 0]
    r = [correlation(x, means[:, c]) for c in range(means.shape[1])]
    known = [c for c in range(len(r)) if r[c] is not None]
    result = {"method": inversion.method, "digit": int(digit), "predicted": int(out.argmax()),
              "output": float(out[digit]), "correct": bool(out.argmax() == digit),
              "outputs": [float(v) for v in out], "corr_mean": r[digit],
              "nearest_mean": max(known, key=lambda c: r[c]) if known else None,
              "pixel_range": [float(x.min()), float(x.max())]}
    if mu is not None:
        result["corr_deviation"] = correlation(x - mu, means[:, digit] - mu)
    if inversion.layers:
        result["max_error"] = float(np.abs(out - inversion.y).max())
        result["corr_output"] = correlation(out, inversion.y)
        result["layers"] = [{"l": s.l, "range_before": [s.low, s.high], "scale": s.scale, "residual": s.residual,
                             "residual_rescaled": s.residual_rescaled,
                             "corr_forward": correlation(a[s.l - 1][:, 0], inversion.queried[s.l - 1])
                             if s.l > 1 else None}
                            for s in inversion.layers]
    if inversion.history is not None:
        h = inversion.history
        result["ascent"] = {"steps": len(h["score"]) - 1, "score_start": float(h["score"][0]),
                            "score_end": float(h["score"][-1]), "objective_start": float(h["objective"][0]),
                            "objective_end": float(h["objective"][-1]), "eta_end": float(h["eta"][-1]),
                            "ascending": bool(np.all(np.diff(h["objective"]) >= 0))}
    return result


def judged(measures: list[dict], readings: list[dict], judge: Judge) -> None:
    """Add the judge's ``readings`` (``Judge.read``) of the images to their ``measures``:
    ``judge_class``, ``judge_probability`` (its p̂ for the intended digit d), ``judge_correct``;
    ``nearest_distance`` min_i ‖x − x_i‖ over the training images of d, ``nearest_training_index`` that i,
    ``copy_distance`` the judge's near-copy distance of d and ``near_copy`` (None without an assessment)."""
    for m, reading in zip(measures, readings):
        d = m["digit"]
        copy = judge.copy_distance(d)
        distance = reading["class_distance"][d]
        m.update(judge_class=reading["reading"], judge_probability=reading["shares"][d],
                 judge_correct=reading["reading"] == d, nearest_distance=distance,
                 nearest_training_index=reading["class_nearest"][d], copy_distance=copy,
                 near_copy=None if copy is None else bool(distance < copy))


def network_facts(net: Network, X: Array, moments: Moments, margin: float = MARGIN) -> dict:
    """Numbers about the network itself, from its weights, the training images X (n_0, N) and their ``moments``.

    ``layers``: per l the shape (n_l, n_{l−1}), rank r, null-space dimension n_{l−1} − r and the largest
    and smallest non-zero singular values of W⁽ˡ⁾. ``invisible``: the fraction ‖x − P x‖² / ‖x‖² of
    an input outside the row space of W⁽¹⁾ (P = V_r V_rᵀ projects onto it), which changes no z⁽¹⁾:
    for each mean image, and of the training images' energy together, Σ‖x − P x‖² / Σ‖x‖² =
    1 − tr(V_rᵀ M V_r) / tr(M) with M their second moment. ``saturated[l]``: for bounded
    activations, the fraction of a⁽ˡ⁾ outside the band [lo + m·w, hi − m·w] the rescaling uses; ``zero[l]``:
    for ReLU, the fraction of a⁽ˡ⁾ = 0; both on every k-th training image, at most ``SATURATION`` of them
    (``activation_images``: how many).
    """
    layers, V = [], None
    for l in range(1, net.L + 1):
        W = net.W[l]
        _, s, Vt = np.linalg.svd(W, full_matrices=False)
        rank = int((s > s[0] * max(W.shape) * np.finfo(W.dtype).eps).sum())  # np.linalg.matrix_rank's tolerance
        layers.append({"l": l, "shape": list(W.shape), "activation": net.f[l].name, "rank": rank,
                       "null_dim": W.shape[1] - rank, "sigma_max": float(s[0]), "sigma_min": float(s[rank - 1])})
        if l == 1:
            V = Vt[:rank]  # rows: an orthonormal basis of the row space of W⁽¹⁾

    def invisible(Z: Array) -> Array:
        total = (Z * Z).sum(axis=0)
        seen = ((V @ Z) ** 2).sum(axis=0)
        return np.where(total > 0, 1 - seen / np.where(total > 0, total, 1), 0.0)

    bounded = [l for l in range(1, net.L + 1) if np.all(np.isfinite(net.f[l].image))]
    saturated = dict.fromkeys(bounded, 0)
    zero = dict.fromkeys((l for l in range(1, net.L + 1) if net.f[l].name == "relu"), 0)
    M = moments.second
    energy = float(np.trace(M))
    invisible_energy = 1 - float(((V @ M) * V).sum()) / energy if energy > 0 else 0.0
    sample = np.asarray(X[:, evenly(X.shape[1], SATURATION)])
    _, a = net.forward(sample)
    for l in saturated:
        lo, hi = net.f[l].image
        band = (lo + margin * (hi - lo), hi - margin * (hi - lo))
        saturated[l] += int(((a[l] < band[0]) | (a[l] > band[1])).sum())
    for l in zero:
        zero[l] += int((a[l] == 0).sum())
    N = sample.shape[1]
    return {"layers": layers, "margin": margin, "activation_images": N,
            "invisible": {"mean_images": [float(v) for v in invisible(moments.means)], "training_images": invisible_energy},
            "saturated": {str(l): n / (N * net.sizes[l]) for l, n in saturated.items()},
            "zero": {str(l): n / (N * net.sizes[l]) for l, n in zero.items()}}
