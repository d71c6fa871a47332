"""One module per question. Each exposes SECTION (reportkit.result.Section) and run(ctx) -> Result.

SECTION_MODULES fixes the order of the writeup; a section may consume only sections listed before it.
"""
SECTION_MODULES = (
    "experiments.q1_theory",
    "experiments.q2_numpy_net",
    "experiments.q3_nist_mlp",
    "experiments.q4_ocr",
)
