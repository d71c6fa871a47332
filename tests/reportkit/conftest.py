"""The toy project of the planning, running, diff and verify tests (tests/toyproject.py holds its code)."""
import importlib
import sys

import pytest

from reportkit.project import Project
from toyproject import SECTION_CODE



@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A toy project: package `toyproj` with one section of three parts, a data root, and a fresh out dir."""
    (tmp_path / "toyproj").mkdir()
    (tmp_path / "toyproj" / "__init__.py").write_text("")
    (tmp_path / "toyproj" / "sec.py").write_text(SECTION_CODE)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.txt").write_text("10")
    monkeypatch.syspath_prepend(str(tmp_path))
    for mod in [m for m in sys.modules if m.startswith("toyproj")]:
        monkeypatch.delitem(sys.modules, mod)

    def project():
        for mod in [m for m in sys.modules if m.startswith("toyproj")]:
            del sys.modules[mod]
        section = importlib.import_module("toyproj.sec").SECTION
        return Project(root=tmp_path, sections=(section,), code_packages=("toyproj",),
                       find_data_root=lambda cli: tmp_path / "data")
    return tmp_path, project
