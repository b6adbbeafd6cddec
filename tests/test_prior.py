"""Inversion with a Gaussian prior: the prior's density and gradient against scipy and central differences,
the whitened objective's gradient against central differences, the MAP image of a linear network equal to
its closed form, λ's rule, the moments in one pass, and the references cached by the images' content."""
import numpy as np
import pytest
from scipy.stats import multivariate_normal

from conftest import random_net
from mathdl.base.errors import MathdlError
from mathdl.nn import Network
from mathdl.reverse import PriorSettings, moments, references, reverse
from mathdl.reverse import prior as prior_module
from mathdl.reverse.measure import network_facts
from mathdl.reverse.prior import GaussianPrior, _Whitened, map_images, objective, prior_inversion


def random_prior(n=6, epsilon=1e-3, seed=0) -> tuple[GaussianPrior, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n - 2))  # rank n − 2: ε is what makes Σ_ε invertible
    S, mu = A @ A.T / n, rng.normal(size=n)
    return GaussianPrior.of(mu, S, epsilon), mu, S + epsilon * np.eye(n)


def central(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x_i by (f(x + h e_i) − f(x − h e_i)) / 2h, for a scalar f of a vector x."""
    grad = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def test_log_density_is_the_gaussians():
    prior, mu, S = random_prior()
    x = np.random.default_rng(1).normal(size=(6, 4))
    np.testing.assert_allclose(prior.log_density(x), multivariate_normal(mu, S).logpdf(x.T), rtol=1e-12)
    np.testing.assert_allclose(prior.to_image(prior.whiten(x)), x, atol=1e-12)


def test_prior_gradient_matches_central_differences():
    """∇_x log N(x; μ, Σ_ε) = −Σ_ε⁻¹ (x − μ), by the eigen-decomposition, against central differences."""
    prior, mu, S = random_prior()
    x = np.random.default_rng(2).normal(size=6)
    numeric = central(lambda v: prior.log_density(v[:, None])[0], x)
    np.testing.assert_allclose(prior.gradient(x[:, None])[:, 0], numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(prior.gradient(x[:, None])[:, 0], -np.linalg.solve(S, x - mu), rtol=1e-10)


@pytest.mark.parametrize("hidden,output", [((5,), "sigmoid"), ((5, 4), "softmax"), ((), "linear")])
def test_whitened_objective_gradient_matches_central_differences(hidden, output):
    """∇_u J = D_ε^½ Uᵀ ∇_x S_d − λ u, with ∇_x S_d from backprop, against central differences of J(u)."""
    prior, _, _ = random_prior()
    net = random_net([6, *hidden, 3], ["tanh"] * len(hidden) + [output], seed=3)
    E = np.eye(3)[:, [2]]
    u = np.random.default_rng(4).normal(size=6)
    J, _, grad = objective(net, prior, u[:, None], E, 0.3)
    numeric = central(lambda v: objective(net, prior, v[:, None], E, 0.3)[0][0], u)
    np.testing.assert_allclose(grad[:, 0], numeric, rtol=1e-5, atol=1e-8)


def test_the_ascent_in_images_takes_the_steps_of_the_ascent_in_whitened_coordinates():
    """_Whitened keeps x = μ + U D^½ u and ‖u‖²: its step of size η is u + η ∇_u J of ``objective``, mapped."""
    prior, _, _ = random_prior()
    net = random_net([6, 5, 3], ["sigmoid", "sigmoid"], seed=6)
    E = np.eye(3)[:, [0, 2]]
    problem = _Whitened(net, prior, E, 0.4)
    u = np.random.default_rng(7).normal(size=(6, 2))
    problem.move(np.arange(2), (prior.to_image(u), (u * u).sum(axis=0)))
    eta = np.array([0.3, 0.05])
    J, S, (X, u2) = problem.candidate(np.arange(2), eta)
    _, _, grad = objective(net, prior, u, E, 0.4)
    stepped = u + eta * grad
    J_u, S_u, _ = objective(net, prior, stepped, E, 0.4)
    np.testing.assert_allclose(X, prior.to_image(stepped), atol=1e-12)
    np.testing.assert_allclose(u2, (stepped * stepped).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(J, J_u, rtol=1e-12)
    np.testing.assert_allclose(S, S_u, rtol=1e-12)


@pytest.mark.parametrize("weight", [1.0, 0.2])
def test_map_image_of_a_linear_network_with_a_gaussian_prior_is_its_closed_form(weight):
    """A linear "network" a = W x + b scored by TSE, S_d = −½‖W x + b − e_d‖², with the prior N(μ, Σ_ε):
    J is quadratic and its maximum solves (WᵀW + λ Σ_ε⁻¹) x = Wᵀ(e_d − b) + λ Σ_ε⁻¹ μ."""
    prior, mu, S = random_prior()
    net = Network.create([6, 3], ["linear"], rng=np.random.default_rng(5))
    W, b = net.W[1], net.b[1][:, 0]
    Si = np.linalg.inv(S)
    found = prior_inversion(net, [0, 1, 2], prior, weight=weight, steps=3000, clip=False)
    for d, f in enumerate(found):
        exact = np.linalg.solve(W.T @ W + weight * Si, W.T @ (np.eye(3)[d] - b) + weight * Si @ mu)
        np.testing.assert_allclose(f.x, exact, atol=1e-6)
        assert np.all(np.diff(f.history["objective"]) >= 0)  # J rose at every step
    other = prior_inversion(net, [0], prior, weight=weight / 10, steps=3000, clip=False)[0]
    assert np.abs(other.x - found[0].x).max() > 1e-3  # λ matters: the test can tell


def test_map_images_halve_lambda_until_the_network_reads_every_image(monkeypatch):
    """λ starts at Bayes' 1 and is halved while the network itself misreads an image, one λ for all digits."""
    net = random_net([6, 3], ["linear"], seed=1)
    prior, _, _ = random_prior()
    calls = []

    def fake(net, digits, prior, *, weight, steps, eta):  # the network "reads" its images only for λ ≤ 1/4
        calls.append(weight)
        x = [net.W[1].T @ (np.eye(3)[d] if weight <= 0.25 else np.eye(3)[(d + 1) % 3]) * 100 for d in digits]
        return [prior_module.Inversion("prior", v, np.eye(3)[d], history={}) for d, v in zip(digits, x)]
    monkeypatch.setattr(prior_module, "prior_inversion", fake)
    found, weight, tried = map_images(net, prior, PriorSettings())
    assert weight == 0.25 and tried == [1.0, 0.5, 0.25] == calls
    calls.clear()
    _, weight, tried = map_images(net, prior, PriorSettings(halvings=1))
    assert weight == 0.5 and tried == [1.0, 0.5]  # at most ``halvings`` times


def test_prior_settings_are_checked():
    with pytest.raises(MathdlError, match="positive whole number of steps"):
        PriorSettings(steps=0)
    with pytest.raises(MathdlError, match="weight must be a positive number"):
        PriorSettings(weight=0.0)
    with pytest.raises(MathdlError, match="halvings must be a whole number"):
        PriorSettings(halvings=-1)
    with pytest.raises(MathdlError, match="regulariser ε must be a positive number"):
        GaussianPrior.of(np.zeros(2), np.eye(2), 0.0)


def test_moments_in_one_pass_and_the_prior_regularised_by_the_grey_step():
    rng = np.random.default_rng(0)
    X, labels = np.round(rng.uniform(0, 1, (8, 300)) * 255) / 255 * 0.99 + 0.01, np.arange(300) % 3
    found = moments(X, labels, 3)
    np.testing.assert_allclose(found.means, np.column_stack([X[:, labels == c].mean(axis=1) for c in range(3)]))
    np.testing.assert_allclose(found.mu, X.mean(axis=1))
    np.testing.assert_allclose(found.covariance, np.cov(X, bias=True), atol=1e-14)
    prior = GaussianPrior.fit(found)
    step = (X.max() - X.min()) / 255
    assert prior.epsilon == pytest.approx(step ** 2 / 12)
    np.testing.assert_allclose(prior.U @ np.diag(prior.d) @ prior.U.T, np.cov(X, bias=True) + prior.epsilon * np.eye(8),
                               atol=1e-13)
    with pytest.raises(MathdlError, match="no training image of digit 3"):
        moments(X, labels, 4)


def test_invisible_energy_from_the_second_moment():
    """Σ‖x − P x‖² / Σ‖x‖² of the training images, from M alone, equals the sum over the images."""
    net = random_net([12, 5, 3], ["sigmoid", "sigmoid"], seed=2)
    X, labels = np.random.default_rng(3).uniform(0, 1, (12, 90)), np.arange(90) % 3
    facts = network_facts(net, X, moments(X, labels, 3))
    V = np.linalg.svd(net.W[1], full_matrices=False)[2]
    direct = ((X - V.T @ (V @ X)) ** 2).sum() / (X ** 2).sum()
    assert facts["invisible"]["training_images"] == pytest.approx(direct, rel=1e-12)


def test_references_are_cached_by_the_images_content(monkeypatch):
    rng = np.random.default_rng(4)
    X, labels = rng.uniform(0, 1, (9, 60)), np.arange(60) % 3
    test = (rng.uniform(0, 1, (9, 30)), np.arange(30) % 3)
    first = references(X, labels, 3, test=test)
    from mathdl import reverse as package
    monkeypatch.setattr(package, "moments", lambda *a: pytest.fail("recomputed although cached"))
    again = references(X, labels, 3, test=test)
    np.testing.assert_array_equal(again.prior.U, first.prior.U)
    np.testing.assert_array_equal(again.means, first.means)
    assert again.judge.assessment == first.judge.assessment
    changed = X.copy()
    changed[0, 0] += 0.5
    with pytest.raises(pytest.fail.Exception, match="recomputed"):
        references(changed, labels, 3, test=test)  # other images: another key


def test_prior_images_are_read_by_the_judge_on_real_mnist(mnist):
    """A quickly trained ten-output network: the prior's images are read by the network as intended (that is
    λ's rule) and by the judge for most digits, closer to the mean images than the plain ascent's."""
    from mathdl.runs.experiment import Config, run
    config = Config(task="digits", hidden=(50,), scale="book", targets="book", train_size=5000, test_size=500)
    result = run(config, mnist, progress=False)
    task = result.task
    found = reverse(result.net, task.train.X, task.train.labels, methods=["optimize", "prior"],
                    test=(task.test.X, task.test.labels))
    s = found.summary()
    assert s["prior"]["correct"] == 10 and s["prior"]["judge_correct"] >= 8, s["prior"]
    assert s["prior"]["corr_mean"] > s["optimize"]["corr_mean"] and s["prior"]["near_copies"] == 0
    assert found.judge["accuracy"] > 0.85


# ---------------------------------------------------------------------------------------------------
# The mutation sweep's tests


def test_negative_eigenvalues_of_the_covariance_are_taken_as_zero():
    """S with eigenvalues (−10⁻³, 0.5, 2) in a rotated basis, ε = 10⁻²: Σ_ε has eigenvalues (ε, 0.5 + ε, 2 + ε)."""
    R = np.linalg.qr(np.random.default_rng(8).normal(size=(3, 3)))[0]
    S = R @ np.diag([-1e-3, 0.5, 2.0]) @ R.T
    prior = GaussianPrior.of(np.zeros(3), S, 1e-2)
    np.testing.assert_allclose(prior.d, [1e-2, 0.51, 2.01], rtol=1e-12)


def tiny_linear(scale=1e-3, seed=5):
    """A linear 6 → 3 network with tiny weights: J in u is nearly the prior's −(λ/2)‖u‖², every step up to 2/λ
    raises it."""
    net = Network.create([6, 3], ["linear"], rng=np.random.default_rng(seed))
    net.W[1] = net.W[1] * scale
    return net


def test_prior_ascent_steps_start_at_min_eta_and_1_over_lambda_and_grow_by_1_25_up_to_it():
    prior, _, _ = random_prior()
    net = tiny_linear()
    eta = prior_inversion(net, [1], prior, weight=4.0, eta=1.0, steps=5, clip=False)[0].history["eta"]
    assert eta[0] == 0.25 and eta.max() == 0.25  # η ≤ 1/λ from the start
    eta = prior_inversion(net, [1], prior, weight=0.5, eta=1.0, steps=5, clip=False)[0].history["eta"]
    np.testing.assert_array_equal(eta, [1.0, 1.0, 1.25, 1.5625, 1.953125, 2.0])  # every step taken: η·1.25, ≤ 2


def test_prior_images_are_clipped_to_the_pixel_range_at_the_end():
    rng = np.random.default_rng(9)
    A = rng.normal(size=(6, 6))
    prior = GaussianPrior.of(np.full(6, 0.5), A @ A.T, 1e-3, 0.0, 1.0)
    net = Network.create([6, 3], ["linear"], rng=np.random.default_rng(10))
    free = prior_inversion(net, [0, 2], prior, steps=300, clip=False)
    clipped = prior_inversion(net, [0, 2], prior, steps=300)
    for f, c, d in zip(free, clipped, (0, 2)):
        np.testing.assert_array_equal(c.x, np.clip(f.x, 0.0, 1.0))
        assert c.history["output"][0] == pytest.approx(net(c.x[:, None])[d, 0], rel=1e-12)
    assert any(f.x.min() < 0 or f.x.max() > 1 for f in free)  # the test can tell


def test_prior_inversion_refuses_digits_and_images_that_do_not_fit_the_network():
    prior, _, _ = random_prior()
    net = random_net([6, 3], ["sigmoid"])
    for digit in (-1, 3):
        with pytest.raises(MathdlError, match=f"digit {digit} is not an output of a network with 3 outputs"):
            prior_inversion(net, [digit], prior, steps=2)
    with pytest.raises(MathdlError, match="the prior is over images of 6 pixels, the network takes 5"):
        prior_inversion(random_net([5, 3], ["sigmoid"]), [0], prior, steps=2)


def test_map_images_keep_halving_while_any_image_is_misread_and_may_not_halve(monkeypatch):
    """Digit 0 is read as 0 at every λ, the others only for λ ≤ 1/4: one image read is not enough. With
    ``halvings`` = 0, λ = 1 is the only λ tried."""
    net = random_net([6, 3], ["linear"], seed=1)
    prior, _, _ = random_prior()

    def fake(net, digits, prior, *, weight, steps, eta):
        read = [d if weight <= 0.25 or d == 0 else (d + 1) % 3 for d in digits]
        x = [net.W[1].T @ np.eye(3)[r] * 100 for r in read]
        return [prior_module.Inversion("prior", v, np.eye(3)[d], history={}) for d, v in zip(digits, x)]
    monkeypatch.setattr(prior_module, "prior_inversion", fake)
    assert [int(net(f.x[:, None])[:, 0].argmax()) for f in fake(net, [0, 1, 2], prior, weight=1, steps=1, eta=1)] \
        == [0, 2, 0]  # the fake's premise
    assert map_images(net, prior, PriorSettings())[1:] == (0.25, [1.0, 0.5, 0.25])
    assert map_images(net, prior, PriorSettings(halvings=0))[1:] == (1.0, [1.0])


def test_moments_over_several_chunks(monkeypatch):
    """Chunks of 7 images (the labels of each chunk its own): the same means, counts, μ and Σ as at once."""
    import sys
    moments_module = sys.modules["mathdl.reverse.moments"]  # the package's name ``moments`` is the function
    monkeypatch.setattr(moments_module, "CHUNK", 7)
    rng = np.random.default_rng(11)
    X, labels = rng.uniform(0, 1, (5, 40)), rng.permutation(np.arange(40) % 3)
    found = moments(X, labels, 3)
    np.testing.assert_array_equal(found.counts, [14, 13, 13])
    np.testing.assert_allclose(found.means, np.column_stack([X[:, labels == c].mean(axis=1) for c in range(3)]),
                               rtol=1e-12)
    np.testing.assert_allclose(found.mu, X.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(found.covariance, np.cov(X, bias=True), atol=1e-14)


def test_the_cache_key_tells_shapes_dtypes_and_pixel_scales_apart():
    """The same bytes as another shape or dtype, or the same 0-255 pixels at another scale, are other images."""
    from mathdl.data.pixels import Pixels
    from mathdl.reverse.cache import digest
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    keys = {digest((a,)), digest((a.reshape(4, 3),)), digest((a.view(np.int64),))}
    assert len(keys) == 3 and digest((a.copy(),)) in keys
    images = np.random.default_rng(12).integers(0, 256, (5, 16), dtype=np.uint8)
    book, unit = (Pixels(images, how, (0.0, 1.0), np.float64) for how in ("book", "unit"))
    assert digest((book,)) != digest((unit,))
    assert digest((book,)) == digest((Pixels(images.copy(), "book", (0.0, 1.0), np.float64),))
