"""Property-based tests (hypothesis): random architectures pass the gradient check, malformed data files
are rejected with a DataError and nothing else, and confusion-matrix identities hold for any predictions."""
import gzip
import io
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mathdl.data.mnist import MNIST, read_csv, read_idx, read_npz
from mathdl.data.tasks import make_task
from mathdl.base.errors import DataError
from mathdl.evaluation.metrics import binary_report, confusion_matrix, multiclass_report
from mathdl.nn import Network, gradcheck, gradients

FAST = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

# --- gradients ---------------------------------------------------------------------------------------

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "swish", "linear"]
KINKED = {"relu", "leaky_relu"}  # f' jumps at z = 0
OUTPUTS_BY_COST = {"xe": ["sigmoid", "softmax"], "tse": ["sigmoid", "tanh", "linear", "softmax", "swish"],
                   "mse": ["sigmoid", "tanh", "linear", "softmax"]}


@st.composite
def networks(draw):
    """A tiny network (1-4 inputs, 0-3 hidden layers of 1-4 units, 1-3 outputs) with a valid cost."""
    cost = draw(st.sampled_from(sorted(OUTPUTS_BY_COST)))
    output = draw(st.sampled_from(OUTPUTS_BY_COST[cost]))
    hidden = draw(st.lists(st.integers(1, 4), max_size=3))
    m = draw(st.integers(2 if output == "softmax" else 1, 3))
    sizes = [draw(st.integers(1, 4)), *hidden, m]
    acts = [draw(st.sampled_from(HIDDEN)) for _ in hidden] + [output]
    seed = draw(st.integers(0, 2**32 - 1))
    return sizes, acts, cost, draw(st.booleans()), draw(st.sampled_from(["online", "matrix"])), seed


@FAST
@given(networks())
def test_random_architectures_pass_the_gradient_check(spec):
    sizes, acts, cost, bias, method, seed = spec
    rng = np.random.default_rng(seed)
    net = Network.create(sizes, acts, rng=rng, bias=bias, init="xavier")
    N, m = 3, sizes[-1]
    X = rng.uniform(-1, 1, (sizes[0], N))
    if acts[-1] == "softmax":
        Y = np.eye(m)[:, rng.integers(0, m, N)]
    else:
        Y = rng.uniform(0.1, 0.9, (m, N))
    z, _ = net.forward(X)
    for l in range(1, net.L + 1):  # keep every kinked unit 1e-3 away from its kink
        assume(acts[l - 1] not in KINKED or np.abs(z[l]).min() > 1e-3)
    _, grads = gradients(net, X, Y, cost, method)
    # A vanishing gradient's relative error measures round-off in C(θ ± ε), not backprop: leave those out.
    assume(min(np.linalg.norm(g) for g in grads.arrays()) > 1e-5)
    for check in gradcheck(net, X, Y, cost, method=method):
        assert check.W_error < 1e-5, (check, spec)
        assert check.b_error is None or check.b_error < 1e-5, (check, spec)


# --- malformed data files ----------------------------------------------------------------------------

@st.composite
def idx_files(draw):
    """IDX bytes that are often almost right: a plausible header with random type, dimensions and
    length, sometimes gzipped, sometimes pure noise."""
    if draw(st.booleans()):
        raw = draw(st.binary(max_size=64))
    else:
        dims = draw(st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 6), max_size=4))
        type_byte = draw(st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]))
        header = bytes([0, draw(st.sampled_from([0, 1])), type_byte, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
        raw = header + draw(st.binary(max_size=128))
    if draw(st.booleans()):
        raw = bytearray(gzip.compress(raw))
        if draw(st.booleans()):  # a corrupt deflate stream: a byte of the compressed data changed
            raw[draw(st.integers(10, len(raw) - 9))] = draw(st.integers(0, 255))
        raw = bytes(raw[:draw(st.integers(0, len(raw)))])  # possibly truncated
    return raw


@FAST
@given(idx_files())
def test_malformed_idx_is_rejected_cleanly(raw):
    try:
        array = read_idx(io.BytesIO(raw), name="fuzz")
    except DataError:
        return
    assert isinstance(array, np.ndarray)


CSV_ALPHABET = st.sampled_from(list("0123456789,-\n \r\t.e+xé") + ["255", "256", "99999999999999999999999", ","])


@FAST
@given(st.lists(CSV_ALPHABET, max_size=200).map("".join), st.booleans())
def test_malformed_csv_is_rejected_cleanly(text, pixels):
    if pixels:  # rows of the right length, with random values in them
        text = "\n".join(",".join([text[:3] or "0"] + ["0"] * 783 + [text[3:8]]) for _ in range(2))
    try:
        images, labels = read_csv(io.BytesIO(text.encode()), name="fuzz")
    except DataError:
        return
    assert images.shape[1:] == (28, 28) and len(images) == len(labels)


@st.composite
def npz_files(draw):
    """Random bytes, or a real zip holding random or almost-right .npy members."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        complete = st.permutations(["train_images", "train_labels", "test_images", "test_labels"])  # all read
        for key in draw(complete | st.lists(st.sampled_from(["train_images", "train_labels", "test_images",
                                                             "test_labels", "x_train", "other"]), max_size=5,
                                            unique=True)):
            kind = draw(st.sampled_from(["array", "forged", "noise"]))
            dtype = draw(st.sampled_from([np.uint8, np.int64, np.float32, np.bool_]))
            if kind == "array":
                member = io.BytesIO()
                shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
                np.save(member, np.full(shape, draw(st.integers(-3, 300))).astype(dtype))
                z.writestr(key + ".npy", member.getvalue())
            elif kind == "forged":  # a header declaring up to 10¹² values or more, and a few bytes
                header = io.BytesIO()
                shape = tuple(draw(st.lists(st.integers(0, 10**12), min_size=1, max_size=3)))
                np.lib.format.write_array_header_1_0(header, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                              "fortran_order": False, "shape": shape})
                z.writestr(key + ".npy", header.getvalue() + draw(st.binary(max_size=80)))
            else:
                z.writestr(key + ".npy", draw(st.binary(max_size=80)))
    raw = buffer.getvalue()
    return raw[:draw(st.integers(0, len(raw)))] if draw(st.booleans()) else raw


@FAST
@given(npz_files())
def test_malformed_npz_is_rejected_cleanly(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.npz"
        path.write_bytes(raw)
        try:
            parts = read_npz(path)
        except DataError:
            return
    assert set(parts) == {"train_images", "train_labels", "test_images", "test_labels"}


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([0, 255]) | st.integers(0, 255), st.sampled_from(["unit", "book", "standard"]),
       st.booleans(), st.integers(1, 40))
def test_training_images_of_one_value_are_a_data_error(value, scale, deskew, n):
    """All black, all white or any one grey: a DataError naming the source, never a division by zero."""
    rng = np.random.default_rng(n)
    test = rng.integers(0, 256, (10, 28, 28), dtype=np.uint8)
    mnist = MNIST(np.full((n, 28, 28), value, np.uint8), (np.arange(n) % 10).astype(np.uint8), test,
                  (np.arange(10) % 10).astype(np.uint8), "--data fuzz (IDX)", "custom")
    try:
        make_task(mnist, "digits", scale=scale, deskew=deskew)
    except DataError as e:
        assert str(e).startswith(f"--data fuzz (IDX): every pixel of the {n} training images is {value} ")
    else:
        raise AssertionError("a task was made of blank images")


# --- confusion matrices --------------------------------------------------------------------------------

@st.composite
def predictions(draw):
    k = draw(st.integers(2, 10))
    n = draw(st.integers(1, 60))
    labels = st.lists(st.integers(0, k - 1), min_size=n, max_size=n)
    return k, np.array(draw(labels)), np.array(draw(labels))


def in_unit_interval(rate):
    return rate is None or 0 <= rate <= 1


@settings(max_examples=40, deadline=None)
@given(predictions())
def test_confusion_matrix_identities(case):
    k, true, predicted = case
    cm = confusion_matrix(true, predicted, k)
    assert cm.shape == (k, k) and cm.sum() == len(true)
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(true, minlength=k))
    np.testing.assert_array_equal(cm.sum(axis=0), np.bincount(predicted, minlength=k))
    report = multiclass_report(cm, [str(c) for c in range(k)])
    assert report["accuracy"] == np.trace(cm) / len(true)
    for c, rates in report["per_class"].items():
        assert rates["support"] == cm[int(c)].sum()
        for name in ("sensitivity", "specificity", "precision"):
            value, ci = rates[name]["value"], rates[name]["ci95"]
            assert in_unit_interval(value) and (ci is None or 0 <= ci[0] <= value <= ci[1] <= 1)
    if k == 2:
        b = binary_report(cm)
        assert b.tp + b.fn + b.fp + b.tn == len(true) and b.tp + b.fn == (true == 1).sum()
        for name in ("accuracy", "sensitivity", "specificity", "precision", "npv", "f1"):
            rate = getattr(b, name)
            assert in_unit_interval(rate.value) and (rate.value is None or rate.low <= rate.value <= rate.high)
        assert b.mcc.value is None or -1 <= b.mcc.value <= 1
