"""mathdl: the mathematics of deep learning, runnable.

Networks built from their equations on NumPy (features × samples, W⁽ˡ⁾ of shape (n_l, n_{l−1})),
trained by online or matrix backpropagation on MNIST and 2-D toy data.

The package is laid out in the order data flows: ``base`` (errors, files, randomness, the terminal) →
``data`` and ``nn`` (the network from its equations; ``nn.fast`` its compiled twins) → ``training`` →
``evaluation`` → ``workshop`` and ``reverse`` → ``plots`` → ``runs`` → ``report`` → ``study``, with the
applications on top: ``cli``, ``sklearn``, ``bench``.
"""
from .base.errors import MathdlError
from .data import dots_task, load_mnist, make_dots, make_task
from .evaluation import binary_report, confusion_matrix, mcnemar, multiclass_report
from .nn import Network, backprop, gradcheck, gradients
from .nn.model_file import load_model, save_model
from .runs import load_run
from .training import Settings, evaluate, train

__version__ = "0.1.0"

__all__ = ["load_mnist", "make_task", "make_dots", "dots_task", "Network", "backprop", "gradients",
           "gradcheck", "Settings", "train", "evaluate", "confusion_matrix", "binary_report",
           "multiclass_report", "mcnemar", "save_model", "load_model", "load_run", "MathdlError"]
