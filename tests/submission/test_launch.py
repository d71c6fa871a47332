"""submission.launch, what the zip's run_q*.py do: the script's folder as the user reached it (a symlinked
python/ keeps its name), where data/ is looked for, the user's --data/--out, and the atomic copy."""
import os

import pytest

from submission import launch


@pytest.fixture
def course(tmp_path):
    """tmp/real/python (the unzipped folder, with data/ nowhere near it) and tmp/course/{data/, python -> real}."""
    real = tmp_path / "real" / "python"
    real.mkdir(parents=True)
    (real / "run_q3.py").write_text("")
    (tmp_path / "course" / "data").mkdir(parents=True)
    (tmp_path / "course" / "python").symlink_to(real, target_is_directory=True)
    return tmp_path


def test_the_logical_working_folder_keeps_a_symlinks_name(course, monkeypatch):
    monkeypatch.chdir(course / "course" / "python")
    monkeypatch.setenv("PWD", str(course / "course" / "python"))
    assert launch.logical_cwd() == course / "course" / "python"
    physical = (course / "real" / "python").resolve()
    assert os.getcwd() == str(physical)                              # what the file system says
    monkeypatch.setenv("PWD", str(course))                           # a stale $PWD is not believed
    assert launch.logical_cwd() == physical
    monkeypatch.delenv("PWD")
    assert launch.logical_cwd() == physical


@pytest.mark.parametrize("cwd, argv0", [("course/python", "run_q3.py"), ("course", "python/run_q3.py"),
                                        ("real", "../course/python/run_q3.py")])
def test_the_script_folder_is_the_one_the_user_reached(course, monkeypatch, cwd, argv0):
    monkeypatch.chdir(course / cwd)
    monkeypatch.setenv("PWD", str(course / cwd))
    script = str(course / "real" / "python" / "run_q3.py")         # __file__: the resolved path
    assert launch.invoked_folder(argv0, script) == course / "course" / "python"


def test_the_scripts_own_folder_when_argv0_is_another_program(course, monkeypatch):
    monkeypatch.chdir(course)
    script = str(course / "real" / "python" / "run_q3.py")
    assert launch.invoked_folder("-c", script) == course / "real" / "python"


def test_data_is_looked_for_beside_the_folder_reached_then_beside_the_working_folder_then_the_real_one(course):
    reached, real = course / "course" / "python", course / "real" / "python"
    candidates = launch.data_root_candidates(reached, reached, real)
    assert candidates == [course / "course", course / "real"]
    assert launch.find_data_root(candidates) == course / "course"
    assert launch.find_data_root([course / "real"]) is None
    (course / "real" / "data").write_text("")                        # a file named data is not the folder
    assert launch.find_data_root([course / "real"]) is None


@pytest.mark.parametrize("args, value", [([], None), (["--data", "x"], "x"), (["--data=y"], "y"),
                                         (["--data", "x", "--data=z"], "z"), (["--data"], None),
                                         (["--database", "x"], None)])
def test_option_reads_the_last_value_given(args, value):
    assert launch.option(args, "--data") == value


def test_a_missing_data_folder_is_one_line_and_exit_code_2(course, monkeypatch, capsys):
    monkeypatch.chdir(course / "real" / "python")
    monkeypatch.setenv("PWD", str(course / "real" / "python"))
    ran = []
    code = launch.run_question("q3", ["run_q3.py"], str(course / "real" / "python" / "run_q3.py"), ran.append)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no data/ folder" in err and "--data DIR" in err, err
    assert not ran and not (course / "real" / "python" / "build").exists()       # nothing ran, nothing written


def test_copy_atomic_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "new").write_bytes(b"new")
    (tmp_path / "dest").write_bytes(b"a corrupted pickle")
    launch.copy_atomic(tmp_path / "new", tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == b"new"
    with pytest.raises(OSError):
        launch.copy_atomic(tmp_path / "missing", tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest", "new"]
