"""The fast paths: the same equations as the readable reference in ``mathdl.nn``, computed faster.

    matrix.MatrixStep   backprop() then Momentum.step / Adam.step, on preallocated buffers
    sgd.FastSGD         backprop() then SGD.step, batch after batch, the first layer's updates deferred
                        over a block of samples; its loop compiled (``kernels``)
    online.OnlineSGD    FastSGD with batches of one sample: the online method
    threads             small products on one BLAS thread

The tests that prove each equal to its readable twin are in tests/test_fast.py (whole training runs
of both engines, every activation and cost) and tests/test_pixels.py.
"""
