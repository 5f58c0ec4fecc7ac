"""Seeing inside a network: summaries (and later graphs and backward traces)."""
