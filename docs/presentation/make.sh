#!/usr/bin/env bash
# Refresh the README's frames of the presentation from a finished study (run from the repository root):
#   docs/presentation/make.sh study-100384 [SLIDE ...]     (the slides to show; default 1 8 14)
set -euo pipefail
study=${1:?usage: docs/presentation/make.sh STUDY_DIR [SLIDE ...]}
shift
python - "$study" docs/presentation ${*:-1 8 14} <<'PY'
"""The picture in the middle of each chosen slide's interval, decoded from presentation.mp4 (the times are
presentation.md's), at half size."""
import re
import sys
from pathlib import Path

import av
from PIL import Image

study, out, chosen = Path(sys.argv[1]), Path(sys.argv[2]), [int(n) for n in sys.argv[3:]]
clock = lambda m, s: 60 * int(m) + float(s)  # noqa: E731
times = {int(n): (clock(m0, s0) + clock(m1, s1)) / 2 for n, m0, s0, m1, s1 in re.findall(
    r"^## (\d+)\. .*\((\d+):([\d.]+)–(\d+):([\d.]+)\)$", (study / "presentation.md").read_text(), re.M)}
for path in out.glob("frame-*.png"):
    path.unlink()
with av.open(str(study / "presentation.mp4")) as container:
    stream = container.streams.video[0]
    for number in chosen:
        container.seek(int(times[number] / stream.time_base), stream=stream, backward=True)
        frame = next(f for f in container.decode(stream) if f.time + 1 / stream.average_rate >= times[number])
        image = frame.to_image().resize((960, 540), Image.Resampling.LANCZOS)
        image.save(out / f"frame-{number:02d}.png", optimize=True)  # no palette: it turns a lone red brown
        print(f"slide {number}: the frame at {frame.time:.1f} s")
PY
