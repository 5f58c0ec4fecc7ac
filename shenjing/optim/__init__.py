"""Optimizers (filled in by the optim work)."""
