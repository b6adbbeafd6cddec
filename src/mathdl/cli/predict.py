"""mathdl predict: your own handwriting, through a trained run's network."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("predict", help="classify your own images of handwritten digits with a trained run",
                       description="Turn each image (any size and format) into a 28x28 digit the way MNIST was "
                       "made (greyscale, inverted if the background is light, cropped to the ink, scaled into a "
                       "20x20 box, centred by its centre of mass), scale it like the run's training data, and "
                       "print the network's prediction and output vector.")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, …)")
    p.add_argument("--model", required=True, metavar="RUN_DIR", help="a run directory written by mathdl train --out")
    p.add_argument("--show", action="store_true",
                   help="save beside each image, as IMAGE.mathdl.png, the 28x28 digit the network saw and its outputs")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..base.console import out
    from ..base.errors import MathdlError
    from ..plots import save
    from ..plots.prediction import prediction
    from ..runs.directory import load_run
    from ..runs.predict import check_model, predict_images
    model = load_run(args.model)
    classes = check_model(model)
    for p in predict_images(model, args.images):
        values = "  ".join(f"{name}: {a:.3f}" for name, a in zip(classes if len(p.outputs) > 1 else classes[1:],
                                                                   p.outputs))
        out.print(f"{p.path}: {p.label}\n  output a(L) = {values}", soft_wrap=True)
        if args.show:
            target = p.path.with_name(p.path.name + ".mathdl.png")
            try:
                save(prediction(p, classes), target)
            except OSError as e:
                raise MathdlError(f"cannot write {target}: {e.strerror or e}") from None
            out.print(f"  saw: {target}", soft_wrap=True)
    return 0
