"""What the network saw: the 28×28 digit made from the user's image, and the output vector a⁽ᴸ⁾."""
from __future__ import annotations

from matplotlib.figure import Figure

from . import BLUE, GREY, figure, styled


@styled
def prediction(p, classes: list[str]) -> Figure:
    """The digit ``p.image`` (28×28, as fed to the network) beside the bars of ``p.outputs``; the chosen
    class in blue. ``p`` is a ``mathdl.runs.predict.Prediction``."""
    fig = figure(figsize=(9, 3.8))
    seen, bars = fig.subplots(1, 2, width_ratios=[1, 1.8])
    seen.imshow(p.image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    seen.set_title("the 28×28 input")
    seen.set_xticks([])
    seen.set_yticks([])
    names = classes if len(p.outputs) == len(classes) else [classes[1]]  # one sigmoid unit: P(class 1)
    colours = [BLUE if (j == p.index or len(names) == 1) else GREY for j in range(len(names))]
    bars.bar(range(len(names)), p.outputs, color=colours)
    bars.set_xticks(range(len(names)), names)
    bars.set_ylim(min(0.0, float(p.outputs.min())), max(1.0, float(p.outputs.max())))
    bars.set_ylabel("$a^{(L)}$")
    bars.set_title(f"prediction: {p.label}")
    fig.suptitle(p.path.name)
    return fig
