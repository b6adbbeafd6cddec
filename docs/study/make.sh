#!/usr/bin/env bash
# Refresh the README's study pictures from a finished study (run from the repository root):
#   docs/study/make.sh study-100384
set -euo pipefail
study=${1:?usage: docs/study/make.sh STUDY_DIR}
out=docs/study
cp "$study"/confusion_matrices.png "$study"/learning_curves.png "$study"/accuracy_vs_size.png "$out"/
cp "$study"/reverse/1layer/reverse-id.png "$out"/reverse-id.png
python - "$study" "$out" <<'PY'
"""Pages 2, 5 and 10 of the report as PNGs, and every PNG stored with a 256-colour palette (a third of
the size; these figures have few colours)."""
import sys
from pathlib import Path

import typst
from PIL import Image

study, out = Path(sys.argv[1]), Path(sys.argv[2])
pages = typst.compile(str(study / "report.typ"), format="png", ppi=80)
for number in (2, 5, 10):
    (out / f"report-{number}.png").write_bytes(pages[number - 1])
for path in sorted(out.glob("*.png")):
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)
PY
