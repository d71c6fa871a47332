"""The homework's science: the Q2 numpy network, training engines, metrics, data loaders, the OCR and the
PyTorch models. Pure functions on arrays; nothing here knows about the report that uses it.

Importing hw5 has one process-wide effect, on purpose: it sets OMP_WAIT_POLICY=PASSIVE unless already set.
It must happen before anything loads torch's OpenMP runtime, so it cannot wait for a function call.
"""
import os

# Before any module loads torch (and its libgomp): OpenMP threads that spin while waiting starve the
# working thread on 2 shared cores (a small epoch went from 0.37 s to 22 s, measured in Q6.1).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
