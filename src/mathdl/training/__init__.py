"""Training: epochs of shuffled online or mini-batch updates (``loop``), with the per-epoch scores
(``evaluate``), the checkpoints that make an interrupted run resumable (``checkpoint``) and the cheap
numerical health checks (``diagnostics``)."""
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .evaluate import Evaluation, evaluate
from .loop import History, Settings, train

__all__ = ["Settings", "History", "train", "Evaluation", "evaluate", "Checkpoint", "save_checkpoint",
           "load_checkpoint"]
