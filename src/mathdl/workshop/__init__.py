"""The workshop's computations on toy problems: networks trained on 2-D dots and their decision over the
plane (``boundary``), gradient descent on a parabola and down loss surfaces (``descent``). The
pictures of both are in ``mathdl.plots.workshop``."""
