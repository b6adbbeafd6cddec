"""The narration's sound: an offline voice behind one small interface, or the student's own recordings.

A voice is anything with a ``name``, a ``sample_rate`` and ``speak(text) -> float32 array`` (mono, in
[−1, 1]); ``VOICES`` names the ones mathdl knows. The default, hibari, is a 7.9 MB neural voice whose
model is inside its PyPI wheel (ONNX Runtime on the CPU, no system packages, no download), deterministic
for a fixed seed. Every sound is brought to ``SAMPLE_RATE`` by polyphase resampling.
"""
from __future__ import annotations

import re
import struct
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..base.errors import MathdlError

SAMPLE_RATE = 48_000  # Hz, the video's audio track
RECORDING = re.compile(r"(\d+)\.wav", re.I)


def resample(x: np.ndarray, rate: int, to: int = SAMPLE_RATE) -> np.ndarray:
    """x sampled at ``rate`` Hz → the same sound at ``to`` Hz (polyphase FIR, scipy.signal.resample_poly)."""
    if rate == to:
        return np.asarray(x, np.float32)
    from scipy.signal import resample_poly
    ratio = Fraction(to, rate)
    return resample_poly(x, ratio.numerator, ratio.denominator).astype(np.float32)


@dataclass
class Hibari:
    """hibari-tts's packaged voice "heart" (American English), run on one thread with a fixed seed."""

    name: str = "hibari"
    seed: int = 0
    _tts: object = field(default=None, repr=False)

    @property
    def sample_rate(self) -> int:
        from hibari import SAMPLE_RATE as rate
        return rate

    def speak(self, text: str) -> np.ndarray:
        if self._tts is None:
            from hibari import Hibari as Engine
            self._tts = Engine(threads=1)
        return self._tts(text, seed=self.seed)


VOICES = {"hibari": Hibari}


def voice(name: str):
    """The voice called ``name`` (one of ``VOICES``), checked before any slow work."""
    if name not in VOICES:
        raise MathdlError(f"unknown voice {name!r}; choose from {', '.join(VOICES)}")
    made = VOICES[name]()
    try:
        made.sample_rate
    except ImportError as e:
        raise MathdlError(f"the voice {name!r} is not installed ({e.name}): pip install mathdl again") from None
    return made


def read_recording(path: Path) -> np.ndarray:
    """A WAV file (PCM or float, any sample rate, mono or several channels averaged) as mono float32
    at ``SAMPLE_RATE``; a missing, unreadable, empty or non-WAV file is a one-line ``MathdlError``."""
    from scipy.io import wavfile
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
        if head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            raise MathdlError(f"{path}: not a WAV file (a recording must be RIFF/WAVE audio)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)  # unknown chunks (e.g. LIST) are skipped
            rate, data = wavfile.read(path)
    except OSError as e:
        raise MathdlError(f"{path}: cannot read the recording ({e.strerror or e})") from None
    except (ValueError, EOFError, struct.error) as e:
        raise MathdlError(f"{path}: not a readable WAV file ({e or type(e).__name__})") from None
    if data.size == 0 or rate <= 0:
        raise MathdlError(f"{path}: the recording is empty")
    if data.dtype.kind in "iu":  # scaled before the channels are averaged, while the type still says how
        info = np.iinfo(data.dtype)
        data = (data.astype(np.float64) - (info.max + 1 + info.min) / 2) / ((info.max - info.min + 1) / 2)
    data = np.asarray(data, np.float64)
    if data.ndim > 1:
        data = data.mean(axis=1)
    if not np.all(np.isfinite(data)):
        raise MathdlError(f"{path}: the recording holds values that are not numbers")
    return resample(np.clip(data, -1.0, 1.0), rate)


def recordings(folder, slides: int) -> list[np.ndarray]:
    """The student's recordings ``01.wav``, ``02.wav``, … (one per slide, numbered from 1) from ``folder``,
    every one read and checked before anything slow starts."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MathdlError(f"{folder}: no such directory of recordings")
    found = {int(m[1]): p for p in folder.iterdir() if (m := RECORDING.fullmatch(p.name))}
    missing = [n for n in range(1, slides + 1) if n not in found]
    if missing:
        names = ", ".join(f"{n:02d}.wav" for n in missing[:5]) + (", …" if len(missing) > 5 else "")
        raise MathdlError(f"{folder}: missing recording{'s' * (len(missing) > 1)} {names} (one per slide, "
                          f"01.wav to {slides:02d}.wav; presentation.md lists what each slide says)")
    extra = sorted(n for n in found if n > slides)
    if extra:
        raise MathdlError(f"{folder}: {found[extra[0]].name} has no slide: the presentation has {slides} slides")
    return [read_recording(found[n]) for n in range(1, slides + 1)]
