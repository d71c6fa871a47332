"""One module per question. Each exposes SECTION (reportkit.result.Section) and run(ctx) -> Result.

SECTION_MODULES fixes the order of the writeup; sections run in that order except that a section
runs after the sections it consumes (q4 reads the weights of q3 and q6_1).
"""
import os

# Before any module loads torch (and its libgomp): OpenMP threads that spin while waiting starve the
# working thread on 2 shared cores (a small epoch went from 0.37 s to 22 s, measured in Q6.1).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

SECTION_MODULES = (
    "experiments.q1_theory",
    "experiments.q2_numpy_net",
    "experiments.q3_nist_mlp",
    "experiments.q4_ocr",
    "experiments.q5_autoencoder",
    "experiments.q6_1_torch",
    "experiments.q6_2_finetune",
)
