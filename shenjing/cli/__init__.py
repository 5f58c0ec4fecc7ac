"""The ``shenjing`` command."""
