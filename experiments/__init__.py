"""The questions of the homework, one module each: its parts, its SECTION, nothing else.

Each module declares `SECTION = Section(id, title, template, parts)` (reportkit.section); report.py lists
them in the order of the writeup. The science they run lives in the hw5 library.
"""
import hw5  # noqa: F401 - sets OMP_WAIT_POLICY before anything loads torch
