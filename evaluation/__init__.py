"""Evaluation: task sets, scoring, statistics and reports."""
