"""The benchmark harness on tiny synthetic MNIST-shaped data: it runs every case but the study, writes
BENCHMARKS.md, reports absent peers as skipped, and refuses a full run on data that is not the full MNIST.
No timing is asserted."""
import numpy as np
import pytest

from mathdl.bench import Options, Row, run_bench
from mathdl.bench import peers
from mathdl.bench.report import markdown
from mathdl.bench.timing import train_flops
from mathdl.cli import main
from mathdl.base.errors import MathdlError


@pytest.fixture
def tiny(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    np.savez(path, train_images=rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),
             train_labels=(np.arange(300) % 10).astype(np.uint8),
             test_images=rng.integers(0, 256, (100, 28, 28), dtype=np.uint8),
             test_labels=(np.arange(100) % 10).astype(np.uint8))
    return str(path)


def test_quick_run_writes_the_tables_and_the_targets(tiny, tmp_path, capsys):
    out, notes = tmp_path / "BENCHMARKS.md", tmp_path / "notes.md"
    notes.write_text("## Reading the numbers\n\nThe GEMMs dominate.\n")
    assert main(["bench", "--quick", "--data", tiny, "--cases", "matrix,online,t98,scaling,load", "--repeats", "1",
                 "--threads", "1", "--quiet", "--out", str(out), "--notes", str(notes)]) == 0
    text = out.read_text()
    assert text.endswith("## Reading the numbers\n\nThe GEMMs dominate.\n")
    for heading in ("## Targets", "## Matrix backprop", "## Online backprop", "## Time to the test accuracy",
                    "## How mathdl's cost grows", "## Where mathdl's time goes: online", "## Machine"):
        assert heading in text
    assert "| 2. weights after the epoch equal the book loop's |" in text
    assert "written:" in capsys.readouterr().out


def test_absent_peers_are_skipped(tiny, monkeypatch):
    def absent(threads):
        raise peers.Skipped("PyTorch is not installed")
    monkeypatch.setattr(peers, "_torch", absent)
    report = run_bench(Options(cases=("matrix", "online"), quick=True, repeats=1, threads=(1,), data=tiny),
                       say=lambda line: None)
    torch_rows = [r for r in report.rows if r.tool == "pytorch"]
    assert torch_rows and all(r.skipped == "PyTorch is not installed" and not r.seconds for r in torch_rows)
    assert all(r.seconds for r in report.rows if r.tool in ("mathdl", "book loop"))
    assert report.checks["online_weights"]["book loop"] < 1e-12  # the same weights as the book's loop
    assert "skipped" in markdown(report, "mathdl bench")
    assert report.ratio("matrix", "pytorch") is None


def test_kernels_set_by_the_environment_are_said(tiny, monkeypatch):
    from mathdl.bench.report import machine
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        monkeypatch.delenv(name, raising=False)
    lines = []
    run_bench(Options(cases=("load",), quick=True, repeats=1, threads=(1,), data=tiny), say=lines.append)
    assert not any("OPENBLAS" in line for line in lines) and "set by" not in machine()["BLAS"]
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "512")
    lines = []
    run_bench(Options(cases=("load",), quick=True, repeats=1, threads=(1,), data=tiny), say=lines.append)
    assert lines[0] == ("note: OpenBLAS's kernels are set by OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE=512 in the "
                        "environment, not chosen for this processor; unset them for this command to measure what "
                        "the processor can do")
    assert machine()["BLAS"].endswith("; kernels set by OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE=512")


def test_peers_can_be_left_out_and_the_full_run_needs_the_full_mnist(tiny):
    report = run_bench(Options(cases=("matrix",), quick=True, repeats=1, threads=(1,), peers=(), data=tiny),
                       say=lambda line: None)
    assert {r.tool for r in report.rows} == {"mathdl"}
    with pytest.raises(MathdlError, match="needs the full MNIST"):
        run_bench(Options(cases=("matrix",), data=tiny), say=lambda line: None)
    with pytest.raises(MathdlError, match="unknown case or peer nope"):
        Options(cases=("nope",))


def test_targets_compare_each_tool_at_its_best_thread_count():
    report = run_bench.__globals__["Report"](Options(cases=("matrix",)))
    report.rows = [Row("matrix", "mathdl", 1, [2.0]), Row("matrix", "mathdl", 2, [1.0, 0.6, 0.7]),
                   Row("matrix", "pytorch", 1, [1.5]), Row("matrix", "pytorch", 2, [3.0]),
                   Row("matrix", "scikit-learn", 1, skipped="absent")]
    assert report.ratio("matrix", "pytorch") == pytest.approx(0.7 / 1.5)
    (torch_target, sklearn_target) = report.targets()
    assert torch_target[1:] == ("0.47×", "≤ 0.5×", True) and sklearn_target[3] is None
    report.rows[1].seconds = [0.8]  # 0.53× PyTorch's time: above the target
    assert report.targets()[0][1:] == ("0.53×", "≤ 0.5×", False)


def test_the_study_on_dask_is_compared_with_the_previous_executor():
    report = run_bench.__globals__["Report"](Options(cases=("study",)))
    report.checks = {"study": {"seconds": 301.0, "peak_rss": 2**30}, "study_previous": {"seconds": 290.0, "peak_rss": 2**31},
                     "study_quick": {"seconds": 20.0, "peak_rss": None}, "study_quick_previous": {"seconds": 17.0,
                                                                                              "peak_rss": None}}
    targets = {name: (measured, met) for name, measured, _, met in report.targets()}
    assert targets["4. mathdl study (full): Dask executor ÷ the previous Pool executor"] == ("1.038×", True)
    assert not any("--quick: Dask" in name for name in targets)  # the quick study's ratio is not a target
    assert targets["4. study peak memory (Σ RSS of the process tree)"] == ("1.00 GiB", True)  # Dask's alone


def test_the_presentation_has_its_time_and_memory_targets():
    report = run_bench.__globals__["Report"](Options(cases=("study",)))
    report.checks = {"present": {"seconds": 61.0, "peak_rss": 0.5 * 2**30},
                     "present_quick": {"seconds": 12.0, "peak_rss": 1.1 * 2**30}}
    targets = {name: (measured, met) for name, measured, _, met in report.targets()}
    assert targets["5. mathdl present, s"] == ("61 s", False)
    assert targets["5. mathdl present, quick study, s"] == ("12 s", True)
    assert targets["5. mathdl present peak memory"] == ("1.10 GiB", False)


def test_flops_of_one_training_step():
    # forward 784·100 + 100·10, ∂C/∂W the same, backpropagated δ 100·10: each multiply-add 2 operations
    assert train_flops([784, 100, 10]) == 2 * (2 * 78_400 + 3 * 1_000)


@pytest.mark.parametrize("args,message", [
    (["--cases", "matrix,nope"], "argument --cases: choose from matrix, online"),
    (["--peers", "torch"], "argument --peers: choose from pytorch, scikit-learn, book loop"),
    (["--threads", "0"], "argument --threads: must be positive integers")])
def test_bad_options_are_one_line_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_goal_above_one_and_missing_notes_are_refused(capsys, tmp_path):
    assert main(["bench", "--goal", "98"]) == 2
    assert "--goal is an accuracy between 0 and 1" in capsys.readouterr().err
    assert main(["bench", "--notes", str(tmp_path / "absent.md")]) == 2
    assert "cannot read --notes" in capsys.readouterr().err
