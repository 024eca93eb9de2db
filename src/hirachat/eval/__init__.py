"""Evaluation stage: score engines and models on a split; metrics, comparisons, reports."""
