"""Measure what scales and write the README's table (run from the repository root, on a quiet machine):

    python docs/study/scaling.py            # the full study on 1 and 2 workers, and with 5 seeds (~35 min on 2 cores)
    python docs/study/scaling.py --quick    # the quick profile: 1 and 2 workers, and 3 seeds (~2 min)

Each command runs in a fresh process on a local cluster and is timed from start to exit (report
included); the load average before and after says how busy the machine was. Replaces the README's block
between <!-- scaling:begin --> and <!-- scaling:end -->; the seeds' study stays in study-100384-seeds5/
(or -quick-seeds3/) for docs/study/seeds.py."""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BEGIN, END = "<!-- scaling:begin -->", "<!-- scaling:end -->"


def timed(args: list[str]) -> tuple[float, float, float]:
    before = os.getloadavg()[0]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mathdl", "study", *args, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, before, os.getloadavg()[0]


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    profile = ["--quick"] if quick else []
    seeds, kept = (3, "study-100384-quick-seeds3") if quick else (5, "study-100384-seeds5")
    rows = []
    with tempfile.TemporaryDirectory(prefix="mathdl-scaling-") as tmp:
        for jobs in (1, 2):
            seconds, before, after = timed([*profile, "--jobs", str(jobs), "--out", f"{tmp}/jobs{jobs}"])
            rows.append((f"`{' '.join(['mathdl study', *profile])}`", jobs, 8, seconds, before, after))
    seconds, before, after = timed([*profile, "--seeds", str(seeds), "--out", kept])
    rows.append((f"`{' '.join(['mathdl study', *profile, '--seeds', str(seeds)])}`", 2, 8 * seeds, seconds, before,
                 after))
    block = [BEGIN, f"Measured by `python docs/study/scaling.py{' --quick' if quick else ''}` on "
             f"{time.strftime('%Y-%m-%d')}, a local cluster on this machine's {os.cpu_count()} cores:", "",
             "| command | workers | networks of the eight configurations | wall time | load average before → after |",
             "|:--|--:|--:|--:|:--|"]
    block += [f"| {command} | {jobs} | {networks} | {seconds:.0f} s | {before:.2f} → {after:.2f} |"
              for command, jobs, networks, seconds, before, after in rows]
    block.append(END)
    readme = Path("README.md")
    text = readme.read_text()
    head, rest = text.split(BEGIN, 1)
    readme.write_text(head + "\n".join(block) + rest.split(END, 1)[1])
    print("\n".join(block))


if __name__ == "__main__":
    main()
