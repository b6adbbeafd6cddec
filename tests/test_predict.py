"""Your own handwriting: images the tests draw (any size, format, background) made into MNIST digits,
scaled like the run's training data, and classified by `mathdl predict`."""
import io
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mathdl.cli import main
from mathdl.data.handwriting import ImageTooLarge, centre, centre_of_mass, crop, mnist_digit, read_image
from mathdl.data.deskew import deskew
from mathdl.data.pixels import scale
from mathdl.data.tasks import make_task
from mathdl.base.errors import MathdlError
from mathdl.runs.experiment import Config, run
from mathdl.runs.predict import inputs_of, predict_images
from mathdl.runs.directory import Run, load_run, write_run
from mathdl.nn.model_file import save_model
from conftest import random_net
from test_mnist import small, write_idx


def drawn_digit() -> np.ndarray:
    """An MNIST-like 28×28 'zero' with a tail (255 ink on 0), drawn in a 20×20 box as MNIST digits are."""
    big = Image.new("L", (200, 200), 0)
    pen = ImageDraw.Draw(big)
    pen.ellipse((40, 10, 160, 190), outline=255, width=24)
    pen.line((150, 40, 190, 10), fill=255, width=24)
    digit = np.asarray(big.resize((20, 20), Image.Resampling.BILINEAR), dtype=np.float64)
    row, col = centre_of_mass(digit)
    field = np.zeros((28, 28))
    top, left = round(14 - row), round(14 - col)
    field[top:top + 20, left:left + 20] = digit
    return np.round(field).astype(np.uint8)


def on_paper(digit: np.ndarray, *, scale=15, size=(640, 480), at=(70, 40), paper=255, mode="L") -> Image.Image:
    """The digit written dark on light paper: upscaled, inverted, pasted off-centre on a larger page."""
    ink = Image.fromarray(255 - digit).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC)
    page = Image.new("L", size, paper)
    page.paste(ink, at)
    return page.convert(mode)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The best correlation of a and b over whole-pixel shifts of at most one pixel."""
    return max(np.corrcoef(np.roll(a.astype(float), (dy, dx), (0, 1)).ravel(), b.astype(float).ravel())[0, 1]
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


@pytest.mark.parametrize("suffix,mode", [(".png", "L"), (".jpg", "RGB"), (".bmp", "RGB"), (".gif", "P"),
                                         (".tiff", "CMYK")])
def test_a_digit_on_paper_is_recovered(tmp_path, suffix, mode):
    digit = drawn_digit()
    path = tmp_path / f"digit{suffix}"
    on_paper(digit, mode=mode).save(path)
    recovered = mnist_digit(path)
    assert recovered.shape == (28, 28) and recovered.dtype == np.uint8
    assert similarity(recovered, digit) > 0.88  # what Otsu's threshold removes: the faintest grey edges
    assert np.allclose(centre_of_mass(recovered.astype(float)), 14, atol=0.5)
    assert recovered[:2].max() == recovered[-2:].max() == 0  # a clean background around the digit


def test_transparent_dark_16_bit_and_grey_paper():
    digit = drawn_digit()
    rgba = Image.new("RGBA", (300, 300), (0, 0, 0, 0))  # black ink on a transparent background
    rgba.paste(Image.new("RGBA", (280, 280), (0, 0, 0, 255)), (10, 10),
               mask=Image.fromarray(digit).resize((280, 280)))
    dark = Image.fromarray(digit).resize((100, 100))  # already white on black: no inversion
    sixteen = Image.fromarray(np.asarray(on_paper(digit, scale=5, size=(200, 200), at=(20, 20)), np.uint16) * 257)
    grey = on_paper(digit, paper=170)  # grey paper: only the contrast to the background counts
    for image in (rgba, dark, sixteen, grey):
        assert similarity(mnist_digit(image), digit) > 0.88, image.mode


def test_uneven_light_and_noise_on_a_photo():
    """A photo: grey paper lit from one side (±30 grey levels across), sensor noise, ink not quite black."""
    digit = drawn_digit()
    rng = np.random.default_rng(0)
    page = 200 + np.linspace(-30, 30, 500)[None, :] + rng.normal(0, 6, (400, 500))
    ink = np.asarray(on_paper(digit, scale=10, size=(280, 280), at=(0, 0)), dtype=np.float64)
    page[91:371, 37:317] = np.minimum(page[91:371, 37:317], 0.8 * ink + 20)
    photo = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
    assert similarity(mnist_digit(photo), digit) > 0.88


def ink_extent(size: tuple, line: tuple) -> tuple:
    """(height, width) of the ink of the digit made of a 60-pixel-wide ``line`` on white paper of ``size``."""
    paper = Image.new("L", size, 255)
    ImageDraw.Draw(paper).line(line, fill=0, width=60)
    rows, cols = np.nonzero(mnist_digit(paper))
    return np.ptp(rows) + 1, np.ptp(cols) + 1


def test_aspect_ratio_is_kept_and_a_converted_digit_stays_itself():
    height, width = ink_extent((400, 900), (200, 100, 200, 800))
    assert height == 20 and width <= 3  # tall and thin, as drawn: fitted to the box by its height
    height, width = ink_extent((900, 400), (100, 200, 800, 200))
    assert width == 20 and height <= 3  # wide and flat: by its width
    once = mnist_digit(Image.fromarray(255 - drawn_digit()))
    assert similarity(mnist_digit(Image.fromarray(once)), once) > 0.97


def test_images_without_a_digit_or_not_images(tmp_path):
    with pytest.raises(MathdlError, match="no digit found"):
        mnist_digit(Image.new("RGB", (50, 50), (200, 200, 200)))
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(MathdlError, match="notes.png: not an image Pillow can read"):
        mnist_digit(tmp_path / "notes.png")
    with pytest.raises(MathdlError, match="no such image file"):
        mnist_digit(tmp_path / "missing.png")
    with pytest.raises(MathdlError, match="unreadable image"):
        mnist_digit(tmp_path)  # a directory


# ---- each step at its edges, with answers known by hand -------------------------------------------------------

def test_crop_keeps_the_first_and_the_last_row_and_column_of_ink():
    v = np.zeros((6, 7))
    v[1, 2], v[4, 5] = 0.5, 1.0
    cropped = crop(v)
    assert cropped.shape == (4, 4) and cropped[0, 0] == 0.5 and cropped[-1, -1] == 1.0


def test_the_centre_of_mass_not_the_middle_of_the_box_is_put_on_row_14_column_14():
    """A bar down column 0 and one pixel at (9, 9): centre of mass (54 / 11, 9 / 11) = (4.91, 0.82), so the 10 × 10
    block goes to rows 9-18 (14 − 4.91 = 9.09) and columns 13-22 (14 − 0.82 = 13.18); the middle of its box, (4.5,
    4.5), would put it at (10, 10)."""
    v = np.zeros((10, 10))
    v[:, 0], v[9, 9] = 1.0, 1.0
    field = centre(v)
    np.testing.assert_array_equal(field[9:19, 13:23], v)
    assert field.sum() == v.sum()
    assert centre_of_mass(field) == pytest.approx((9 + 54 / 11, 13 + 9 / 11))


def test_a_tall_digit_heavy_at_one_end_is_shifted_only_as_far_as_the_field_allows():
    """20 × 6, its top five rows full and column 0 below them at 0.1: centre of mass on row 78 / 31.5 = 2.48 would
    need its top on row 14 − 2.48 = 11.52 → 12, but 20 rows fit in 28 from row 8 at most; upside down, on row
    16.52, it would need row −2.52 → −3, and starts on row 0. Columns: 75 / 31.5 = 2.38, from 14 − 2.38 → 12."""
    v = np.zeros((20, 6))
    v[:5], v[5:, 0] = 1.0, 0.1
    assert centre_of_mass(v) == pytest.approx((78 / 31.5, 75 / 31.5))
    np.testing.assert_array_equal(centre(v)[8:, 12:18], v)
    np.testing.assert_array_equal(centre(v[::-1])[:20, 12:18], v[::-1])


def test_an_image_of_exactly_max_pixels_is_read_and_one_pixel_more_refused():
    buffer = io.BytesIO()
    Image.new("L", (10, 10), 255).save(buffer, "PNG")
    assert read_image(io.BytesIO(buffer.getvalue()), max_pixels=100).size == (10, 10)
    with pytest.raises(ImageTooLarge, match="10 × 10 pixels to decode, more than the limit of 99$"):
        read_image(io.BytesIO(buffer.getvalue()), max_pixels=99)


@pytest.fixture(scope="module")
def standard_run(tmp_path_factory):
    """A ten-digit run with standardised inputs, trained briefly on small random images."""
    folder = tmp_path_factory.mktemp("predict")
    data = write_idx(folder / "mnist", small(200, 60))
    out = folder / "run"
    assert main(["train", "--quiet", "--data", str(data), "--task", "digits", "--hidden", "8", "--epochs", "1",
                 "--scale", "standard", "--output-activation", "softmax", "--cost", "xe", "--out", str(out)]) == 0
    return out, data


def test_the_run_records_the_training_scaling_and_predict_reproduces_it(standard_run, tmp_path):
    out, data = standard_run
    inputs = json.loads((out / "config.json").read_text())["inputs"]
    from mathdl.data.mnist import load_mnist
    task = make_task(load_mnist(data), "digits", scale="standard", deskew=True)
    assert inputs == {"deskew": True, "scale": "standard", "mean": task.stats[0], "std": task.stats[1],
                      "targets": [0.0, 1.0]}
    Image.fromarray(255 - drawn_digit()).save(tmp_path / "seen.png")
    digit = mnist_digit(tmp_path / "seen.png")
    seen = np.clip(np.rint(deskew(digit)), 0, 255).astype(np.uint8)  # deskewed, as the training images were
    model = load_run(out)
    [p] = predict_images(model, [tmp_path / "seen.png"])
    np.testing.assert_array_equal(p.image, seen)
    expected = model.net(scale(seen[None], "standard", task.stats, np.float64))[:, 0]
    np.testing.assert_allclose(p.outputs, expected, rtol=1e-12)
    assert p.label == str(int(expected.argmax()))


def test_predict_command(standard_run, tmp_path, capsys):
    out, _ = standard_run
    on_paper(drawn_digit()).save(tmp_path / "mine.jpg")
    assert main(["predict", str(tmp_path / "mine.jpg"), "--model", str(out), "--show"]) == 0
    printed = capsys.readouterr().out
    assert "mine.jpg: " in printed and "output a(L) = 0: " in printed and "9: " in printed
    assert (tmp_path / "mine.jpg.mathdl.png").stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_predict_with_a_binary_run(tmp_path, capsys):
    data = write_idx(tmp_path / "mnist", small(100, 30))
    result = run(Config(task="id", student_id="7", hidden=(4,), epochs=1, scale="book"),
                 __import__("mathdl").load_mnist(data), out=tmp_path / "id", progress=False)
    Image.fromarray(255 - drawn_digit()).save(tmp_path / "x.png")
    assert main(["predict", str(tmp_path / "x.png"), "--model", str(result.run_dir)]) == 0
    printed = capsys.readouterr().out
    assert ("ID digits {7}" in printed or "other digits" in printed) and "output a(L) = ID digits {7}: " in printed


def write_fake_run(folder, net, config):
    return write_run(folder, config=config, metrics={}, history=[{"epoch": 1}], net=net)


def predict_faults(tmp_path, standard_run):
    out, _ = standard_run
    image = tmp_path / "d.png"
    Image.fromarray(255 - drawn_digit()).save(image)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (tmp_path / "cut.png").write_bytes(image.read_bytes()[:200])  # a PNG whose end is missing
    dots = write_fake_run(tmp_path / "dots", random_net([2, 4, 1], ["tanh", "sigmoid"]),
                          {"classes": ["0", "1"], "inputs": {"scale": "unit", "mean": 0, "std": 1, "targets": [0, 1]}})
    old = write_fake_run(tmp_path / "old", random_net([784, 4, 10], ["sigmoid", "softmax"]),
                         {"classes": list("0123456789"), "config": {"scale": "standard"}})
    wrong = write_fake_run(tmp_path / "wrong", random_net([784, 4, 3], ["sigmoid", "softmax"]),
                           {"classes": list("0123456789"), "inputs": {"scale": "unit", "mean": 0, "std": 1,
                                                                      "targets": [0, 1]}})
    unit = {"scale": "unit", "mean": 0, "std": 1, "targets": [0, 1]}
    one = write_fake_run(tmp_path / "one", random_net([784, 4, 1], ["sigmoid", "sigmoid"]),
                         {"classes": list("0123456789"), "inputs": unit})
    single = write_fake_run(tmp_path / "single", random_net([784, 1], ["sigmoid"]), {"classes": ["7"], "inputs": unit})
    flat = write_fake_run(tmp_path / "flat", random_net([784, 1], ["sigmoid"]),
                          {"classes": ["0", "1"], "inputs": {**unit, "scale": "standard", "std": 0}})
    future = write_fake_run(tmp_path / "future", random_net([784, 4, 10], ["sigmoid", "softmax"]), {})
    with np.load(future / "model.npz") as npz:
        arrays = dict(npz)
    meta = json.loads(str(arrays["meta"]))
    np.savez(future / "model.npz", **{**arrays, "meta": np.array(json.dumps({**meta, "version": 2}))})
    save_model(tmp_path / "lonely.npz", random_net([784, 2], ["sigmoid"]))
    return [
        ([str(image), "--model", str(tmp_path / "nowhere")], "not a run directory"),
        ([str(image), "--model", str(tmp_path / "lonely.npz")], "not a run directory"),
        ([str(tmp_path / "missing.png"), "--model", str(out)], "missing.png: no such image file"),
        ([str(tmp_path / "bad.png"), "--model", str(out)], "bad.png: not an image Pillow can read"),
        ([str(tmp_path / "cut.png"), "--model", str(out)], "cut.png: unreadable image"),
        ([str(tmp_path), "--model", str(out)], "unreadable image"),
        ([str(image), "--model", str(dots)], "the network takes 2 inputs, not the 784 pixels of a 28×28 image"),
        ([str(image), "--model", str(old)], "lacks the training mean and std"),
        ([str(image), "--model", str(wrong)], "the network has 3 outputs but config.json lists 10 classes"),
        ([str(image), "--model", str(one)], "the network has 1 output but config.json lists 10 classes"),
        ([str(image), "--model", str(single)], "config.json lists no classes"),
        ([str(image), "--model", str(flat)], 'config.json has malformed "inputs" (scale, mean, std, targets)'),
        ([str(image), "--model", str(future)], "model format version 2 is not supported"),
        ([str(image)], "the following arguments are required: --model"),
    ]


def test_predict_faults_are_one_line_and_exit_2(tmp_path, standard_run, capsys):
    for argv, message in predict_faults(tmp_path, standard_run):
        try:
            code = main(["predict", *argv])
        except SystemExit as e:
            code = e.code
        err = capsys.readouterr().err
        assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err, (argv, err)


def test_a_study_directory_names_the_runs_it_holds(study, tmp_path, capsys):
    """--model STUDY_DIR: one line naming the study's run directories that --model takes, with an example."""
    image = tmp_path / "d.png"
    Image.fromarray(255 - drawn_digit()).save(image)
    assert main(["predict", str(image), "--model", str(study.path)]) == 2
    err = capsys.readouterr().err
    runs = ["reverse/1layer/model", "reverse/3layers/model", "reverse/book/model",
            *(f"runs/{name}" for name in ("1-1layer-tse-online", "2-1layer-xe-online", "3-1layer-tse-matrix",
                                          "4-1layer-xe-matrix", "5-3layers-tse-online", "6-3layers-xe-online",
                                          "7-3layers-tse-matrix", "8-3layers-xe-matrix"))]
    assert f"a study directory, not a run directory; give one of its 11 runs: {', '.join(runs)} " \
           f"(e.g. {study.path / 'reverse/1layer/model'})" in err and err.count("\n") == 1
    assert main(["predict", str(image), "--model", str(study.path / "reverse" / "1layer" / "model")]) == 0


def mean_reader(dtype=np.float64):
    """A network a = (1/784) Σ_i x_i (one linear output): it reports the mean input it was given."""
    net = random_net([784, 1], ["linear"], dtype=dtype)
    net.W[1][:] = dtype(1 / 784)
    net.b[1][:] = 0
    return net


def test_predict_scales_the_pixels_by_the_runs_own_inputs(tmp_path):
    """The mean input the network sees, by hand from the digit's mean pixel x̄: book 0.01 + 0.99 x̄/255, standard
    (x̄/255 − μ)/σ with the run's μ = 0.2, σ = 0.5 (not swapped); a run recorded without "deskew" (before it
    existed) is not deskewed; a float32 run is fed float32 inputs."""
    image = tmp_path / "d.png"
    Image.fromarray(255 - drawn_digit()).save(image)
    digit = mnist_digit(image)
    x = digit.mean() / 255
    for name, inputs, expected, dtype in (
            ("book", {"scale": "book", "mean": 0, "std": 1, "targets": [0.01, 0.99]}, 0.01 + 0.99 * x, np.float64),
            ("standard", {"scale": "standard", "mean": 0.2, "std": 0.5, "targets": [0, 1]}, (x - 0.2) / 0.5,
             np.float64),
            ("float32", {"scale": "unit", "mean": 0, "std": 1, "targets": [0, 1]}, x, np.float32)):
        folder = write_fake_run(tmp_path / name, mean_reader(dtype), {"classes": ["0", "1"], "inputs": inputs})
        [p] = predict_images(load_run(folder), [image])
        np.testing.assert_array_equal(p.image, digit)
        assert p.outputs.dtype == dtype and p.outputs[0] == pytest.approx(expected, rel=1e-6), name


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


@pytest.mark.parametrize("targets", [[0, 1], [0.01, 0.99]])
def test_one_output_is_the_second_class_from_half_way_between_the_targets(tmp_path, targets):
    """a = σ(b) whatever the image (W = 0): a = 0.3 is the first class, a = 0.5 (the threshold (lo + hi)/2
    for both binary and book targets) and a = 0.7 the second, named in config.json's order."""
    image = tmp_path / "d.png"
    Image.fromarray(255 - drawn_digit()).save(image)
    labels = {}
    for a in (0.3, 0.5, 0.7):
        net = random_net([784, 1], ["sigmoid"])
        net.W[1][:], net.b[1][:] = 0, logit(a)
        folder = write_fake_run(tmp_path / f"{a}", net, {"classes": ["not seven", "seven"], "inputs": {
            "scale": "unit", "mean": 0, "std": 1, "targets": targets}})
        [p] = predict_images(load_run(folder), [image])
        assert p.outputs[0] == pytest.approx(a)
        labels[a] = (p.index, p.label)
    assert labels == {0.3: (0, "not seven"), 0.5: (1, "seven"), 0.7: (1, "seven")}


def test_a_run_from_before_inputs_were_recorded_keeps_its_scale_and_targets(tmp_path):
    """config.json without "inputs": the unit and book scales need no statistics; its targets are the
    configuration's (book: 0.01 and 0.99), and it was not deskewed."""
    net = mean_reader()
    for scale_name, targets in (("book", (0.01, 0.99)), ("unit", (0.0, 1.0))):
        old = Run(tmp_path, {"config": {"scale": scale_name, "targets": "book" if scale_name == "book" else
                                        "binary"}}, {}, [], net)
        assert inputs_of(old) == {"deskew": False, "scale": scale_name, "mean": 0.0, "std": 1.0, "targets": targets}


# ---- mutation sweep: more steps with answers known by hand ----------------------------------------------------

def test_otsu_threshold_by_hand():
    """Two values 0.1 and 0.9, half each: every split between them is as good, the first is taken, the top of
    0.1's bin 25: 26/256. Values 0, 0.5, 1 (2, 2 and 6 of them), on bin centres: splitting after 0 gives
    ω₀ω₁(μ₀ − μ₁)² = 0.2·0.8·((2·128 + 6·255)/8/256)² = 0.1217; after 0.5, 0.4·0.6·(191/256)² = 0.1336, the
    larger: the threshold is the top of 0.5's bin 128, 129/256."""
    from mathdl.data.handwriting import otsu_threshold
    assert otsu_threshold(np.array([0.1] * 50 + [0.9] * 50)) == 26 / 256
    assert otsu_threshold(np.array([0.0] * 2 + [0.5] * 2 + [1.0] * 6)) == 129 / 256


def test_a_mark_fainter_than_the_minimum_contrast_is_no_digit():
    """Grey paper 200 with a square of 187 (contrast 13/255 = 0.05 < 0.1): no digit; a square of 170 (30/255 = 0.12)
    is one."""
    page = np.full((40, 40), 200, np.uint8)
    page[10:30, 10:30] = 187
    with pytest.raises(MathdlError, match="no digit found"):
        mnist_digit(Image.fromarray(page))
    page[10:30, 10:30] = 170
    assert mnist_digit(Image.fromarray(page)).max() == 255


def test_fit_box_rounds_the_shorter_side():
    """6 × 5 to a 20-pixel box: 20 × 5·20/6 = 20 × 16.67 → 20 × 17; a 20 × 20 square is left as it is."""
    from mathdl.data.handwriting import fit_box
    assert fit_box(np.ones((6, 5))).shape == (20, 17) and fit_box(np.ones((5, 6))).shape == (17, 20)
    square = np.random.default_rng(0).uniform(0, 1, (20, 20))
    np.testing.assert_allclose(fit_box(square), square, atol=1e-7)


def test_grey_levels_are_rounded_to_the_nearest_byte():
    """Ink 200 on black, with a few pixels of 100 inside a 20 × 20 block: v = 100/200 = 0.5 there, 255 · 0.5 = 127.5,
    which rounds (half to even) to 128, not 127; the block is already 20 pixels and keeps its values."""
    page = np.zeros((40, 40), np.uint8)
    page[10:30, 10:30] = 200
    page[15:17, 15:17] = 100
    digit = mnist_digit(Image.fromarray(page))
    assert np.unique(digit).tolist() == [0, 128, 255]
    assert (digit == 128).sum() == 4 and (digit == 255).sum() == 396


def test_a_large_image_is_reduced_to_at_most_max_side():
    """100 × 40 with max_side 30: reduced by the whole factor ⌈100/30⌉ = 4 to 25 × 10 (3 would leave 34 > 30)."""
    buffer = io.BytesIO()
    Image.new("L", (100, 40), 255).save(buffer, "PNG")
    assert read_image(io.BytesIO(buffer.getvalue()), max_side=30).size == (25, 10)
    assert read_image(io.BytesIO(buffer.getvalue()), max_side=100).size == (100, 40)


def test_16_bit_brightness_is_the_value_over_65535():
    """g = value / 65535 for a 16-bit image; so a dark grey 16-bit page (10000 of 65535, g = 0.15) with light ink
    (60000) is a white digit on a dark background, not inverted."""
    from mathdl.data.handwriting import greyscale
    g = greyscale(Image.fromarray(np.array([[0, 65535, 13107]], np.uint16)))
    np.testing.assert_allclose(g, [[0.0, 1.0, 0.2]], rtol=1e-15)
    page = np.full((40, 40), 10000, np.uint16)
    page[10:30, 10:30] = 60000
    digit = mnist_digit(Image.fromarray(page))
    assert digit.max() == 255 and digit[:4].max() == 0 and (digit == 255).sum() == 400


def test_ink_keeps_exactly_the_values_otsu_counts_as_ink():
    """Otsu's threshold t is the top edge of the last bin of the background class: a value equal to t lies in the
    next bin, counted as ink (ω₀ is the share of values below t), and ink keeps it. A ramp 0, 1/256, …, 1 on a black
    border holds a value at every bin edge, so one value equals t whatever t is."""
    from mathdl.data.handwriting import ink, otsu_threshold
    g = np.zeros((5, 261))
    g[2, 2:259] = np.arange(257) / 256  # background 0 and strongest ink 1: ink's v before the threshold is g
    t = otsu_threshold(g)
    assert (g == t).sum() == 1
    counts, edges = np.histogram(g, bins=256, range=(0.0, 1.0))
    assert counts[:round(t * 256)].sum() == (g < t).sum()  # the class below t: the bins under it
    v = ink(g)
    np.testing.assert_array_equal(v > 0, g >= t)
    np.testing.assert_array_equal(v[g >= t], g[g >= t])
