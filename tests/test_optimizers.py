"""Each optimiser's steps against its formula, written out here, and against an independent implementation
(``torch.optim``, where PyTorch is installed): the readable ``step`` and the fused compiled step of the fast
path (``mathdl.nn.fast.steps``) both. float64, a few steps on parameters shaped like a network's W and b."""
import numpy as np
import pytest

from mathdl.nn import make_optimizer
from mathdl.nn.fast.steps import fused_step
from mathdl.nn.optimizers import Adam, Momentum

SHAPES = [(5, 4), (5, 1), (3, 5), (3, 1)]  # W⁽¹⁾, b⁽¹⁾, W⁽²⁾, b⁽²⁾
STEPS = 6
ETA = {"sgd": 0.1, "momentum": 0.05, "adam": 0.01}
MU = 0.9  # momentum's documented default
BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8  # Adam's (Kingma & Ba 2015)
CLOSE = dict(rtol=1e-12, atol=1e-15)


def problem(seed: int = 0):
    """Parameters θ (column-major, as the network keeps W) and a gradient for each of the steps."""
    rng = np.random.default_rng(seed)
    params = [np.asfortranarray(rng.normal(size=s)) for s in SHAPES]
    grads = [[np.asfortranarray(rng.normal(size=s)) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def textbook(name: str, params: list, grads: list) -> list[list]:
    """θ after each step, by the update rules as the textbooks write them, one parameter at a time."""
    eta, theta, after = ETA[name], [p.copy() for p in params], []
    v = [np.zeros_like(p) for p in params]
    m = [np.zeros_like(p) for p in params]
    for t, g in enumerate(grads, start=1):
        for i in range(len(theta)):
            if name == "sgd":  # θ ← θ − η g
                theta[i] = theta[i] - eta * g[i]
            elif name == "momentum":  # v ← μ v − η g, θ ← θ + v
                v[i] = MU * v[i] - eta * g[i]
                theta[i] = theta[i] + v[i]
            else:  # Adam
                m[i] = BETA1 * m[i] + (1 - BETA1) * g[i]
                v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] ** 2
                m_hat, v_hat = m[i] / (1 - BETA1 ** t), v[i] / (1 - BETA2 ** t)
                theta[i] = theta[i] - eta * m_hat / (np.sqrt(v_hat) + EPSILON)
        after.append([p.copy() for p in theta])
    return after


def by_torch(name: str, params: list, grads: list) -> list[list]:
    """θ after each step by ``torch.optim`` (SGD; SGD with momentum μ, no dampening; Adam)."""
    torch = pytest.importorskip("torch")
    theta = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    make = {"sgd": lambda: torch.optim.SGD(theta, lr=ETA["sgd"]),
            "momentum": lambda: torch.optim.SGD(theta, lr=ETA["momentum"], momentum=MU),
            "adam": lambda: torch.optim.Adam(theta, lr=ETA["adam"], betas=(BETA1, BETA2), eps=EPSILON)}
    optimizer, after = make[name](), []
    for g in grads:
        for p, gi in zip(theta, g):
            p.grad = torch.tensor(gi, dtype=torch.float64)
        optimizer.step()
        after.append([p.detach().numpy().copy() for p in theta])
    return after


def ours(name: str, route: str, params: list, grads: list) -> list[list]:
    """θ after each step by mathdl's optimiser: its readable ``step`` or the fast path's fused step."""
    optimizer = make_optimizer(name, ETA[name])
    step = optimizer.step if route == "readable" else fused_step(optimizer)
    theta, after = [p.copy(order="F") for p in params], []
    for g in grads:
        step(theta, g)
        after.append([p.copy() for p in theta])
    return after


ROUTES = [("sgd", "readable"), ("momentum", "readable"), ("adam", "readable"), ("momentum", "fused"),
          ("adam", "fused")]


@pytest.mark.parametrize("name,route", ROUTES)
def test_steps_follow_the_formula(name, route):
    params, grads = problem()
    for step, (found, expected) in enumerate(zip(ours(name, route, params, grads), textbook(name, params, grads))):
        for a, b in zip(found, expected):
            np.testing.assert_allclose(a, b, **CLOSE, err_msg=f"{name} ({route}), step {step + 1}")


@pytest.mark.parametrize("name,route", ROUTES)
def test_steps_equal_torch_optim(name, route):
    params, grads = problem(1)
    expected = by_torch(name, params, grads)
    for step, (found, theirs) in enumerate(zip(ours(name, route, params, grads), expected)):
        for a, b in zip(found, theirs):
            np.testing.assert_allclose(a, b, **CLOSE, err_msg=f"{name} ({route}) vs torch.optim, step {step + 1}")


def test_the_formula_tells_the_optimisers_apart():
    """The written-out formulas differ where a mutation would: without Adam's bias correction, or with half
    momentum's μ, the first steps move elsewhere (so the tests above can fail)."""
    params, grads = problem()
    adam = Adam(ETA["adam"])
    adam.t = 1000  # 1 − β₁ᵗ ≈ 1: the correction gone from the first step
    theta = [p.copy() for p in params]
    adam.step(theta, grads[0])
    assert not np.allclose(theta[0], textbook("adam", params, grads)[0][0], **CLOSE)
    half = Momentum(ETA["momentum"], MU / 2)
    theta = [p.copy() for p in params]
    for g in grads[:2]:
        half.step(theta, g)
    assert not np.allclose(theta[0], textbook("momentum", params, grads)[1][0], **CLOSE)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_the_fused_step_continues_from_a_restored_state(name):
    """The fused step works on the optimiser's own memory: a state saved after three readable steps and
    restored (as arrays in another memory order, as a checkpoint may give them back) continues to the formula's
    numbers."""
    params, grads = problem(2)
    first = make_optimizer(name, ETA[name])
    theta = [p.copy(order="F") for p in params]
    for g in grads[:3]:
        first.step(theta, g)
    state = {k: [np.ascontiguousarray(a) for a in v] if isinstance(v, list) else v for k, v in first.state().items()}
    second = make_optimizer(name, ETA[name])
    second.restore(state)
    step = fused_step(second)
    for g in grads[3:]:
        step(theta, g)
    for a, b in zip(theta, textbook(name, params, grads)[-1]):
        np.testing.assert_allclose(a, b, **CLOSE)


@pytest.mark.parametrize("name", ["momentum", "adam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_fused_step_keeps_no_subnormal_memory_and_theta_is_unchanged_by_it(name, dtype):
    """Memory entries that decay below the smallest normal number (a zero gradient: an input blank in the whole
    batch) are stored as 0 by the fused step, where the formula keeps a subnormal; θ is bit for bit the formula's.
    A NaN in the memory stays NaN."""
    tiny = np.finfo(dtype).tiny
    theta = [np.array([0.5, -0.25, 1e-3, 2.0], dtype)]
    grads = [np.array([0.0, 0.0, 0.0, 1e-2], dtype)]
    memory = np.array([1.05 * tiny, -1.05 * tiny, 0.0, np.nan], dtype)  # m (and v) at the edge of the subnormals
    readable, fused = make_optimizer(name, ETA[name]), make_optimizer(name, ETA[name])
    for o in (readable, fused):
        o.start(theta)
        if name == "adam":
            o.m, o.v, o.t = [memory.copy()], [np.abs(memory) / 2], 10  # v subnormal already
        else:
            o.v = [memory.copy()]
    slow, fast = [p.copy() for p in theta], [p.copy() for p in theta]
    readable.step(slow, grads)
    fused_step(fused)(fast, grads)
    kept = readable.m[0] if name == "adam" else readable.v[0]
    stored = fused.m[0] if name == "adam" else fused.v[0]
    assert 0 < abs(kept[0]) < tiny and 0 < abs(kept[1]) < tiny  # the formula's subnormals
    np.testing.assert_array_equal(stored[:3], 0)
    assert np.isnan(stored[3])
    if name == "adam":
        assert (fused.v[0][:3] == 0).all() and 0 < readable.v[0][0] < tiny
    np.testing.assert_array_equal(fast[0][:3], slow[0][:3])
