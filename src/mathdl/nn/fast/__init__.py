"""The fast paths: the same equations as the readable reference in ``mathdl.nn``, computed faster, and the
one place that chooses the training route (``updates``).

    matrix.MatrixStep   = backprop() then Momentum.step / Adam.step, on preallocated buffers, the step fused
                          into one compiled pass over each parameter (``steps``)
    sgd.FastSGD         = backprop() then SGD.step, batch after batch (the first layer's updates deferred
                          over a block of samples; the loop compiled, ``kernels``)
    online.OnlineSGD    = backprop_online() then SGD.step, sample after sample (FastSGD with batches of one)
    threads             small products on one BLAS thread

Each has the interface of ``mathdl.nn.updates.ReferenceUpdates``, its readable twin. tests/test_fast.py
proves every one equal to it, in whole training runs of both engines and for every activation and cost
(tests/test_pixels.py: the byte images equal the scaled matrix).
"""
from __future__ import annotations

from ...base.errors import choice
from ..costs import Cost
from ..network import Network
from ..optimizers import SGD
from ..updates import ReferenceUpdates

ENGINES = {"fast": "the compiled and in-place fast paths (nn.fast)",
           "reference": "backprop() and the optimiser's step, nothing else (nn.updates)"}


def updates(net: Network, cost: Cost, method: str, optimizer, batch: int, engine: str = "fast"):
    """The training route for ``net``: updates by ``method`` (online: one sample at a time; matrix: batches of
    ``batch``) and ``optimizer``, through the ``engine`` chosen. ``reference`` is ``ReferenceUpdates``; ``fast``
    is ``OnlineSGD`` or ``FastSGD`` for plain SGD, ``MatrixStep`` for momentum and Adam, and the reference for
    any other optimiser. Every route has ``eta``, ``chunk``, ``pieces(X, Y, w)``, ``state()`` and ``restore()``.
    """
    choice("engine", engine, ENGINES)
    batch = 1 if method == "online" else batch
    if engine == "fast" and type(optimizer) is SGD:
        from .online import OnlineSGD
        from .sgd import FastSGD
        if method == "online":
            return OnlineSGD(net, cost, optimizer.eta)
        return FastSGD(net, cost, optimizer.eta, batch)
    if engine == "fast":
        from .matrix import MatrixStep, supported
        if supported(optimizer):
            return MatrixStep(net, cost, optimizer, batch)
    return ReferenceUpdates(net, cost, method, optimizer, batch)
