#!/usr/bin/env bash
# Refresh the README's study pictures from a finished study (run from the repository root):
#   docs/study/make.sh study-100384 [PAGE ...]     (the report's pages to show; default 1 4 7 12)
set -euo pipefail
study=${1:?usage: docs/study/make.sh STUDY_DIR [PAGE ...]}
shift
pages=${*:-1 4 7 12}
out=docs/study
cp "$study"/confusion_matrices.png "$study"/learning_curves.png "$study"/accuracy_vs_size.png "$out"/
cp "$study"/reverse/1layer/reverse-id.png "$out"/reverse-id.png
rm -f "$out"/report-*.png
python - "$study" "$out" $pages <<'PY'
"""The chosen pages of the report as PNGs, and every PNG stored with a 256-colour palette (a third of the
size; these figures have few colours)."""
import sys
from pathlib import Path

import typst
from PIL import Image

study, out, chosen = Path(sys.argv[1]), Path(sys.argv[2]), [int(n) for n in sys.argv[3:]]
pages = typst.compile(str(study / "report.typ"), root=str(study), format="png", ppi=80)
for number in chosen:
    (out / f"report-{number}.png").write_bytes(pages[number - 1])
for path in sorted(out.glob("*.png")):
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)
PY
