"""Your own handwriting as MNIST: any image file → a 28×28 digit made the way MNIST's were.

MNIST (LeCun, Cortes & Burges): each NIST digit was size-normalised to fit a 20×20 box preserving its
aspect ratio, anti-aliased (hence the grey levels), and centred in a 28×28 field by its centre of
mass; ink is white (255) on black (0). ``mnist_digit`` repeats those steps, each a function below:

1. ``greyscale``   brightness g ∈ [0, 1] (transparency composited onto white paper; 16-bit and
                   floating-point images rescaled)
2. ``ink``         ink v ∈ [0, 1] on a 0 background: inverted when the background (the median of the
                   border pixels) is light, the background level subtracted and the contrast
                   stretched so the strongest ink is 1; what lies below Otsu's threshold (the level
                   that best splits the grey levels into two classes, paper and ink) is background:
                   paper texture, uneven light, compression noise
3. ``crop``        to the bounding box of the ink
4. ``fit_box``     scaled so its longer side is 20 pixels, aspect ratio kept (anti-aliased: each
                   pixel a triangle-weighted average of the pixels it covers, which never rings)
5. ``centre``      placed in 28×28 with its centre of mass on pixel (row 14, column 14), where it lies
                   in MNIST (the training set's mean is (13.99, 14.00)), by a whole-pixel shift kept
                   inside the field
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..base.errors import MathdlError
from .mnist import IMAGE_SIDE

BOX = 20  # the digit is scaled to fit a BOX × BOX square …
CENTRE = 14.0  # … and its centre of mass put on this row and column of the 28×28 field
MIN_CONTRAST = 0.1  # an image whose ink differs from its background by less than this has no digit


class ImageTooLarge(MathdlError):
    """An image with more pixels to decode than the reader was allowed."""


def read_image(source, name: str | None = None, *, max_side: int | None = None, max_pixels: int | None = None):
    """The image in ``source`` — a file path, or a binary file object such as ``io.BytesIO`` of an upload,
    called ``name`` in the errors — as a Pillow image (first frame, EXIF orientation applied).

    With ``max_side``, a larger image comes back reduced to at most that many pixels a side (whole-pixel box
    averages), and a JPEG is decoded at the reduced scale it allows (1/2, 1/4 or 1/8) in the first place; with
    ``max_pixels``, an image with more pixels than that to decode (known from its header) is refused with
    ``ImageTooLarge`` before any is decoded."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    is_path = isinstance(source, (str, Path))
    path = Path(source) if is_path else (name or "the image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path if is_path else source) as image:
                if max_side is not None and max(image.size) > max_side:
                    image.draft(image.mode, _within(image.size, max_side))  # JPEG only; the size it will decode
                width, height = image.size
                if max_pixels is not None and width * height > max_pixels:
                    raise ImageTooLarge(f"{path}: {width} × {height} pixels to decode, more than the limit of "
                                        f"{max_pixels:,}")
                image.load()
                if max_side is not None and max(image.size) > max_side:
                    image = _reduced(image, max_side)
                return ImageOps.exif_transpose(image)
    except FileNotFoundError:
        raise MathdlError(f"{path}: no such image file") from None
    except UnidentifiedImageError:
        raise MathdlError(f"{path}: not an image Pillow can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageTooLarge(f"{path}: image too large ({e})") from None
    except (OSError, ValueError, SyntaxError) as e:  # SyntaxError: Pillow's word for some corrupt files
        raise MathdlError(f"{path}: unreadable image ({getattr(e, 'strerror', None) or e})") from None


def _within(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled to fit ``side`` × ``side``, aspect ratio kept."""
    s = side / max(size)
    return max(1, round(size[0] * s)), max(1, round(size[1] * s))


def _reduced(image, side: int):
    """``image`` reduced by a whole factor to at most ``side`` pixels a side (each pixel the mean of a box)."""
    if image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):  # reduce's modes: palette, bilevel, … converted
        image = image.convert("RGBA" if image.mode in ("P", "PA", "RGBa", "La") or "transparency" in image.info
                              else "I" if image.mode.startswith("I;16") else "L" if image.mode == "1" else "RGB")
    return image.reduce(-(-max(image.size) // side))


def greyscale(image) -> np.ndarray:
    """Brightness g (H, W) in [0, 1], 1 = white, from a Pillow image of any mode."""
    from PIL import Image
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    if image.mode.startswith("I;16"):
        return np.asarray(image, dtype=np.float64) / 65535
    if image.mode in ("I", "F"):
        g = np.asarray(image, dtype=np.float64)
        span = g.max() - g.min()
        return (g - g.min()) / span if span > 0 else np.zeros_like(g)
    return np.asarray(image.convert("L"), dtype=np.float64) / 255


def ink(g: np.ndarray) -> np.ndarray:
    """Ink v (H, W) in [0, 1] on a 0 background from brightness g (see step 2 above)."""
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    background = float(np.median(border))
    v = 1 - g if background > 0.5 else g
    level = 1 - background if background > 0.5 else background
    contrast = float(v.max()) - level
    if contrast < MIN_CONTRAST:
        raise MathdlError("no digit found: the image is almost uniform (no ink that differs from the "
                          "background)")
    v = np.clip((v - level) / contrast, 0, 1)
    v[v < otsu_threshold(v)] = 0  # the bins below t, Otsu's background class; a value equal to t is in ink's
    return v


def otsu_threshold(v: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold t of values v ∈ [0, 1]: the split of the histogram into classes below and above t
    that maximises the between-class variance ω₀ω₁(μ₀ − μ₁)² = (μ ω₀ − m₀)² / (ω₀ (1 − ω₀)), with ω₀
    the share of values below t, m₀ their summed mean contribution and μ the overall mean."""
    counts, edges = np.histogram(v, bins=bins, range=(0.0, 1.0))
    p = counts / counts.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w0, m0 = np.cumsum(p), np.cumsum(p * centres)
    denominator = w0 * (1 - w0)
    between = np.divide((m0[-1] * w0 - m0) ** 2, denominator, out=np.zeros_like(w0), where=denominator > 0)
    return float(edges[1:][between.argmax()])


def crop(v: np.ndarray) -> np.ndarray:
    """The smallest rectangle of v holding all its ink."""
    rows, cols = np.flatnonzero(v.any(axis=1)), np.flatnonzero(v.any(axis=0))
    return v[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def fit_box(v: np.ndarray, box: int = BOX) -> np.ndarray:
    """v scaled so that its longer side is ``box`` pixels, keeping the aspect ratio (triangle filter)."""
    from PIL import Image
    h, w = v.shape
    s = box / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    scaled = Image.fromarray(v.astype(np.float32), mode="F").resize(size, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(scaled, dtype=np.float64), 0, 1)  # rounding may leave [0, 1] by an ulp


def centre_of_mass(v: np.ndarray) -> tuple[float, float]:
    """(row, column) = Σ v·(i, j) / Σ v."""
    total = v.sum()
    return (float(v.sum(axis=1) @ np.arange(v.shape[0]) / total),
            float(v.sum(axis=0) @ np.arange(v.shape[1]) / total))


def centre(v: np.ndarray, side: int = IMAGE_SIDE, at: float = CENTRE) -> np.ndarray:
    """v placed in a side × side field with its centre of mass on (at, at), shifted by whole pixels
    and kept inside the field."""
    h, w = v.shape
    row, col = centre_of_mass(v)
    top = min(max(round(at - row), 0), side - h)
    left = min(max(round(at - col), 0), side - w)
    field = np.zeros((side, side))
    field[top:top + h, left:left + w] = v
    return field


def mnist_digit(image) -> np.ndarray:
    """A 28×28 uint8 MNIST-like digit (255 ink on 0) from a Pillow image or an image file path."""
    if isinstance(image, (str, Path)):
        image = read_image(image)
    v = centre(fit_box(crop(ink(greyscale(image)))))
    return np.round(v * 255).astype(np.uint8)
