"""mathdl present: the narrated video of a study, decoded and checked against what it was presented from.

The video of the tiny study is decoded with PyAV and checked stream by stream: the picture in the middle of
each slide's interval is that slide (and not its neighbours), every slide's sound holds speech as long as
its script, the sound is in sync with the narration that was synthesized, the subtitle track and files
agree with the script, and every number of the script is one of the study's. ``test_the_checks_fail_…``
makes videos broken on purpose (two slides swapped, the sound delayed) and sees the same checks fail.
"""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import PRESENTED

from mathdl.base.errors import MathdlError
from mathdl.cli import main
from mathdl.present import prepare
from mathdl.present.figures import draw
from mathdl.present.script import slides
from mathdl.present.spoken import spoken
from mathdl.present.timeline import FPS, LINE, LINES, Timeline
from mathdl.present.video import encode, read_cues
from mathdl.present.voice import SAMPLE_RATE
from mathdl.report.content import load_study

av = pytest.importorskip("av")

DATE = PRESENTED["date"]


# ---------------------------------------------------------------------------------------------------
# Decoding


def decoded_frame(path, t: float) -> np.ndarray:
    """The picture shown at time ``t`` (s): the last frame that starts at or before it, as RGB."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        c.seek(int(t / stream.time_base), stream=stream, backward=True)
        shown = None
        for frame in c.decode(stream):
            if frame.time > t + 1e-6:
                break
            shown = frame
        return shown.to_ndarray(format="rgb24")


def decoded_audio(path) -> np.ndarray:
    """The sound track as mono float samples placed on the timeline by their timestamps."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        pieces = [(int(f.pts), f.to_ndarray().mean(axis=0)) for f in c.decode(stream)]
    end = max(pts + len(x) for pts, x in pieces)
    track = np.zeros(end)
    for pts, x in pieces:
        lo = max(pts, 0)
        track[lo:pts + len(x)] = x[lo - pts:]
    return track


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.709 luma Y′ (the full-resolution channel of a 4:2:0 video)."""
    return rgb[..., :3].astype(float) @ np.array([0.2126, 0.7152, 0.0722])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(float) - b.astype(float)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def offset(decoded: np.ndarray, reference: np.ndarray, at: float, window: float = 2.0, search: float = 0.5) -> float:
    """Where ``reference``'s stretch starting at ``at`` seconds lies in ``decoded``, relative to where it should
    (seconds; positive: late), by cross-correlation."""
    from scipy.signal import correlate
    i, n, lag = round(at * SAMPLE_RATE), round(window * SAMPLE_RATE), round(search * SAMPLE_RATE)
    ref = reference[i:i + n]
    seg = decoded[max(0, i - lag):i + n + lag]
    c = correlate(seg, ref, mode="valid", method="fft")
    return (int(np.argmax(c)) + max(0, i - lag) - i) / SAMPLE_RATE


def speech_onsets(audio: np.ndarray, timeline: Timeline) -> list[float]:
    """The first loud moment of each slide's sound (seconds)."""
    out = []
    for start, end in zip(timeline.starts, timeline.ends):
        part = np.abs(audio[round(start * SAMPLE_RATE):round(end * SAMPLE_RATE)])
        out.append(start + int(np.argmax(part > 0.05)) / SAMPLE_RATE)
    return out


def voiced_seconds(audio: np.ndarray, start: float, end: float, window: float = 0.02) -> float:
    """Seconds of 20 ms windows louder than −40 dBFS between ``start`` and ``end``."""
    n = round(window * SAMPLE_RATE)
    part = audio[round(start * SAMPLE_RATE):round(end * SAMPLE_RATE)]
    part = part[:len(part) // n * n].reshape(-1, n)
    rms = np.sqrt(np.mean(part ** 2, axis=1))
    return float(np.sum(rms > 10 ** (-40 / 20)) * window)


# ---------------------------------------------------------------------------------------------------
# The checks, written once: the real video passes them and the broken ones fail them


def check_slides(path, images: list[np.ndarray], timeline: Timeline) -> list[str]:
    """Each slide's middle frame is that slide (luma PSNR ≥ 40 dB) and not a neighbour (< 30 dB)."""
    faults = []
    for i, (start, end) in enumerate(zip(timeline.starts, timeline.ends)):
        frame = luma(decoded_frame(path, (start + end) / 2))
        own = psnr(frame, luma(images[i]))
        if own < 40:
            faults.append(f"slide {i + 1}: {own:.1f} dB against its own picture")
        for j in (i - 1, i + 1):
            if 0 <= j < len(images) and psnr(frame, luma(images[j])) >= 30:
                faults.append(f"slide {i + 1} looks like slide {j + 1}")
    return faults


def check_sync(path, timeline: Timeline) -> list[str]:
    """The decoded sound lies where the synthesized narration does, at the start and at the end (≤ 40 ms)."""
    decoded = decoded_audio(path)
    onsets = speech_onsets(timeline.audio, timeline)
    faults = []
    for where, at in (("start", onsets[0]), ("end", onsets[-1])):
        lag = offset(decoded, timeline.audio, at)
        if abs(lag) > 0.040:
            faults.append(f"the sound is {1000 * lag:+.0f} ms off at the {where}")
    return faults


def test_the_video_has_its_three_streams_of_one_length(presented):
    presentation, paths = presented
    length = presentation.timeline.duration
    with av.open(str(paths["video"])) as c:
        kinds = {s.type: s for s in c.streams}
        assert {s.type: s.codec_context.name for s in c.streams} == {"video": "h264", "audio": "aac",
                                                                     "subtitle": "mov_text"}
        video = kinds["video"]
        assert (video.codec_context.width, video.codec_context.height) == (1920, 1080)
        assert video.codec_context.pix_fmt == "yuv420p"
        for s in c.streams:
            assert abs(float(s.duration * s.time_base) - length) <= 0.050, (s.type, float(s.duration * s.time_base))
    boxes = atoms(paths["video"])
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # faststart: the index before the media


def atoms(path) -> list[str]:
    """The MP4's top-level boxes, in file order."""
    data, out, i = Path(path).read_bytes(), [], 0
    while i + 8 <= len(data):
        size, kind = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[i + 8:i + 16], "big")
        out.append(kind)
        i += size if size else len(data)
    return out


def test_each_slide_is_shown_in_its_interval(presented):
    presentation, paths = presented
    assert check_slides(paths["video"], list(presentation.images), presentation.timeline) == []
    for i, image in enumerate(presentation.images, 1):  # the slides written are the slides shown
        assert np.array_equal(np.asarray(Image.open(paths["slides"] / f"{i:02d}.png").convert("RGB")), image)


def test_every_slide_speaks_as_long_as_its_script(presented):
    presentation, paths = presented
    audio = decoded_audio(paths["video"])
    t = presentation.timeline
    seconds = [voiced_seconds(audio, s, e) for s, e in zip(t.starts, t.ends)]
    words = [len(spoken(s.narration)) for s in presentation.deck]
    assert min(seconds) > 1.0, seconds
    rate = np.array(seconds) / np.array(words)  # seconds per character, about the same on every slide
    assert rate.max() / rate.min() < 2.0, list(zip(words, seconds))
    from scipy.stats import spearmanr
    assert spearmanr(words, seconds).statistic > 0.8, list(zip(words, seconds))


def test_the_sound_is_in_sync_with_the_narration(presented):
    presentation, paths = presented
    assert check_sync(paths["video"], presentation.timeline) == []


def test_the_subtitles_agree_with_the_script(presented):
    presentation, paths = presented
    cues = presentation.timeline.cues
    track = read_cues(paths["video"])
    assert [c[2] for c in track] == [c.text for c in cues]
    assert all(abs(a[0] - c.start) < 0.002 and abs(a[1] - c.end) < 0.002 for a, c in zip(track, cues))
    for cue in cues:  # at most two lines of subtitles each
        import textwrap
        assert len(textwrap.wrap(cue.text, LINE)) <= LINES, cue.text
    script = paths["script"].read_text()
    sections = re.split(r"^## \d\d\. .*\((\d+):([\d.]+)–(\d+):([\d.]+)\)$", script, flags=re.M)[1:]
    assert len(sections) == 5 * len(presentation.deck)
    for i, slide in enumerate(presentation.deck):
        m0, s0, m1, s1, body = sections[5 * i:5 * i + 5]
        start, end = 60 * int(m0) + float(s0), 60 * int(m1) + float(s1)
        assert abs(start - presentation.timeline.starts[i]) < 0.06 and abs(end - presentation.timeline.ends[i]) < 0.06
        inside = [c.text for c in cues if start - 0.06 <= c.start < end]
        assert " ".join(inside) == slide.narration  # the cues of a slide are its narration, in order
        assert slide.narration in body
    srt = paths["srt"].read_text()
    vtt = paths["vtt"].read_text()
    assert vtt.startswith("WEBVTT\n")
    stamp = r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d) --> (\d\d):(\d\d):(\d\d)[,.](\d\d\d)\n(.+)\n"
    for text in (srt, vtt):
        found = [((3600 * int(a) + 60 * int(b) + int(c) + int(d) / 1000), (3600 * int(e) + 60 * int(f) + int(g)
                  + int(h) / 1000), body) for a, b, c, d, e, f, g, h, body in re.findall(stamp, text)]
        assert [(round(c.start, 3), round(c.end, 3), c.text) for c in cues] == [(round(s, 3), round(e, 3), b)
                                                                                 for s, e, b in found]


def test_the_title_slide_says_it_is_a_preview(presented):
    presentation, _ = presented
    title = presentation.deck[0]
    assert "Preview" in title.body and "Ada Lovelace" in title.body and DATE in title.body
    assert any("preview" in s for s in title.sentences)
    assert len(presentation.deck) < 10  # the short version


# ---------------------------------------------------------------------------------------------------
# Verdicts: what the talk concludes follows the study's numbers (each set here so that a flipped comparison,
# threshold or sign in the script says something else)


def full_deck(loaded: dict) -> dict:
    """The full version's slides by key, built from a (changed) loaded study; nothing drawn or encoded."""
    return {s.key: s for s in slides(loaded, draw(loaded, loaded["dir"], loaded["dir"], plan_only=True),
                                     preview=False)}


ONE_SEED = (", from one seed each; a finding about the methods needs several seeds.",
            "One seed per configuration: a comparison mixes the choice with the luck of one training run")


@pytest.mark.parametrize("given,said,limit", [
    (None, *ONE_SEED), ([4], *ONE_SEED),
    (3, ", over 3 seeds per configuration.", "3 seeds per configuration: the seed-to-seed spread is what a finding"),
    ([0, 1], ", over 2 seeds per configuration.", "2 seeds per configuration: the seed-to-seed spread")])
def test_the_conclusions_say_how_many_seeds_they_rest_on(study, given, said, limit):
    """One seed a configuration: the findings are about these networks, and the talk says a finding about the
    methods needs several seeds; with several, it says how many (and so does the slide of limitations)."""
    loaded = load_study(study.path)
    loaded["summary"]["options"]["seeds"] = given
    deck = full_deck(loaded)
    assert deck["conclusions"].sentences[-1] == "These are findings about these trained networks" + said
    assert f"- {limit}" in deck["limitations"].body


def test_the_comparison_names_the_better_network_and_what_holm_keeps(study):
    loaded = load_study(study.path)
    tests = loaded["summary"]["mcnemar"]
    assert len(tests) == 12
    for t in tests:
        t["p_mid"] = 0.3
    kept, dropped, plain = tests[0], tests[1], tests[2]
    kept.update(accuracy_a=0.99, accuracy_b=0.98, p_mid=0.001)  # A ahead; Holm: 12 × 0.001 < 0.05, kept
    dropped.update(accuracy_a=0.97, accuracy_b=0.98, p_mid=0.01)  # B ahead; Holm: 11 × 0.01 > 0.05, dropped
    slide = full_deck(loaded)["comparison"]
    said = " ".join(slide.sentences)
    assert "of the 12 pairs that differ in one named choice, 2 differ at the 5% level: " in said
    assert f"{kept['a']} ahead of {kept['b']} (p = 0.001)" in said
    assert f"{dropped['b']} ahead of {dropped['a']} (p = 0.01)" in said
    assert "After Holm's correction for the 12 tests, 1 remain" in said
    row = {(t["a"], t["b"]): next(line for line in slide.body.splitlines() if f"[{t['a']} vs {t['b']}]" in line)
           for t in (kept, dropped, plain)}
    assert "fill: good" in row[kept["a"], kept["b"]]  # below 0.05 after Holm: marked as a finding
    assert "fill: good" not in row[dropped["a"], dropped["b"]] and "bold" in row[dropped["a"], dropped["b"]]
    assert "#text(" not in row[plain["a"], plain["b"]]


def test_the_conclusions_follow_the_signs_of_the_effects_and_the_ties_with_the_best(study):
    loaded = load_study(study.path)
    s = loaded["summary"]
    for t in s["mcnemar"]:
        t["accuracy_a"], t["accuracy_b"] = (0.97, 0.98) if t["question"] == "TSE vs XE" else (0.98, 0.975)
    for t in s["versus_best"]:
        t["p_mid"] = 0.001
    conclusions = full_deck(loaded)["conclusions"]
    assert conclusions.sentences[0].endswith("%.") and "no single best" not in conclusions.sentences[0]
    assert conclusions.sentences[1].startswith("XE instead of TSE raised the accuracy by 1.00 points on average")
    assert conclusions.body.count("lowered the accuracy by 0.50 points on average") == 2
    tied = s["versus_best"][0]
    tied["p_mid"] = 0.2
    first = full_deck(loaded)["conclusions"].sentences[0]
    assert first.endswith(f"but McNemar's test cannot tell it from {tied['b']}, so there is no single best "
                          "configuration.")


def test_the_curves_say_all_some_or_none_of_the_configurations(study):
    loaded = load_study(study.path)
    histories = [run["history"] for run in loaded["runs"].values()]
    for h in histories:
        h[:] = [dict(h[0], epoch=1, test_accuracy=0.5, train_cost=1.0), dict(h[0], epoch=2, test_accuracy=0.9,
                                                                            train_cost=2.0)]
    said = full_deck(loaded)["curves"].sentences[0]
    assert f"the test accuracy rose in all {len(histories)} configurations and the training cost fell in none of " \
           f"the {len(histories)}." in said
    histories[0][-1]["test_accuracy"] = 0.4
    said = full_deck(loaded)["curves"].sentences[0]
    assert f"rose in {len(histories) - 1} of the {len(histories)} configurations" in said


def test_the_eight_matrices_run_from_the_weakest_to_the_best(study):
    loaded = load_study(study.path)
    for r in loaded["summary"]["configurations"]:
        r["accuracy"]["value"] = 0.99 - 0.01 * r["number"]
    said = full_deck(loaded)["eight-matrices"].sentences[0]
    assert said.endswith("accuracies from 91.00% for configuration 8 to 98.00% for configuration 1.")


def test_the_rates_slide_counts_and_names_the_widest_gap(study):
    loaded = load_study(study.path)
    for r in loaded["summary"]["configurations"]:
        k = r["number"]
        r["sensitivity"]["value"], r["specificity"]["value"] = (0.97 if k == 2 else 0.95, 0.9) if k <= 3 else (0.9, 0.91)
    said = full_deck(loaded)["rates"].sentences[0]
    assert said == ("Sensitivity exceeds specificity in 3 of the 8 configurations; the widest gap is configuration "
                    "2's, 97.00% against 90.00%.")


def test_the_effects_slide_calls_significant_only_what_is(study):
    loaded = load_study(study.path)
    s = loaded["summary"]
    s["seeds"] = {"seeds": [0, 1, 2]}
    s["factorial"] = {"accuracy": {"effects": [
        {"contrast": None},
        {"contrast": "XE − TSE", "effect": 0.004, "ci95": [0.001, 0.007], "p": 0.01},
        {"contrast": "matrix − online", "effect": -0.001, "ci95": [-0.004, 0.002], "p": 0.4}]}}
    said = full_deck(loaded)["effects"].sentences
    assert said[0].startswith("With 3 seeds per configuration")
    assert "XE − TSE: +0.40 points of accuracy, 95% interval +0.10–+0.70, p = 0.01, significant." in said[1]
    assert "matrix − online: -0.10 points of accuracy, 95% interval -0.40–+0.20, p = 0.4, not significant." in said[1]


# ---------------------------------------------------------------------------------------------------
# Facts: each slide says and shows the study's numbers in their places (each set here to values whose
# sentence is worked out by hand, so that a swapped field, a wrong rounding or an off-by-one says something else)


def test_the_task_and_matrix_slides_say_the_counts_and_rates_in_their_places(study):
    loaded = load_study(study.path)
    s = loaded["summary"]
    for split, (negative, positive) in (("train", (300, 100)), ("test", (50, 30))):
        s["class_balance"][split] = dict(zip(s["class_balance"][split], (negative, positive)))
    rows = {r["number"]: r for r in s["configurations"]}
    best = rows[s["best"]]
    best.update(tp=30, fn=10, fp=5, tn=35)
    best["sensitivity"]["value"], best["specificity"]["value"] = 0.75, 0.875
    best["accuracy"].update(value=0.8125, ci95=[0.7123, 0.8877])
    other = min(k for k in rows if k != s["best"])  # the first configuration that is not the best
    rows[other].update(tp=1, fn=2, fp=3, tn=4)
    for r in s["configurations"]:
        lo = 0.01 * r["number"]
        r["accuracy"]["ci95"] = [0.5 - lo, 0.5 + lo] if r is not best else best["accuracy"]["ci95"]
    deck = full_deck(loaded)
    assert deck["task"].sentences == ("The ID is 100384, so an image of 0, 1, 3, 4 or 8 is positive.",
                                      "Of the 400 training images, 100 are positive: 25.0%.")
    assert "[training], [400], [100 (25.0%)]" in deck["task"].body and "[test], [80], [30 (37.5%)]" in deck["task"].body
    n = best["number"]
    assert deck["one-matrix"].sentences == (
        f"Configuration {n}, the most accurate observed, finds 30 of the 40 positive test images, a sensitivity of "
        "75.00%, and rejects 35 of the 40 negative ones, a specificity of 87.50%.",
        "Its accuracy is 81.25%, 95% interval 71.23–88.77%.")
    assert f"[TP *1*], [FN *2*], [FP *3*], [TN *4*])\n#align(center, text(size: 28pt)[*{other}* ·" \
        in deck["eight-matrices"].body
    # half-widths: k points for every other configuration k (the narrowest: the first of them), 8.77 for the best
    assert deck["limitations"].sentences[0].startswith(
        f"With 80 test images the accuracy intervals are ±{other}.00 to ±8.77 points wide, and ")


def test_the_network_slides_give_the_layers_shapes_and_gradient_check(study):
    """The tiny study's networks: one hidden layer of 12, or three of 10, 8 and 6 (784 pixels in, one out)."""
    loaded = load_study(study.path)
    s = loaded["summary"]
    s["gradcheck"].update(online=2.34e-9, matrix=9.66e-08)
    for r in s["configurations"]:
        r["batch_size"] = 16
    deck = full_deck(loaded)
    assert deck["architectures"].sentences[0].startswith(
        "Two architectures: one hidden layer of 12 neurons, or three of 10, 8 and 6, each ending")
    assert deck["equations"].heading == "The five-layer network, from its equations"
    assert deck["equations"].sentences[0] == ("The deeper network has five layers: the 784 pixels, three hidden "
                                              "layers and the output.")
    assert "W^((1)) in RR^(10 times 784),W^((2)) in RR^(8 times 10),W^((3)) in RR^(6 times 8),W^((4)) in RR^(1 times 6)" \
        in deck["equations"].body and "RR^(784 times N)" in deck["equations"].body
    assert deck["backprop"].sentences[1] == ("The online method steps after every image, the matrix method once for 16 "
                                             "images with their mean gradient; both agree with central differences to "
                                             "9.7×10⁻⁸.")
    recipe = deck["recipe"]
    assert "  [1], [12], [TSE], [online], [1], [0.2], [1]," in recipe.body  # online: one image a step
    assert "  [3], [12], [TSE], [matrix], [1], [2], [16]," in recipe.body
    assert len(recipe.sentences) == 1  # one number of epochs for all: nothing to say about choosing them
    for r in s["configurations"]:
        r["epochs"] = 3 if r["bp"] == "matrix" else 1
    assert full_deck(loaded)["recipe"].sentences[1] == (
        "The epochs were chosen on a validation split, not on the test set: 1 for online TSE, 1 for online XE, "
        "3 for matrix TSE and 3 for matrix XE.")


def test_the_rates_slide_does_not_count_a_tie_as_exceeding(study):
    loaded = load_study(study.path)
    for r in loaded["summary"]["configurations"]:
        r["sensitivity"]["value"], r["specificity"]["value"] = (0.95, 0.9) if r["number"] == 2 else (0.9, 0.9)
    assert full_deck(loaded)["rates"].sentences[0] == (
        "Sensitivity exceeds specificity in 1 of the 8 configurations; the widest gap is configuration 2's, "
        "95.00% against 90.00%.")


def test_the_curves_slide_gives_the_smallest_then_the_largest_training_set(study):
    loaded = load_study(study.path)
    loaded["summary"]["size_curve"] = [{"train_size": 1000, "accuracy": 0.9}, {"train_size": 5000, "accuracy": 0.95},
                                       {"train_size": 60000, "accuracy": 0.98}]
    assert full_deck(loaded)["curves"].sentences[1] == (
        "With fewer images the same network is weaker: 90.00% with 1,000 training images, 98.00% with 60,000.")


def test_the_reverse_slides_say_what_the_network_and_the_judge_read(study):
    from mathdl.report.reverse_section import CONTROL
    loaded = load_study(study.path)
    nets = [e["data"] for n, e in loaded["reverse"].items() if n != CONTROL]
    assert [len(d["network"]["sizes"]) for d in nets] == [3, 5]  # one hidden layer, then three
    values = {"backquery": ((7, 3), (6, 2)), "pinv": ((9, 5), (8, 4)), "optimize": ((10, 4), (9, 5)),
              "prior": ((6, 2), (7, 3))}
    for i, d in enumerate(nets):
        for method, pairs in values.items():
            d["summary"][method].update(correct=pairs[i][0], judge_correct=pairs[i][1])
        d["summary"]["prior"]["corr_mean"] = (0.3456, 0.5)[i]
        d["judge"].update(k=5, accuracy=0.875)
    first = nets[0]["facts"]["layers"][0]
    first.update(shape=[12, 784], null_dim=772, sigma_max=5.0, sigma_min=2.0)
    deck = full_deck(loaded)
    assert deck["backquery"].sentences[1] == (
        "The networks, with one hidden layer and three hidden layers, read 7 and 6 of the 10 digits as intended; an "
        "independent judge, the vote of the 5 nearest training images, right on 87.50% of test digits, reads 3 and 2 "
        "of the 10.")
    assert deck["inversions"].sentences[1] == (
        "The networks read 9 and 8 pseudo-inverse images and 10 and 9 optimisation images as intended, but the judge "
        "reads only 4 and 5 optimised ones as the digit.")
    assert deck["prior"].sentences[1] == (
        "The judge reads 2 and 3 of the 10 images as the intended digit, with correlations of 0.35 and 0.50 to the "
        "digit's mean image, and none is a copy of a training image.")
    assert deck["weak"].sentences[0] == (
        "Backquery's mathematics is weak: the 12 by 784 first weight matrix has no inverse, its 772-dimensional null "
        "space is invisible to the network, and the pseudo-inverse magnifies the weakest directions up to 2.5 times.")
    assert "is 12×784:* no inverse" in deck["weak"].body and "by up to 2.5×" in deck["weak"].body


def test_the_title_and_the_preview(study):
    import datetime
    loaded = load_study(study.path)
    figures = draw(loaded, loaded["dir"], loaded["dir"], plan_only=True)
    title = slides(loaded, figures, title="A talk", author="Ada", date="1 May 2026", preview=False)[0]
    assert title.sentences[0] == "A talk, by Ada." and "1 May 2026" in title.body and "Preview" not in title.body
    assert slides(loaded, figures, title="A talk", preview=False)[0].sentences[0] == "A talk."
    today = datetime.date.today()
    assert f"· {today.day} {today:%B} {today.year}])" in slides(loaded, figures, preview=False)[0].body  # "8", not "08"
    short = slides(loaded, figures, preview=True)
    assert [s.key for s in short] == ["title", "task", "eight-matrices", "comparison", "curves", "backquery", "prior",
                                      "conclusions"]
    full = {s.key: s for s in slides(loaded, figures, preview=False)}
    for s in short[1:]:
        assert s.sentences == full[s.key].sentences[:1] and s.body == full[s.key].body


def test_the_script_file_gives_each_slide_its_times_as_minutes_and_seconds():
    from mathdl.present.script import clock, markdown
    from mathdl.present.slides import Slide
    assert [clock(t) for t in (0, 5.04, 65.0, 600.25, 59.97, 119.96)] == [
        "0:00.0", "0:05.0", "1:05.0", "10:00.2", "1:00.0", "2:00.0"]  # never "0:60.0"
    deck = [Slide("title", None, "", ("Hello.",)), Slide("task", "The task", "", ("One.", "Two."))]
    md = markdown(deck, [0.0, 65.0], [65.0, 130.5], title="T")
    assert "## 01. Title (0:00.0–1:05.0)\n\n![slide 1](slides/01.png)\n\nHello.\n" in md
    assert "## 02. The task (1:05.0–2:10.5)\n\n![slide 2](slides/02.png)\n\nOne. Two.\n" in md


def test_the_document_has_one_page_a_slide_and_the_footer_it_is_given():
    from mathdl.present.slides import Slide, document, fonts
    source = document([Slide("title", None, "TITLE PAGE", ()), Slide("task", "The task", "BODY", ())],
                      title="My talk", footer="Ada, 2026")
    assert '#set document(title: "My talk")' in source
    assert "set text(size: 24pt, fill: muted)\n    [Ada, 2026]\n" in source and "My talk]" not in source
    assert source.endswith("\nTITLE PAGE\n#pagebreak(weak: true)\n\n#slide([The task])[\nBODY\n]\n")
    assert (Path(fonts()[0]) / "DejaVuSans.ttf").is_file()


def test_the_figures_read_the_networks_of_the_study_and_mark_what_is_not_the_digit(study, monkeypatch, tmp_path):
    from mathdl.present import figures
    from mathdl.report.reverse_section import CONTROL
    assert figures._readings({"predicted": 3, "output": 0.91634, "judge_class": 5}, 3) == [("net: 3 (0.92)", False),
                                                                                           ("judge: 5", True)]
    assert figures._readings({"predicted": 7, "output": 0.456, "judge_class": 3}, 3) == [("net: 7 (0.46)", True),
                                                                                         ("judge: 3", False)]
    loaded = load_study(study.path)
    assert CONTROL in loaded["reverse"]
    made = []
    monkeypatch.setattr(figures, "save", lambda figure, path: None)
    monkeypatch.setattr(figures, "architecture_figure", lambda study: None)
    monkeypatch.setattr(figures, "rates_chart", lambda rows: None)
    monkeypatch.setattr(figures, "_reverse", lambda folder, nets, methods: made.append((list(nets), methods)))
    monkeypatch.setattr(figures, "digit_rows", lambda rows, **kw: made.append([r[0] for r in rows]))
    drawn = figures.draw(loaded, tmp_path, tmp_path)
    assert set(drawn) == {"architecture", "rates", "examples", "backquery", "prior", "inversions"}
    nets = [n for n in loaded["reverse"] if n != CONTROL]
    assert made == [["positive", "negative"], (nets, ["backquery"]), (nets, ["prior"]), (nets, ["pinv", "optimize"])]

# ---------------------------------------------------------------------------------------------------
# Numbers: every number of the script is one of the study's, and the voice says what the subtitles show

WORD_VALUES = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
WORD_VALUES.update({w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)})
SCALES = {"thousand": 1000, "million": 10 ** 6, "billion": 10 ** 9}


def numbers_heard(words: str) -> list[float]:
    """The numbers in spoken English, read back independently of ``mathdl.present.spoken``."""
    tokens = re.findall(r"[a-z]+", words.lower())
    found, i = [], 0
    while i < len(tokens):
        sign = 1
        if tokens[i] in ("minus", "plus") and i + 1 < len(tokens) and tokens[i + 1] in WORD_VALUES:
            sign = -1 if tokens[i] == "minus" else 1
            i += 1
        if tokens[i] not in WORD_VALUES:
            i += 1
            continue
        total, current, last = 0, 0, None  # last: the kind of the previous word of this number
        while i < len(tokens) and (tokens[i] in WORD_VALUES or tokens[i] == "hundred" or tokens[i] in SCALES):
            t = tokens[i]
            if t == "hundred":
                current *= 100
            elif t in SCALES:
                total, current = total + current * SCALES[t], 0
            else:
                if last in ("units", "teens") or (last == "tens" and WORD_VALUES[t] >= 10):
                    break  # "one zero zero": digits said one by one are numbers of their own
                current += WORD_VALUES[t]
                t = "units" if WORD_VALUES[t] < 10 else "teens" if WORD_VALUES[t] < 20 else "tens"
            last = t if t in ("units", "tens", "teens") else "scale"
            i += 1
        value = float(total + current)
        if i + 1 < len(tokens) and tokens[i] == "point":
            i += 1
            digits = ""
            while i < len(tokens) and tokens[i] in WORD_VALUES and WORD_VALUES[tokens[i]] < 10:
                digits += str(WORD_VALUES[tokens[i]])
                i += 1
            value = float(f"{int(value)}.{digits}")
        if tokens[i:i + 4] == ["times", "ten", "to", "the"]:
            i += 4
            negative = tokens[i] == "minus"
            i += negative
            value *= 10.0 ** ((-1 if negative else 1) * WORD_VALUES[tokens[i]])
            i += 1
        found.append(sign * value)
    return found


WRITTEN = re.compile(r"(?<![\w.])([+−-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:×10(⁻?)([⁰¹²³⁴⁵⁶⁷⁸⁹]+))?")


def numbers_written(text: str) -> list[tuple[float, int]]:
    """(value, decimals shown) of every number in written text; a student ID's digits count one by one."""
    text = re.sub(r"\bID (\d+)", lambda m: "ID " + " ".join(m[1]), text)
    out = []
    for sign, whole, frac, minus, power in WRITTEN.findall(text):
        value = float(f"{whole.replace(',', '')}.{frac or 0}") * (-1 if sign in "−-" and sign else 1)
        if power:
            value *= 10.0 ** ((-1 if minus else 1) * int(power.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))))
        out.append((value, len(frac)))
    return out


@pytest.mark.parametrize("sentence", [
    "Its accuracy is 99.02%, 95% interval 98.81–99.20%.",
    "Of the 60,000 training images 30,482 are positive, 50.8%; of the 10,000 test images, 5,081.",
    "XE − TSE: +0.12 points of accuracy, 95% interval +0.07–+0.16, p < 0.001, significant.",
    "3 ahead of 7 (p = 0.012), −0.24 points, a relative error of 9.7×10⁻⁸.",
    "the digits of ID 100384, that is 0, 1, 3, 4 or 8; 235,801 parameters, 1,000,000 steps",
])
def test_the_voice_says_the_numbers_the_subtitles_show(sentence):
    said = spoken(sentence)
    assert not any(c.isdigit() for c in said), said  # every number in words
    assert numbers_heard(said) == pytest.approx([v for v, _ in numbers_written(sentence)]), said


def test_the_voice_is_never_given_a_digit():
    """hibari's own number reading fails on a superscript digit: a title may hold anything."""
    assert spoken("Coursework ² of 3, part ³") == "Coursework two of three, part three"


def summary_values(study_dir: Path) -> list[float]:
    """Every number the study's files hold (summary.json and the reverse part's reverse.json), and the ones
    the script derives from them, each named: rates in %, intervals' ends and half-widths, class totals and
    shares, differences of the compared accuracies, list lengths, and numbers written inside strings."""
    summary = json.loads((study_dir / "summary.json").read_text())
    documents = [summary] + [json.loads((study_dir / e["dir"] / "reverse.json").read_text())
                             for e in summary.get("reverse", {}).values()]
    values = []

    def walk(x):
        if isinstance(x, bool):
            return
        if isinstance(x, (int, float)):
            values.extend([x, 100 * x])
        elif isinstance(x, str):
            values.extend(float(v) for v in re.findall(r"\d+(?:\.\d+)?", x))
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            values.append(len(x))
            if len(x) == 2 and all(isinstance(v, float) for v in x):  # an interval: its half-width
                values.append(100 * (x[1] - x[0]) / 2)
            for v in x:
                walk(v)
    for d in documents:
        walk(d)
    for split in summary["class_balance"].values():
        (_, negative), (_, positive) = split.items()
        values += [positive + negative, 100 * positive / (positive + negative)]
    for r in summary["configurations"]:
        values += [r["tp"] + r["fn"], r["tn"] + r["fp"]]
    diffs = [100 * (t["accuracy_b"] - t["accuracy_a"]) for t in summary["mcnemar"]]
    values += diffs + [abs(d) for d in diffs] + [0.05 * len(summary["mcnemar"])]
    half = np.median([(r["accuracy"]["ci95"][1] - r["accuracy"]["ci95"][0]) / 2 for r in summary["configurations"]])
    values.append(sum(abs(d) < 100 * half for d in diffs))  # differences within the median half-width
    for question in {t["question"] for t in summary["mcnemar"]}:
        d = [100 * (t["accuracy_b"] - t["accuracy_a"]) for t in summary["mcnemar"] if t["question"] == question]
        values += [abs(sum(d) / len(d))]
    for d in documents[1:]:
        first = d["facts"]["layers"][0]
        values.append(first["sigma_max"] / first["sigma_min"])
    values.append(max(summary["gradcheck"]["online"], summary["gradcheck"]["matrix"]))
    return values


def unexplained(text: str, values: list[float]) -> list[str]:
    """The numbers of ``text`` that no value of the study gives at the precision shown."""
    def shown(v, decimals):
        if 0 < abs(v) < 1e-3:
            return float(f"{v:.1e}")
        return round(v, decimals)
    missing = []
    for value, decimals in numbers_written(text):
        if not any(shown(v, decimals) == value or shown(v, decimals) == -value for v in values):
            missing.append(f"{value:g}")
    return missing


def test_every_number_of_the_script_is_the_studys(presented, study):
    presentation, paths = presented
    values = summary_values(presentation.dir)
    for slide in presentation.deck:
        assert unexplained(slide.narration, values) == [], (slide.key, slide.narration)
    # the full version says more: check its every sentence too (slides only, nothing encoded)
    loaded = load_study(presentation.dir)
    full = list(full_deck(loaded).values())
    assert len(full) > len(presentation.deck)
    for slide in full:
        assert unexplained(slide.narration, values) == [], (slide.key, slide.narration)
    assert unexplained("configuration 4 reaches 99.97%", values) == ["99.97"]  # the check can fail


def test_the_full_deck_renders_one_page_a_slide(presented):
    """Every slide of the full version typesets to exactly one 1920×1080 page (none overflows)."""
    from mathdl.present.slides import document, render
    presentation, _ = presented
    loaded = load_study(presentation.dir)
    work = presentation.dir / ".figures"
    work.mkdir(exist_ok=True)
    try:
        full = slides(loaded, draw(loaded, work, presentation.dir), title="T", preview=False)
        pages = render(document(full, title="T", footer="T"), presentation.dir)
    finally:
        shutil.rmtree(work)
    assert len(pages) == len(full) >= 15
    assert {Image.open(__import__("io").BytesIO(p)).size for p in pages} == {(1920, 1080)}
    keys = [s.key for s in full]
    for key in ("title", "task", "architectures", "equations", "backprop", "recipe", "one-matrix", "eight-matrices",
                "rates", "comparison", "curves", "conclusions", "limitations", "references"):
        assert key in keys


# ---------------------------------------------------------------------------------------------------
# The checks can fail: a video broken on purpose


def test_the_checks_fail_on_swapped_slides_and_delayed_sound(presented, tmp_path):
    presentation, _ = presented
    t = presentation.timeline
    k = 3  # the first three slides are enough
    n = sum(t.frames[:k]) * (SAMPLE_RATE // FPS)
    part = Timeline(t.frames[:k], tuple(c for c in t.cues if c.end <= n / SAMPLE_RATE), t.audio[:n])
    images = list(presentation.images)[:k]
    swapped = tmp_path / "swapped.mp4"
    encode(swapped, [images[1], images[0], images[2]], part)
    faults = check_slides(swapped, images, part)
    assert any("slide 1" in f for f in faults) and any("slide 2" in f for f in faults), faults
    delayed = tmp_path / "delayed.mp4"
    late = np.concatenate([np.zeros(round(0.3 * SAMPLE_RATE), np.float32), part.audio])[:n]
    encode(delayed, images, dataclasses.replace(part, audio=late))
    faults = check_sync(delayed, part)
    assert len(faults) == 2 and all("+300 ms" in f or "+299 ms" in f or "+301 ms" in f for f in faults), faults
    assert check_slides(delayed, images, part) == []


# ---------------------------------------------------------------------------------------------------
# The student's own recordings


def write_wav(path: Path, seconds: float, rate: int, *, channels: int = 1, width: int = 2, seed: int = 0) -> None:
    """A 'recording': a noisy tone of ``seconds``, PCM of ``width`` bytes."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))
    pcm = (x * (2 ** (8 * width - 1) - 1)).astype({2: "<i2", 4: "<i4"}[width])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(np.repeat(pcm[:, None], channels, axis=1).tobytes())


def test_recordings_set_each_slides_length(presented, tmp_path):
    presentation, _ = presented
    k = len(presentation.deck)
    lengths = [2.0 + 0.7 * i for i in range(k)]
    rates = [44100, 48000, 16000, 22050, 8000, 32000, 24000, 96000]
    for i, seconds in enumerate(lengths, 1):
        write_wav(tmp_path / f"{i:02d}.wav", seconds, rates[i % len(rates)], channels=1 + i % 2, width=2 + 2 * (i % 2))
    again = prepare(presentation.dir, voice_dir=tmp_path, date=DATE, progress=False)
    t = again.timeline
    for seconds, start, end in zip(lengths, t.starts, t.ends):
        assert seconds - 1e-9 <= end - start < seconds + 1 / FPS + 1e-9  # to the next whole frame
    for i, slide in enumerate(again.deck):  # the subtitles come from the script, within the slide
        inside = [c for c in t.cues if t.starts[i] <= c.start < t.ends[i]]
        assert " ".join(c.text for c in inside) == slide.narration
        assert inside[-1].end <= t.ends[i] + 1e-9
    onset = round(t.starts[2] * SAMPLE_RATE)  # slide 3's sound starts with its recording, at the slide,
    assert np.abs(t.audio[onset:onset + 200]).max() > 0.05  # after silence to the end of slide 2's last frame
    assert np.abs(t.audio[onset - round(0.09 * SAMPLE_RATE):onset]).max() == 0


@pytest.mark.parametrize("fault, message", [
    ("missing", "missing recording 03.wav"),
    ("empty", "03.wav: the recording is empty"),
    ("text", "03.wav: not a WAV file"),
    ("broken", "03.wav: not a readable WAV file"),
    ("extra", "has no slide"),
    ("nofolder", "no such directory of recordings"),
])
def test_bad_recordings_are_one_line_errors_before_any_slow_work(fault, message, presented, tmp_path, capsys,
                                                               monkeypatch):
    presentation, paths = presented
    k = len(presentation.deck)
    voices = tmp_path / "voices"
    voices.mkdir()
    for i in range(1, k + 1):
        write_wav(voices / f"{i:02d}.wav", 1.0, 16000)
    target = voices / "03.wav"
    if fault == "missing":
        target.unlink()
    elif fault == "empty":
        write_wav(target, 0.0, 16000)
    elif fault == "text":
        target.write_text("not audio")
    elif fault == "broken":
        target.write_bytes(target.read_bytes()[:30])
    elif fault == "extra":
        write_wav(voices / f"{k + 1:02d}.wav", 1.0, 16000)
    elif fault == "nofolder":
        shutil.rmtree(voices)
    monkeypatch.setattr("mathdl.present.render", lambda *a, **k: pytest.fail("slides rendered before the check"))
    before = paths["video"].stat().st_mtime_ns
    code = main(["present", str(presentation.dir), "--voice-dir", str(voices), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1, err
    assert paths["video"].stat().st_mtime_ns == before


# ---------------------------------------------------------------------------------------------------
# Bad study directories, nothing lost, nothing retrained


def test_bad_study_directories_are_one_line_errors(study, tmp_path, capsys):
    unfinished = shutil.copytree(study.path, tmp_path / "unfinished")
    (unfinished / "summary.json").unlink()
    blocked = shutil.copytree(study.path, tmp_path / "blocked")
    (blocked / "slides").write_text("a file where the slides go")
    for folder, message in ((tmp_path / "nowhere", "no such study directory"),
                            (unfinished, "incomplete study directory, missing summary.json"),
                            (blocked, "is a file, not a directory")):
        code = main(["present", str(folder), "--quiet"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and message in err and len(err.splitlines()) == 1, err
        assert not (folder / "presentation.mp4").exists()


def test_an_interrupted_presentation_leaves_the_earlier_one(presented, monkeypatch):
    presentation, paths = presented
    before = {p: p.read_bytes() for p in [paths["video"], paths["srt"], paths["vtt"], paths["script"],
                                          *sorted(paths["slides"].glob("*.png"))]}

    def interrupted(path, *args, **kwargs):
        Path(path).write_bytes(b"half a video")
        raise KeyboardInterrupt
    monkeypatch.setattr("mathdl.present.encode", interrupted)
    changed = dataclasses.replace(presentation, pages=presentation.pages[::-1])
    with pytest.raises(KeyboardInterrupt):
        changed.write(progress=False)
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in presentation.dir.glob(".presentation*")) == []


def test_presenting_retrains_nothing(presented, monkeypatch):
    presentation, _ = presented
    models = {p: p.stat().st_mtime_ns for p in presentation.dir.glob("**/model.npz")}
    monkeypatch.setattr("mathdl.training.loop.train", lambda *a, **k: pytest.fail("trained"))
    again = prepare(presentation.dir, author="Ada Lovelace", date=DATE, progress=False)
    assert [(s.heading, s.sentences) for s in again.deck] == [(s.heading, s.sentences) for s in presentation.deck]
    assert again.timeline.frames == presentation.timeline.frames
    assert np.array_equal(again.timeline.audio, presentation.timeline.audio)  # the voice is deterministic
    assert {p: p.stat().st_mtime_ns for p in models} == models


def test_the_study_command_ends_with_the_presentation(study, tiny_data, tmp_path, capsys):
    """`mathdl study` (resuming a finished study: nothing to train) writes the report, then the video;
    with --no-video, no video."""
    from conftest import TINY
    options = ["--hidden1", "12", "--hidden3", "10,8,6", "--epochs", str(TINY["epochs"]), "--sizes", "40,80",
               "--quiet"]
    for video in (False, True):
        out = shutil.copytree(study.path, tmp_path / f"s{video}")
        data = json.loads((out / "study.json").read_text())["options"]
        assert data["hidden1"] == [12]
        code = main(["study", "--resume", "--out", str(out), "--data", str(tiny_data), *options,
                     *([] if video else ["--no-video"])])
        printed = capsys.readouterr().out
        assert code == 0
        assert (out / "presentation.mp4").exists() == video
        assert ("presentation: " in printed) == video


def test_an_unknown_voice_is_refused(study):
    with pytest.raises(MathdlError, match="unknown voice 'robot'; choose from hibari"):
        prepare(study.path, voice="robot", progress=False)
