"""Runs: one configuration end to end — task, network, training, evaluation — written as a run
directory (``experiment``, ``directory``); a trained run applied to new images (``predict``); and the
reverse part's directory (``reverse``)."""
from .directory import Run, load_run, write_run

__all__ = ["Run", "load_run", "write_run"]
