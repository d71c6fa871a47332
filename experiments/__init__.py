"""One module per question. Each exposes SECTION (reportkit.result.Section) and run(ctx) -> Result.

SECTION_MODULES fixes the order of the writeup; sections run in that order except that a section
runs after the sections it consumes (q4 reads the weights of q3 and q6_1).
"""
import hw5  # noqa: F401 - sets OMP_WAIT_POLICY before anything loads torch

SECTION_MODULES = (
    "experiments.q1_theory",
    "experiments.q2_numpy_net",
    "experiments.q3_nist_mlp",
    "experiments.q4_ocr",
    "experiments.q5_autoencoder",
    "experiments.q6_1_torch",
    "experiments.q6_2_finetune",
)
