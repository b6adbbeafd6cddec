"""The presentation's timing and packaging, on cases small enough to know the answer: a voice of known
lengths laid out on the timeline, recordings of known lengths, subtitle files written out in full, the
spoken form of numbers and symbols, WAV files of known samples, and a two-second MP4 decoded with PyAV
(frame times, key frames, colours, the sound's rate, channels and place, the subtitle track)."""
from __future__ import annotations

import math
import wave
from types import SimpleNamespace

import numpy as np
import pytest

from mathdl.present.spoken import spoken
from mathdl.present.subtitles import srt, vtt
from mathdl.present.timeline import FPS, GAP, LEAD, LINE, LINES, TAIL, Cue, Timeline, cues_for, frames_for, narrate, \
    recorded
from mathdl.present.voice import SAMPLE_RATE, read_recording

MINUS_1_DBFS = 10 ** (-1 / 20)  # the narration's peak


# ---------------------------------------------------------------------------------------------------
# The timeline


def test_a_slide_lasts_whole_frames_covering_its_time():
    for k in (1, 2, 3, 7, 15, 300):
        assert frames_for(k / FPS) == k  # exactly k frames: not one more for a rounding error
        assert frames_for((k + 0.05) / FPS) == k + 1  # a little more: the next whole frame
        assert frames_for((k - 0.95) / FPS) == k
    assert frames_for(0.0) == 1  # a slide is never skipped


def test_the_slides_start_where_the_previous_ones_end():
    t = Timeline((3, 2, 4), (), np.zeros(9 * SAMPLE_RATE // FPS, np.float32))
    assert t.starts == pytest.approx([0, 3 / FPS, 5 / FPS])
    assert t.ends == pytest.approx([3 / FPS, 5 / FPS, 9 / FPS])
    assert t.duration == pytest.approx(9 / FPS)


class Metronome:
    """A voice whose every sentence is a 440 Hz tone of a length fixed in advance, at half the video's rate."""

    name, sample_rate = "metronome", SAMPLE_RATE // 2

    def __init__(self, seconds: dict[str, float]):
        self.seconds = seconds

    def speak(self, text: str) -> np.ndarray:
        n = round(self.seconds[text] * self.sample_rate)
        return (0.25 * np.sin(2 * np.pi * 440 * np.arange(n) / self.sample_rate)).astype(np.float32)


def test_a_voice_of_known_lengths_is_laid_out_with_its_pauses():
    """Three slides: two sentences (1.0 s and 0.5 s), none, one (0.3 s). Each sentence is a cue timed by its
    own sound, LEAD after its slide starts or GAP after the previous one; a slide ends TAIL after its last
    sentence (LEAD + TAIL when silent), on the next whole frame."""
    said = {"First.": 1.0, "Second one.": 0.5, "Third.": 0.3}
    deck = [SimpleNamespace(sentences=["First.", "Second one."]), SimpleNamespace(sentences=[]),
            SimpleNamespace(sentences=["Third."])]
    t = narrate(deck, Metronome(said))
    lengths = [LEAD + 1.0 + GAP + 0.5 + TAIL, LEAD + TAIL, LEAD + 0.3 + TAIL]
    assert t.frames == tuple(math.ceil(s * FPS - 1e-9) for s in lengths)
    starts = [0, t.frames[0] / FPS, (t.frames[0] + t.frames[1]) / FPS]
    expected = [(starts[0] + LEAD, starts[0] + LEAD + 1.0, "First."),
                (starts[0] + LEAD + 1.0 + GAP, starts[0] + LEAD + 1.0 + GAP + 0.5, "Second one."),
                (starts[2] + LEAD, starts[2] + LEAD + 0.3, "Third.")]
    assert [(c.start, c.end, c.text) for c in t.cues] == [(pytest.approx(a, abs=5e-4), pytest.approx(b, abs=5e-4), s)
                                                          for a, b, s in expected]
    # the sound: exactly as long as the picture, each sentence where its cue is and silence elsewhere
    assert len(t.audio) == sum(t.frames) * SAMPLE_RATE // FPS and t.audio.dtype == np.float32
    heard = np.zeros(len(t.audio), bool)
    for c in t.cues:
        a, b = round(c.start * SAMPLE_RATE), round(c.end * SAMPLE_RATE)
        heard[a:b] = True
        assert np.abs(t.audio[a + 100:b - 100]).max() > 0.5  # the 0.25 tone, scaled up
    assert not np.any(t.audio[~heard])
    assert np.abs(t.audio).max() == pytest.approx(MINUS_1_DBFS, rel=1e-6)  # scaled to a peak of −1 dBFS


def test_recordings_of_known_lengths_set_their_slides_and_share_them_by_length():
    deck = [SimpleNamespace(sentences=["Short.", "A sentence four times longer."]),
            SimpleNamespace(sentences=["Only."])]
    clips = [np.full(round(1.3 * SAMPLE_RATE), 0.5, np.float32), np.full(round(0.5 * SAMPLE_RATE), -0.2, np.float32)]
    t = recorded(deck, clips)
    assert t.frames == (math.ceil(1.3 * FPS), math.ceil(0.5 * FPS))
    share = 1.3 * 6 / (6 + 29)  # by characters: "Short." is 6 of the slide's 35
    assert [(c.start, c.end, c.text) for c in t.cues] == [
        (0.0, pytest.approx(share, abs=5e-4), "Short."), (pytest.approx(share, abs=5e-4), 1.3, deck[0].sentences[1]),
        (pytest.approx(t.starts[1]), pytest.approx(t.starts[1] + 0.5), "Only.")]
    second = round(t.starts[1] * SAMPLE_RATE)  # each recording starts with its slide, on a frame
    expected = np.zeros(sum(t.frames) * SAMPLE_RATE // FPS, np.float32)
    expected[:len(clips[0])] = MINUS_1_DBFS
    expected[second:second + len(clips[1])] = -0.2 / 0.5 * MINUS_1_DBFS
    assert np.allclose(t.audio, expected, atol=1e-6)


LONG = ("The network with one hidden layer of twelve units and the cross-entropy cost reaches the highest "
        "accuracy of the eight configurations on the test images, and its interval is the narrowest of all.")


@pytest.mark.parametrize("text", [LONG, LONG[:100], "Short."])
def test_a_long_sentence_becomes_consecutive_cues_of_two_lines_timed_by_characters(text):
    import textwrap
    start, end = 10.123, 17.456
    cues = cues_for(text, start, end)
    assert " ".join(c.text for c in cues) == text  # every word, once, in order
    assert all(len(textwrap.wrap(c.text, LINE)) <= LINES for c in cues)
    assert len(cues) == max(1, math.ceil(len(textwrap.wrap(text, LINE)) / LINES))
    assert cues[0].start == start and cues[-1].end == end
    assert all(a.end == b.start for a, b in zip(cues, cues[1:]))  # no gap, no overlap
    total = sum(len(c.text) for c in cues)
    for c in cues:
        assert c.end - c.start == pytest.approx((end - start) * len(c.text) / total, abs=1.5e-3)


# ---------------------------------------------------------------------------------------------------
# Subtitle files


CUES = [Cue(1.05, 4.35, "First."), Cue(59.9996, 61.0, "Second."), Cue(3723.4567, 3724.0, "Third.")]


def test_subrip_is_written_out_in_full():
    assert srt(CUES) == ("1\n00:00:01,050 --> 00:00:04,350\nFirst.\n\n"
                         "2\n00:01:00,000 --> 00:01:01,000\nSecond.\n\n"
                         "3\n01:02:03,457 --> 01:02:04,000\nThird.\n")


def test_webvtt_is_written_out_in_full():
    assert vtt(CUES) == ("WEBVTT\n\n"
                         "00:00:01.050 --> 00:00:04.350\nFirst.\n\n"
                         "00:01:00.000 --> 00:01:01.000\nSecond.\n\n"
                         "01:02:03.457 --> 01:02:04.000\nThird.\n")


# ---------------------------------------------------------------------------------------------------
# What the voice is given


@pytest.mark.parametrize("written, said", [
    ("98.72%", "ninety-eight point seven two percent"),
    ("p = 0.012", "p equals zero point zero one two"),
    ("p < 0.001", "p less than zero point zero zero one"),
    ("+0.12 points", "plus zero point one two points"),
    ("−0.24 points", "minus zero point two four points"),
    ("98.81%–99.20%", "ninety-eight point eight one percent to ninety-nine point two zero percent"),
    ("+0.07–+0.16", "plus zero point zero seven to plus zero point one six"),
    ("28×28 pixels", "twenty-eight by twenty-eight pixels"),
    ("9.7×10⁻⁸", "nine point seven times ten to the minus eight"),
    ("σ(z) and η", "sigma (z) and eta"),
    ("XE − TSE", "XE minus TSE"),
    ("Wᵀ vs W⁺", "W transpose versus W plus"),
    ("ID 100384", "I D one zero zero three eight four"),
    ("1,000,000 steps, 12 images, 60,000", "one million steps, twelve images, sixty thousand"),
    ("1,000 images, 45 of them", "one thousand images, forty-five of them"),
    ("-0.10 points", "minus zero point one zero points"),  # the ASCII minus of Python's :+.2f
    ("p > 0.999", "p greater than zero point nine nine nine"),
    ("≥ 5 and ≤ 9", "at least five and at most nine"),
    ("±0.52 points", "plus or minus zero point five two points"),
    ("MNIST and δ", "em-nist and delta"),
])
def test_the_spoken_form(written, said):
    assert spoken(written) == said


# ---------------------------------------------------------------------------------------------------
# Recordings


def write_samples(path, samples: np.ndarray, rate: int) -> None:
    """``samples`` (n, channels) of a numpy integer or float type as a WAV file."""
    from scipy.io import wavfile
    wavfile.write(path, rate, samples)


def test_a_recording_is_read_as_mono_full_scale_at_the_videos_rate(tmp_path):
    write_samples(tmp_path / "u8.wav", np.array([0, 128, 255], np.uint8), SAMPLE_RATE)  # 8-bit WAV is unsigned
    assert read_recording(tmp_path / "u8.wav") == pytest.approx([-1.0, 0.0, 127 / 128])
    stereo = np.array([[16384, 0], [-32768, -32768], [0, 8192]], np.int16)  # the channels are averaged
    write_samples(tmp_path / "s16.wav", stereo, SAMPLE_RATE)
    assert read_recording(tmp_path / "s16.wav") == pytest.approx([0.25, -1.0, 0.125])
    write_samples(tmp_path / "f32.wav", np.array([0.5, 1.5, -2.0], np.float32), SAMPLE_RATE)
    assert read_recording(tmp_path / "f32.wav") == pytest.approx([0.5, 1.0, -1.0])  # clipped to [−1, 1]
    rate = SAMPLE_RATE // 2  # another rate: resampled, the same seconds and the same tone
    tone = np.sin(2 * np.pi * 1000 * np.arange(rate) / rate)
    with wave.open(str(tmp_path / "half.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((0.5 * 32767 * tone).astype("<i2").tobytes())
    x = read_recording(tmp_path / "half.wav")
    assert len(x) == SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(x))
    assert np.argmax(spectrum) == 1000  # 1 Hz a bin over one second


# ---------------------------------------------------------------------------------------------------
# A two-second video, decoded


@pytest.fixture(scope="module")
def short_video(tmp_path_factory):
    """Three slides of 3, 2 and 4 frames (the second barely different from the first: no scene cut for the
    encoder to find), a tone burst from 0.7 s to 0.9 s, two cues; returns (path, timeline, pages)."""
    from mathdl.present.video import encode
    pages = [np.full((48, 64, 3), c, np.uint8) for c in ((64, 128, 192), (66, 128, 192), (192, 64, 128))]
    frames = (3, 2, 4)
    n = sum(frames) * SAMPLE_RATE // FPS
    audio = np.zeros(n, np.float32)
    burst = np.arange(round(0.7 * SAMPLE_RATE), round(0.9 * SAMPLE_RATE))
    audio[burst] = 0.5 * np.sin(2 * np.pi * 440 * burst / SAMPLE_RATE) * np.hanning(len(burst))
    timeline = Timeline(frames, (Cue(0.2, 0.5, "one"), Cue(0.8, 1.2, "two")), audio)
    path = tmp_path_factory.mktemp("video") / "short.mp4"
    encode(path, iter(pages), timeline, title="Short")
    return path, timeline, pages


def test_the_video_shows_every_frame_of_every_slide_at_its_time(short_video):
    av = pytest.importorskip("av")
    path, timeline, pages = short_video
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        assert stream.average_rate == FPS
        cc = stream.codec_context
        assert (cc.color_range, cc.colorspace, cc.color_primaries, cc.color_trc) == (1, 1, 1, 1)  # BT.709, limited
        decoded = [(f.time, f.key_frame, f.to_ndarray(format="rgb24")) for f in c.decode(stream)]
    assert [t for t, _, _ in decoded] == pytest.approx([i / FPS for i in range(sum(timeline.frames))])
    firsts = {0, 3, 5}  # a key frame at each slide's start, so a player can seek to it; none elsewhere
    assert [i for i, (_, key, _) in enumerate(decoded) if key] == sorted(firsts)
    shown = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    for (_, _, rgb), k in zip(decoded, shown):
        assert np.abs(rgb.astype(int) - pages[k]).max() <= 3  # the colours survive (limited range both ways)


def test_the_sound_is_mono_at_the_videos_rate_and_in_place(short_video):
    av = pytest.importorskip("av")
    path, timeline, _ = short_video
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        assert (stream.codec_context.sample_rate, stream.codec_context.channels) == (SAMPLE_RATE, 1)
        assert float(stream.duration * stream.time_base) == pytest.approx(timeline.duration, abs=0.03)
        pieces = [(int(f.pts), f.to_ndarray()[0]) for f in c.decode(stream)]
    track = np.zeros(max(p + len(x) for p, x in pieces))
    for p, x in pieces:
        track[max(p, 0):p + len(x)] = x[max(p, 0) - p:]
    reference = timeline.audio
    lag = np.argmax(np.correlate(track[:len(reference)], reference[round(0.6 * SAMPLE_RATE):round(SAMPLE_RATE)],
                                 mode="valid")) - round(0.6 * SAMPLE_RATE)
    assert abs(lag) <= SAMPLE_RATE // 1000  # within a millisecond
    assert np.abs(track[:round(0.65 * SAMPLE_RATE)]).max() < 0.02  # silence before the burst


def test_the_subtitle_track_holds_the_cues_and_lasts_as_long_as_the_picture(short_video):
    av = pytest.importorskip("av")
    from mathdl.present.video import read_cues
    path, timeline, _ = short_video
    assert read_cues(path) == [(0.2, 0.5, "one"), (0.8, 1.2, "two")]
    with av.open(str(path)) as c:
        assert c.metadata.get("title") == "Short"
        text = c.streams.subtitles[0]
        assert float(text.duration * text.time_base) == pytest.approx(timeline.duration, abs=1e-3)
        samples = [(float(p.pts * p.time_base), float(p.duration * p.time_base), bytes(p)[2:].decode())
                   for p in c.demux(text) if p.size]
    assert samples == [(0.0, pytest.approx(0.2), ""), (0.2, pytest.approx(0.3), "one"), (0.5, pytest.approx(0.3), ""),
                       (0.8, pytest.approx(0.4), "two"), (1.2, pytest.approx(0.6), "")]  # the gaps filled, to the end
