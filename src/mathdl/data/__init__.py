"""Data: MNIST readers and sources, learning tasks built from it, and 2-D toy datasets."""
from .dots import DOTS, make_dots
from .mnist import MNIST, load_mnist, read_csv, read_idx, read_npz
from .tasks import SCALES, TARGETS, Split, Task, class_weights, dots_task, make_task, parse_id

__all__ = ["MNIST", "load_mnist", "read_idx", "read_csv", "read_npz", "Task", "Split", "make_task",
           "dots_task", "parse_id", "class_weights", "SCALES", "TARGETS", "DOTS", "make_dots"]
