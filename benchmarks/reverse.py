"""Time of the reverse part: a study's ten-output networks run backwards (a benchmark, not a test).

    python benchmarks/reverse.py STUDY_DIR [--repeats 3] [--json OUT.json]

For each reverse network of the study (``reverse/1layer``, ``reverse/3layers``, ``reverse/book``): its task is
built once, then ``study.runner.run_backwards`` — load the model, every method, the measurements, the figures and
files — runs into a scratch copy of its folder, on one BLAS thread as in the study's workers, ``--repeats`` times;
the script prints the median seconds of each network and their sum, wall-clock and of this process's CPU (on a
shared machine the CPU seconds move far less with the load than the wall-clock ones), with the load average
before and after.
The networks' training is not in it (``mathdl bench --cases study`` times the whole study).

To compare two versions of mathdl, run the script with each on the same study, alternately, under the same load:
``PYTHONPATH=/path/to/other/checkout/src python benchmarks/reverse.py STUDY_DIR`` runs the other version's code.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

import mathdl
from mathdl.data.mnist import load_mnist
from mathdl.runs.directory import load_run
from mathdl.runs.experiment import Config, build_task
from mathdl.study.runner import run_backwards


def time_reverse(study: Path, repeats: int) -> tuple[dict, dict]:
    """{network: [wall-clock seconds of each repeat]} and the same in CPU seconds, for the reverse networks of
    ``study``."""
    state = json.loads((study / "study.json").read_text())
    options = state.get("options", {})
    seed, student_id = options.get("seed", 0), options.get("student_id", "100384")
    mnist = load_mnist(None, progress=False)
    seconds, cpu = {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for folder in sorted(p for p in (study / "reverse").iterdir() if (p / "model" / "model.npz").is_file()):
            config = Config.from_dict(load_run(folder / "model").config["config"])
            task = build_task(config, mnist)
            target = Path(scratch) / folder.name
            shutil.copytree(folder / "model", target / "model")
            times, cpus = [], []
            for _ in range(repeats):
                with threadpool_limits(limits=1):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    run_backwards(target, config, task, seed=seed, student_id=student_id)
                    times.append(time.perf_counter() - start)
                    cpus.append(time.process_time() - start_cpu)
            seconds[folder.name], cpu[folder.name] = times, cpus
            del task
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="a finished study directory (mathdl study --out DIR)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the seconds here")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    seconds, cpu = time_reverse(args.study, args.repeats)
    after = os.getloadavg()[0]
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    cpu_medians = {name: statistics.median(times) for name, times in cpu.items()}
    print(f"mathdl from {Path(mathdl.__file__).parent}; load average {before:.2f} → {after:.2f}")
    for name, times in seconds.items():
        print(f"  {name:8s} median {medians[name]:6.2f} s wall, {cpu_medians[name]:6.2f} s CPU   "
              f"({', '.join(f'{t:.2f}' for t in times)} wall)")
    print(f"  total    {sum(medians.values()):6.2f} s wall, {sum(cpu_medians.values()):6.2f} s CPU")
    if args.json:
        args.json.write_text(json.dumps({"code": str(Path(mathdl.__file__).parent), "load": [before, after],
                                         "seconds": seconds, "cpu_seconds": cpu, "total": sum(medians.values()),
                                         "total_cpu": sum(cpu_medians.values())}, indent=1))


if __name__ == "__main__":
    main()
