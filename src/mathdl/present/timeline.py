"""When each slide shows and each subtitle runs: the narration laid out on the video's timeline.

With a voice, each slide's sentences are spoken one after another (``LEAD`` seconds of silence before
the first, ``GAP`` between two, ``TAIL`` after the last), and each sentence is a subtitle cue timed by its
own sound. With the student's recordings, a slide lasts as long as its recording and its sentences share
that time in proportion to their length. Every slide starts and ends on a frame, so that sound, picture
and subtitles meet exactly; a cue too long for two lines of subtitles is cut into parts, timed by their
share of its characters.
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np

from .spoken import spoken
from .voice import SAMPLE_RATE, resample

FPS = 5  # frames per second: the slides are still pictures
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS
LEAD, GAP, TAIL = 0.4, 0.35, 0.6  # seconds of silence around and between a slide's sentences
LINE, LINES = 42, 2  # a subtitle shows at most two lines of 42 characters
PEAK = 10 ** (-1 / 20)  # the narration is scaled to a peak of −1 dBFS


@dataclass(frozen=True)
class Cue:
    """A subtitle: its text from ``start`` to ``end`` seconds."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Timeline:
    """Frames per slide, the subtitle cues, and the sound (mono float32 at ``SAMPLE_RATE``, exactly as
    long as the frames)."""

    frames: tuple[int, ...]
    cues: tuple[Cue, ...]
    audio: np.ndarray

    @property
    def starts(self) -> list[float]:
        return [f / FPS for f in np.cumsum((0,) + self.frames[:-1])]

    @property
    def ends(self) -> list[float]:
        return [f / FPS for f in np.cumsum(self.frames)]

    @property
    def duration(self) -> float:
        return sum(self.frames) / FPS


def frames_for(seconds: float) -> int:
    """Whole frames covering ``seconds`` (at least one)."""
    return max(1, math.ceil(round(seconds * FPS, 6)))


def cues_for(text: str, start: float, end: float) -> list[Cue]:
    """``text`` shown from ``start`` to ``end``, cut into parts of at most two subtitle lines, each part
    timed by its share of the characters."""
    parts = _parts(text)
    total = sum(len(p) for p in parts)
    out, t = [], start
    for i, part in enumerate(parts):
        t_end = end if i == len(parts) - 1 else t + (end - start) * len(part) / total
        out.append(Cue(round(t, 3), round(t_end, 3), part))
        t = t_end
    return out


def _parts(text: str) -> list[str]:
    """Text in pieces of at most ``LINES`` lines of ``LINE`` characters, of about equal length."""
    lines = textwrap.wrap(text, LINE)
    if len(lines) <= LINES:
        return [text]
    n = math.ceil(len(lines) / LINES)
    target = len(text) / n
    parts, current = [], []
    for word in text.split():
        if current and len(" ".join([*current, word])) > target and len(parts) < n - 1:
            parts.append(" ".join(current))
            current = [word]
        else:
            current.append(word)
    parts.append(" ".join(current))
    return [q for p in parts for q in (_parts(p) if p != text else [p])]


def narrate(slides, voice, *, bar=None) -> Timeline:
    """Each slide's sentences spoken by ``voice`` (``mathdl.present.voice``), laid out on the timeline."""
    frames, cues, sound = [], [], []
    for slide in slides:
        t, pieces = LEAD, []
        for sentence in slide.sentences:
            clip = resample(voice.speak(spoken(sentence)), voice.sample_rate)
            start = sum(frames) / FPS + t
            cues += cues_for(sentence, start, start + len(clip) / SAMPLE_RATE)
            pieces.append((t, clip))
            t += len(clip) / SAMPLE_RATE + GAP
        n = frames_for(t - GAP + TAIL if slide.sentences else LEAD + TAIL)
        track = np.zeros(n * SAMPLES_PER_FRAME, np.float32)
        for offset, clip in pieces:
            i = round(offset * SAMPLE_RATE)
            track[i:i + len(clip)] = clip
        frames.append(n)
        sound.append(track)
        if bar is not None:
            bar.advance(1)
    return Timeline(tuple(frames), tuple(cues), _level(np.concatenate(sound)))


def recorded(slides, recordings: list[np.ndarray]) -> Timeline:
    """The student's recordings (one per slide, at ``SAMPLE_RATE``) on the timeline: each slide as long as
    its recording (to the next whole frame), its sentences sharing that time by their length."""
    frames, cues, sound = [], [], []
    for slide, clip in zip(slides, recordings):
        n = frames_for(len(clip) / SAMPLE_RATE)
        start = sum(frames) / FPS
        spoken_for = len(clip) / SAMPLE_RATE
        total = sum(len(s) for s in slide.sentences)
        t = start
        for sentence in slide.sentences:
            share = spoken_for * len(sentence) / total
            cues += cues_for(sentence, t, t + share)
            t += share
        track = np.zeros(n * SAMPLES_PER_FRAME, np.float32)
        track[:len(clip)] = clip
        frames.append(n)
        sound.append(track)
    return Timeline(tuple(frames), tuple(cues), _level(np.concatenate(sound)))


def _level(audio: np.ndarray) -> np.ndarray:
    """The whole track scaled to a peak of ``PEAK`` (silence stays silence)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return (audio * (PEAK / peak)).astype(np.float32) if peak > 0 else audio

