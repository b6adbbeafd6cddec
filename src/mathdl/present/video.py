"""The MP4: H.264 video of the slides, AAC sound, a soft subtitle track (mov_text), in-process with PyAV.

Each slide is converted to Y'CbCr 4:2:0 (BT.709, limited range, as players assume for HD) once and
encoded as ``frames`` copies at ``FPS``, the first a key frame, so that a player can seek to any slide.
The sound is cut into AAC frames; the subtitles are written as timed-text samples (a 2-byte big-endian
length, then the UTF-8 text), one per cue, with empty samples filling the gaps and the end, so that the
subtitle track lasts as long as the picture. ``faststart`` puts the index at the front of the file, for
playing while it downloads.
"""
from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np

from .timeline import FPS, Timeline
from .voice import SAMPLE_RATE

CRF = 18  # x264's constant quality: text stays sharp
AUDIO_BITRATE = 128_000
AAC_FRAME = 1024  # samples per AAC frame
MILLISECONDS = Fraction(1, 1000)


def encode(path, pages, timeline: Timeline, *, title: str = "", bar=None) -> None:
    """Write the video of ``pages`` (RGB arrays, H × W × 3, one per slide, any iterable) on ``timeline`` to
    ``path``."""
    import av

    pages = iter(pages)
    first = next(pages)
    height, width = first.shape[:2]
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        if title:
            out.metadata["title"] = title
        video = out.add_stream("libx264", rate=FPS, options={"crf": str(CRF), "preset": "veryfast",
                                                             "tune": "stillimage"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        context = video.codec_context
        context.color_range, context.colorspace = 1, 1  # MPEG (limited) range, BT.709
        context.color_primaries, context.color_trc = 1, 1
        audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        audio.bit_rate = AUDIO_BITRATE
        text = out.add_mux_stream("mov_text")
        text.metadata["language"] = "eng"
        _video(out, video, itertools.chain([first], pages), timeline.frames, bar)
        _audio(out, audio, timeline.audio)
        _subtitles(out, text, timeline)


def _video(out, stream, pages, frames, bar) -> None:
    import av

    pts = 0
    for page, n in zip(pages, frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(page[..., :3]), format="rgb24")
        frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
        for i in range(n):
            frame.pts = pts
            frame.pict_type = av.video.frame.PictureType.I if i == 0 else av.video.frame.PictureType.NONE
            for packet in stream.encode(frame):
                out.mux(packet)
            pts += 1
        if bar is not None:
            bar.advance(n)
    for packet in stream.encode():
        out.mux(packet)


def _audio(out, stream, sound: np.ndarray) -> None:
    import av

    for start in range(0, len(sound), AAC_FRAME):
        chunk = np.ascontiguousarray(sound[None, start:start + AAC_FRAME], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        frame.sample_rate, frame.pts = SAMPLE_RATE, start
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def _subtitles(out, stream, timeline: Timeline) -> None:
    """The cues as timed-text samples, the gaps between them (and up to the end) as empty ones."""
    t = 0
    end = round(timeline.duration * 1000)
    for cue in timeline.cues:
        start, stop = round(cue.start * 1000), round(cue.end * 1000)
        if start > t:
            _sample(out, stream, "", t, start)
        _sample(out, stream, cue.text, start, stop)
        t = stop
    if end > t:
        _sample(out, stream, "", t, end)


def _sample(out, stream, text: str, start: int, stop: int) -> None:
    import av

    data = text.encode("utf-8")
    packet = av.Packet(len(data).to_bytes(2, "big") + data)
    packet.stream, packet.time_base = stream, MILLISECONDS
    packet.pts = packet.dts = start
    packet.duration = stop - start
    out.mux(packet)


def read_cues(path) -> list[tuple[float, float, str]]:
    """The subtitle track of an MP4 as (start, end, text) in seconds, empty samples left out."""
    import av

    cues = []
    with av.open(str(Path(path))) as container:
        stream = container.streams.subtitles[0]
        for packet in container.demux(stream):
            if packet.pts is None or packet.size < 2:
                continue
            body = bytes(packet)
            n = int.from_bytes(body[:2], "big")
            if n:
                tb = packet.time_base
                cues.append((float(packet.pts * tb), float((packet.pts + packet.duration) * tb),
                             body[2:2 + n].decode("utf-8")))
    return cues
