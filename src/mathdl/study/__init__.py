"""The study, the main job: the assignment's eight configurations (``protocol``), trained on worker
processes (``runner``) and compared from their files (``summary``)."""
from .protocol import COMPARISONS, QUICK, StudyOptions
from .runner import run_study

__all__ = ["StudyOptions", "QUICK", "COMPARISONS", "run_study"]
