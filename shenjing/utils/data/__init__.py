"""Datasets, samplers and the DataLoader (filled in by the data work)."""
