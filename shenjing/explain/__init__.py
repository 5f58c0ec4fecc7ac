"""Seeing inside a network: per-layer summaries (graphs and backward traces come later)."""
from .summary import LayerInfo, ModelSummary, summary  # noqa: F401
