#!/usr/bin/env bash
# Regenerate the README's gallery (run from the repository root after `pip install .`).
set -euo pipefail
out=docs/gallery
mathdl dots --dataset moons --compare --quiet --out "$out"
mathdl dots --dataset xor --compare --quiet --out "$out"
mathdl dots --dataset circles --animate --quiet --out "$out"
mathdl dots --dataset spirals --quiet --out "$out"
mathdl dots --dataset blobs --quiet --out "$out"
mathdl activations --out "$out"
mathdl descend --out "$out"
mathdl descend --surface himmelblau --out "$out"
mathdl explain --hidden 128,64,32 --batch 64 --markdown "$out/explain-784-128-64-32-1.md" > /dev/null
# Store the PNGs with a 256-colour palette (median cut keeps the colours true): a third of the size; these
# figures have few colours.
python - "$out" <<'PY'
import sys
from pathlib import Path
from PIL import Image
for path in sorted(Path(sys.argv[1]).glob("*.png")):
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)
PY
