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
    frames, cues, clips = [], [], []  # clips: (sample where it starts, sound at the voice's rate)
    for slide in slides:
        start, t = sum(frames) / FPS, LEAD
        for sentence in slide.sentences:
            clip = voice.speak(spoken(sentence))
            seconds = len(clip) / voice.sample_rate
            cues += cues_for(sentence, start + t, start + t + seconds)
            clips.append((round((start + t) * SAMPLE_RATE), clip))
            t += seconds + GAP
        frames.append(frames_for(t - GAP + TAIL if slide.sentences else LEAD + TAIL))
        if bar is not None:
            bar.advance(1)
    track = np.zeros(sum(frames) * SAMPLES_PER_FRAME, np.float32)
    for i, clip in clips:
        clip = resample(clip, voice.sample_rate)
        track[i:i + len(clip)] = clip[:len(track) - i]
    return Timeline(tuple(frames), tuple(cues), _level(track))


def recorded(slides, recordings: list[np.ndarray]) -> Timeline:
    """The student's recordings (one per slide, at ``SAMPLE_RATE``) on the timeline: each slide as long as
    its recording (to the next whole frame), its sentences sharing that time by their length."""
    frames, cues = [], []
    for slide, clip in zip(slides, recordings):
        start, seconds = sum(frames) / FPS, len(clip) / SAMPLE_RATE
        total, t = sum(len(s) for s in slide.sentences), start
        for sentence in slide.sentences:
            share = seconds * len(sentence) / total
            cues += cues_for(sentence, t, t + share)
            t += share
        frames.append(frames_for(seconds))
    track = np.zeros(sum(frames) * SAMPLES_PER_FRAME, np.float32)
    for first, clip in zip(np.cumsum((0,) + tuple(frames[:-1])), recordings):
        i = int(first) * SAMPLES_PER_FRAME
        track[i:i + len(clip)] = clip
    return Timeline(tuple(frames), tuple(cues), _level(track))


def _level(track: np.ndarray) -> np.ndarray:
    """The whole track scaled, in place, to a peak of ``PEAK`` (silence stays silence)."""
    peak = float(np.max(np.abs(track))) if track.size else 0.0
    if peak > 0:
        track *= np.float32(PEAK / peak)
    return track

