"""shenjing.backend.memory: freed arrays are reused, not faulted in afresh every step."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = """
import resource, sys
import numpy as np
if sys.argv[1] == "1":
    import shenjing
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
# a training step's pattern: two large arrays made and freed. Both are over glibc's largest
# dynamic mmap threshold (32 MiB), so untuned malloc maps them afresh whatever the import
# freed before (smaller ones come from the heap once a freed block raised the threshold)
for _ in range(3):
    a = np.ones(9 << 20, np.float32); b = np.ones(12 << 20, np.float32); del a, b
f = faults()
for _ in range(10):
    a = np.ones(9 << 20, np.float32); b = np.ones(12 << 20, np.float32); del a, b
print((faults() - f) / 10)
"""


def _faults(import_shenjing: bool, **env: str) -> float:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "SHENJING_KEEP"))}
    e.update(PYTHONPATH=ROOT, **env)
    out = subprocess.run([sys.executable, "-c", PROBE, "1" if import_shenjing else "0"],
                         capture_output=True, text=True, env=e, timeout=60, check=True)
    return float(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning")
def test_importing_shenjing_stops_the_per_step_page_faults():
    plain = _faults(False)
    if plain < 50:
        pytest.skip(f"this malloc does not fault the pattern in afresh ({plain} faults)")
    assert _faults(True) < plain / 10


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning")
def test_keep_memory_can_be_turned_off():
    plain = _faults(False)
    if plain < 50:
        pytest.skip(f"this malloc does not fault the pattern in afresh ({plain} faults)")
    assert _faults(True, SHENJING_KEEP_MEMORY="0") > plain / 2
