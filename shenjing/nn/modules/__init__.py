"""Layers as Modules, one file per family."""
