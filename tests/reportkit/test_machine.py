"""reportkit.machine: the CPU and kernels an entry was computed with, and when two records may differ."""
from reportkit.machine import describe, same_kernels, summary, vector_isa


def test_the_widest_vector_instruction_set_is_named():
    assert vector_isa(frozenset({"sse2", "avx", "avx2", "avx512f", "avx512_bf16"})) == "AVX-512 with bf16"
    assert vector_isa(frozenset({"avx2", "avx512f"})) == "AVX-512"
    assert vector_isa(frozenset({"avx", "avx2"})) == "AVX2"
    assert vector_isa(frozenset()) == "unknown"


def test_this_machine_is_described_with_the_kernels_its_libraries_chose():
    import numpy  # noqa: F401 - loads the BLAS that threadpoolctl reports

    record = describe()
    assert set(record) == {"cpu", "isa", "cores", "kernels"} and record["cores"] >= 1
    assert any(name in record["kernels"] for name in ("openblas", "mkl", "blis"))
    assert summary(record).startswith(record["cpu"] + " (" + record["isa"])


def test_records_differ_by_instruction_set_or_a_shared_library_only():
    a = {"isa": "AVX2", "kernels": {"openblas": "Haswell", "torch": "AVX2"}}
    assert same_kernels(a, {"isa": "AVX2", "kernels": {"openblas": "Haswell"}})      # torch not loaded there
    assert not same_kernels(a, {"isa": "AVX-512", "kernels": {"openblas": "Haswell"}})
    assert not same_kernels(a, {"isa": "AVX2", "kernels": {"openblas": "Zen"}})
    assert same_kernels(None, a) and summary(None) == "not recorded"
