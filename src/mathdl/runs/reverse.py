"""The reverse directory: what running a network backwards found, written atomically — reverse.json
(every measurement), reverse.md (the validity discussion written from them), reverse-images.npz and
the figures reverse-id.png (the ID's digits in order), reverse-grid.png (digits 0-9) and
reverse-means.png (the mean training image of each digit, which the images are compared with).
"""
from __future__ import annotations

import numpy as np

from ..base.files import make_directory, write_json, write_npz, write_text
from ..data.tasks import parse_id
from ..plots import save
from ..plots.reverse import mean_images_figure, reverse_images
from ..reverse import Reverse, explanation


def write_reverse(result: Reverse, out, *, student_id: str, title: str = "") -> dict:
    """Write reverse.json, reverse.md, reverse-images.npz (x of every image, one (n_0, 10) array per method,
    and ``means``, the mean training images) and the figures reverse-id.png (the ID's digits in order),
    reverse-grid.png (digits 0-9) and reverse-means.png into ``out``; returns {name: path}."""
    parse_id(student_id)
    out = make_directory(out, "output directory")
    id_digits = [int(c) for c in str(student_id).strip()]
    data = {"student_id": str(student_id).strip(), "id_digits": id_digits, **result.to_dict()}
    paths = {"json": out / "reverse.json", "markdown": out / "reverse.md", "images": out / "reverse-images.npz"}
    data["files"] = {"id_figure": "reverse-id.png", "grid_figure": "reverse-grid.png",
                     "images": paths["images"].name, "explanation": paths["markdown"].name}
    if result.means is not None:
        data["files"]["means_figure"] = "reverse-means.png"
    write_json(paths["json"], data)
    write_text(paths["markdown"], explanation(data))
    digits = range(result.network["sizes"][-1])
    arrays = {m: np.stack([result.record(m, d).x for d in digits], axis=1) for m in result.methods}
    write_npz(paths["images"], arrays if result.means is None else {**arrays, "means": result.means})
    subtitle = result.network.get("label", "")
    scale = tuple(result.settings["input_range"])
    paths["id_figure"] = save(reverse_images(result.records, id_digits, title=f"{title}ID {student_id}: what the "
                                             "network sees for each digit", subtitle=subtitle), out / "reverse-id.png")
    paths["grid_figure"] = save(reverse_images(result.records, digits, title=f"{title}digits 0-9, every method",
                                               subtitle=subtitle), out / "reverse-grid.png")
    if result.means is not None:
        paths["means_figure"] = save(mean_images_figure(result.means, input_range=scale,
                                                        title=f"{title}the mean training image of each digit"),
                                     out / "reverse-means.png")
    return paths
