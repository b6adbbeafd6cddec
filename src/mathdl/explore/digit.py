"""The digit view's computations on a trained run: a drawn or uploaded image through the network layer by
layer, the first-layer units that pushed its decision most, the reverse images of a class, and the
network's equations.

The image is made into the 28×28 digit the network sees by the same code as ``mathdl predict``
(``data.handwriting.mnist_digit``, then ``runs.predict.prepare``: deskewed and scaled like the run's
training images). Which units pushed the decision: for the score s of the predicted class k (s = z⁽ᴸ⁾_k;
with one output s = ±z⁽ᴸ⁾, + for class 1), the share of first-layer unit j is gradient × activation,

    c_j = a⁽¹⁾_j ∂s/∂a⁽¹⁾_j,   ∂s/∂a⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ (∂s/∂a⁽ˡ⁺¹⁾ ⊙ f′_{l+1}(z⁽ˡ⁺¹⁾)),  ∂s/∂a⁽ᴸ⁻¹⁾ = (W⁽ᴸ⁾_k)ᵀ,

exact with one hidden layer (s = Σ_j W⁽²⁾_kj a⁽¹⁾_j + b), a first-order reading with more.
"""
from __future__ import annotations

import dataclasses
import io
import threading

import numpy as np

from ..base.errors import MathdlError
from ..data.handwriting import ImageTooLarge, mnist_digit, read_image
from ..data.mnist import load_mnist
from ..data.tasks import classify
from ..nn.shapes import UNICODE, Architecture, backward_steps, forward_steps, note, parameter_rows, summary
from ..reverse import METHODS, References, references, require_inverses, reverse_digits
from ..runs.directory import Run
from ..runs.experiment import Config, build_task
from ..runs.predict import check_model, inputs_of, prepare
from .catalog import NetworkEntry
from .checks import ApiError, unprocessable
from .frame import encoded

IMAGE_LIMIT = 4 * 2**20  # bytes of an uploaded image
PIXEL_LIMIT = 16_000_000  # pixels decoded of an uploaded image (4000 × 4000; a JPEG counts at its reduced scale)
SIDE = 1024  # an image is reduced to at most this many pixels a side before the digit is made of it
TOP_UNITS = 8


def describe(entry: NetworkEntry) -> dict:
    """What the chooser shows of a network: name, sizes, activations, classes, test accuracy, and which
    reverse methods it allows (the chains need an inverse on every layer, and all need one output a class)."""
    run = entry.run()
    try:
        classes = check_model(run)
        inputs_of(run)
    except MathdlError as e:
        raise ApiError(422, str(e)) from None
    return {"id": entry.id, "name": entry.name, "label": run.config.get("label", ""), "sizes": run.net.sizes,
            "activations": run.net.activations, "classes": classes,
            "accuracy": run.metrics.get("test", {}).get("accuracy"), "reverse": reverse_methods(run, classes)}


def reverse_methods(run: Run, classes: list[str]) -> dict:
    """{method: None if it applies, else why not}."""
    why = {}
    for method in METHODS:
        if run.net.sizes[-1] != len(classes):
            why[method] = "the reverse methods need one output per class; this network has one output"
            continue
        try:
            if method != "optimize":
                require_inverses(run.net, method)
            why[method] = None
        except MathdlError as e:
            why[method] = str(e)
    return why


def digit_of(body: bytes) -> np.ndarray:
    """The 28×28 MNIST-like digit (uint8) of an uploaded image file's bytes (any format Pillow reads), decoded
    at most ``PIXEL_LIMIT`` pixels (refused from the header before decoding: 413) and reduced to ``SIDE``
    pixels a side first (a JPEG decoded at the reduced scale it allows)."""
    try:
        image = read_image(io.BytesIO(body), "the image", max_side=SIDE, max_pixels=PIXEL_LIMIT)
    except ImageTooLarge as e:
        raise ApiError(413, str(e)) from None
    except MathdlError:
        raise ApiError(422, "the upload is not an image Pillow can read (PNG, JPEG, GIF, BMP, TIFF, …)") from None
    try:
        return mnist_digit(image)
    except MathdlError as e:
        raise unprocessable(e) from None


def inspect(run: Run, digit: np.ndarray) -> dict:
    """The digit through the network: what it sees, every layer's activations, the outputs, the class and
    the first-layer units that pushed the decision most."""
    classes, inputs = check_model(run), inputs_of(run)
    seen, X = prepare(run, digit[None], inputs)
    net = run.net
    z, a = net.forward(X)
    out = a[net.L][:, 0]
    k = int(classify(a[net.L], inputs["targets"])[0])
    probabilities = [1 - float(out[0]), float(out[0])] if net.sizes[-1] == 1 else [float(v) for v in out]
    layers = [{"l": l, "size": net.sizes[l], "activation": net.activations[l - 1], "range": _range(net, l, a[l]),
               "a": _rounded(a[l][:, 0])} for l in range(1, net.L)]
    return {"seen": seen[0].ravel().tolist(), "outputs": _rounded(out), "bars": _rounded(np.array(probabilities)),
            "classes": classes, "predicted": k, "label": classes[k], "layers": layers,
            "units": pushed(net, z, a, k) if net.L > 1 else []}


def pushed(net, z: list, a: list, k: int, top: int = TOP_UNITS) -> list[dict]:
    """The ``top`` first-layer units by c_j = a⁽¹⁾_j ∂s/∂a⁽¹⁾_j (see the module docstring), each with its
    weights W⁽¹⁾_j as a 28×28 image: base64 bytes of (W⁽¹⁾_j / max |W⁽¹⁾_j| + 1) / 2, 0-255."""
    L = net.L
    g = net.W[L][k if net.sizes[-1] > 1 else 0][:, None].copy()
    if net.sizes[-1] == 1 and k == 0:
        g = -g  # class 0 of one output is decided by a low z⁽ᴸ⁾
    for l in range(L - 1, 1, -1):
        g = net.W[l].T @ net.f[l].backward(z[l], a[l], g)
    c = (a[1] * g)[:, 0]
    units = []
    for j in np.argsort(-c)[:top]:
        w = net.W[1][j]
        reach = float(np.abs(w).max()) or 1.0
        units.append({"unit": int(j) + 1, "contribution": round(float(c[j]), 4), "activation": round(float(a[1][j, 0]), 4),
                      "weights": encoded((w / reach + 1) / 2)})
    return units


def reverse_images(entry: NetworkEntry, k: int, methods: list[str], data=None) -> list[dict]:
    """The mean training image of class k, then each method's image of it (``reverse.reverse_digits``), each with
    the network's reading of it (its class, its output for k), the independent judge's (the class the k nearest
    training images vote for and its share of votes for k; the distance to the nearest training image of k) and
    the correlation with the mean image."""
    run = entry.run()
    classes = check_model(run)
    if not 0 <= k < len(classes):
        raise ApiError(422, f"class must be between 0 and {len(classes) - 1}, got {k}")
    refused = {m: why for m, why in reverse_methods(run, classes).items() if m in methods and why}
    if refused:
        method, why = next(iter(refused.items()))
        raise ApiError(422, f"{method}: {why}")
    refs = _references(entry, run, data)
    records = reverse_digits(run.net, [k], methods, means=refs.means, input_range=refs.input_range, prior=refs.prior,
                             judge=refs.judge)
    lo, hi = refs.input_range
    mean = refs.means[:, k]
    a = run.net(mean[:, None])[:, 0] if run.net.sizes[-1] > 1 else None
    judge = refs.judge.read(mean[:, None])[0]
    reference = {"method": "mean", "title": "mean training image", "pixels": _rounded((mean - lo) / (hi - lo), 3),
                 "predicted": int(a.argmax()), "predicted_label": classes[int(a.argmax())], "output": round(float(a[k]), 4),
                 "correct": bool(a.argmax() == k), "corr_mean": 1.0, "judge_class": judge["reading"],
                 "judge_label": classes[judge["reading"]], "judge_probability": round(judge["shares"][k], 4),
                 "judge_correct": judge["reading"] == k, "nearest_distance": round(judge["class_distance"][k], 4),
                 "near_copy": False}
    return [reference] + [{"method": r.method, "title": METHODS[r.method], "pixels": _rounded((r.x - lo) / (hi - lo), 3),
             "predicted": r.measures["predicted"], "predicted_label": classes[r.measures["predicted"]],
             "output": round(r.measures["output"], 4), "correct": r.measures["correct"],
             "corr_mean": None if r.measures["corr_mean"] is None else round(r.measures["corr_mean"], 3),
             "judge_class": r.measures["judge_class"], "judge_label": classes[r.measures["judge_class"]],
             "judge_probability": round(r.measures["judge_probability"], 4),
             "judge_correct": r.measures["judge_correct"], "nearest_distance": round(r.measures["nearest_distance"], 4),
             "near_copy": r.measures["near_copy"]}
            for r in records]


def prepare_references(entry: NetworkEntry, data=None) -> None:
    """Start computing a ten-output network's references (``_references``) in a thread, unless they are there
    or under way: the first reverse images then need not wait for them."""
    with entry.references_lock:
        if "references" in entry.cache or entry.cache.get("preparing"):
            return
        entry.cache["preparing"] = True

    def compute():
        try:
            run = entry.run()
            if run.net.sizes[-1] > 1:
                _references(entry, run, data)
        except ApiError:
            pass  # the reverse request will say why
    threading.Thread(target=compute, name="explore-references", daemon=True).start()


def _references(entry: NetworkEntry, run: Run, data) -> References:
    """The mean training images, the Gaussian prior and the judge (assessed on the test images) of the run's own
    task on MNIST (once per network, and cached by their content)."""
    with entry.references_lock:
        if "references" not in entry.cache:
            try:
                config = Config.from_dict(run.config["config"])
            except (KeyError, TypeError, ValueError, MathdlError) as e:
                raise ApiError(422, f"{entry.name}: config.json does not describe its training data ({e})") from None
            try:
                task = build_task(config, load_mnist(data, progress=False))
            except MathdlError as e:
                raise ApiError(422, f"the mean images need the run's MNIST data: {e}") from None
            entry.cache["references"] = references(task.train.X, task.train.labels, run.net.sizes[-1],
                                                   test=(task.test.X, task.test.labels), seed=config.seed)
        return entry.cache["references"]


def equations(run: Run) -> dict:
    """The network's forward and backward equations with every matrix's shape (``nn.shapes``), and its
    parameters, for a batch of N samples."""
    cost = (run.config.get("config") or {}).get("cost", "tse")
    arch = Architecture.of(run.net, cost)
    rows = lambda steps: [dataclasses.astuple(s) for s in steps]  # noqa: E731
    return {"summary": summary(arch), "forward": rows(forward_steps(arch, "N", UNICODE)),
            "backward": rows(backward_steps(arch, "N", UNICODE)), "parameters": parameter_rows(arch),
            "note": note(arch, UNICODE)}


def _range(net, l: int, a: np.ndarray) -> list[float]:
    """The display range of layer l's activations: the activation's own, or [min, max] of a when unbounded."""
    lo, hi = net.f[l].image
    if np.isfinite(lo) and np.isfinite(hi):
        return [float(lo), float(hi)]
    return [float(min(a.min(), 0.0)), float(max(a.max(), 1e-12))]


def _rounded(values: np.ndarray, digits: int = 4) -> list[float]:
    return np.round(np.ravel(values).astype(np.float64), digits).tolist()
