"""A directory held by one process (``mathdl.base.lock``): a second process is refused at once with one line
naming the holder; the kernel ends the lock with the holder's process, however it ends (a killed study never
leaves a stale lock); re-entrant in one process; a directory held and given up with nothing written is left as
it was."""
import os
import re
import signal
import subprocess
import sys

import pytest

from mathdl.base.errors import MathdlError
from mathdl.base.lock import LOCK_FILE, holding

HOLD = ("import sys; from mathdl.base.lock import holding\n"
        "with holding(sys.argv[1]):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.readline()\n")


def hold_elsewhere(folder) -> subprocess.Popen:
    """Another process holding ``folder`` until its stdin is closed (or it is killed)."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def end(process: subprocess.Popen, kill: bool = False) -> None:
    """The holder ends: killed (SIGKILL: no clean-up of its own), or by closing its stdin."""
    if kill:
        process.send_signal(signal.SIGKILL)
    process.stdin.close()
    process.wait()
    process.stdout.close()


def assert_refused(folder, holder: str) -> None:
    """``holding(folder)`` is refused with the one line that names the holder (``holder``: a regular expression)."""
    with pytest.raises(MathdlError, match=rf"another mathdl study is running in {re.escape(str(folder))} "
                                          rf"\({holder}\); wait for it to end"):
        with holding(folder):
            pass


def test_a_held_directory_is_refused_and_free_again_when_the_holder_is_killed(tmp_path):
    folder = tmp_path / "study"
    holder = hold_elsewhere(folder)
    try:
        assert_refused(folder, rf"process {holder.pid} on .+")
    finally:
        end(holder, kill=True)
    assert (folder / LOCK_FILE).exists()  # the killed holder left its file, but not its lock
    with holding(folder):
        assert (folder / LOCK_FILE).read_text().startswith(f"process {os.getpid()} on ")


def test_the_lock_is_reentrant_in_one_process_and_leaves_nothing(tmp_path):
    folder = tmp_path / "new" / "study"
    with holding(folder):
        with holding(folder):
            assert (folder / LOCK_FILE).is_file()
        holder = subprocess.run([sys.executable, "-c", HOLD, str(folder)], input="", capture_output=True, text=True)
        assert holder.returncode == 1 and "another mathdl study is running" in holder.stderr  # still held
    assert not folder.exists()  # made for the lock, nothing written in it: gone again
    (tmp_path / "kept").mkdir()
    with holding(tmp_path / "kept"):
        (tmp_path / "kept" / "study.json").write_text("{}")
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["study.json"]


def test_a_second_study_in_a_held_directory_is_one_line_and_writes_nothing(tmp_path, tiny_data, capsys):
    """While another process holds the study directory (a study started there a moment earlier), ``mathdl study``
    with other options is refused before anything is written: one line, exit 2."""
    from mathdl.cli import main

    folder = tmp_path / "study"
    holder = hold_elsewhere(folder)
    try:
        before = sorted(p.name for p in folder.iterdir())
        code = main(["study", "--data", str(tiny_data), "--out", str(folder), "--seed", "1", "--quiet"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1, err
        assert f"another mathdl study is running in {folder} (process {holder.pid} on" in err
        assert sorted(p.name for p in folder.iterdir()) == before
    finally:
        end(holder)


@pytest.mark.skipif(os.name == "nt", reason="flock: two descriptors of one file conflict in one process")
def test_a_holder_that_has_locked_but_not_yet_written_its_name_is_still_named(tmp_path):
    """Between the holder's lock and its write the lock file is empty (a race seen under load): the refusal waits
    a moment for the name instead of leaving it out."""
    import fcntl
    import threading
    folder = tmp_path / "study"
    folder.mkdir()
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # locked, nothing written yet
    writer = threading.Timer(0.2, lambda: os.write(fd, b"process 4242 on elsewhere\n"))
    writer.start()
    try:
        assert_refused(folder, "process 4242 on elsewhere")
    finally:
        writer.join()
        os.close(fd)
