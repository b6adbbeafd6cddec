"""Evaluation: what a trained network's predictions say — confusion matrices, rates with 95% intervals,
McNemar's test (``metrics``)."""
from .metrics import binary_report, confusion_matrix, mcnemar, multiclass_report

__all__ = ["confusion_matrix", "binary_report", "multiclass_report", "mcnemar"]
