"""Data sets: the embedded digits now; downloadable ones arrive with the product work."""
from .digits import load_digits  # noqa: F401
