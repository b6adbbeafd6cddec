"""The presentation: a narrated MP4 video made from a study directory, the assignment's fourth deliverable.

``build_presentation(study_dir)`` writes into the study directory, without retraining anything:

- ``presentation.mp4``: 1920×1080 H.264 (yuv420p, faststart) with AAC sound and a soft subtitle track;
- ``presentation.srt`` and ``presentation.vtt``: the subtitles;
- ``presentation.md``: the script, slide by slide, with each slide's start and end time;
- ``slides/NN.png``: the slides.

The slides (``script``, ``slides``) show the study's own figures and numbers, typeset by Typst; the
narration is written from the same numbers and spoken by an offline voice (``voice``), or taken from the
student's recordings (``voice_dir``: 01.wav, 02.wav, … one per slide). Everything is checked before the
slow work starts and made in memory; the files are written at the end, the video last and atomically, so
an interrupted run leaves the earlier presentation as it was.
"""
from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..base.errors import MathdlError
from ..base.files import atomic_path, check_directory, write_bytes, write_text
from ..report import remember_title_page, title_page
from ..report.content import load_study
from .figures import draw
from .script import markdown, slides
from .slides import HEIGHT, WIDTH, Slide, document, render
from .subtitles import srt, vtt
from .timeline import Timeline, narrate, recorded
from .video import encode
from .voice import recordings, voice as find_voice

VIDEO = "presentation.mp4"
SLIDES = "slides"


@dataclass(frozen=True)
class Presentation:
    """A presentation made in memory: the slides, their rendered pages (PNG) and the timeline (frames per
    slide, subtitle cues, the sound)."""

    study: dict
    title: str
    author: str
    deck: list[Slide]
    pages: list[bytes]
    timeline: Timeline

    @property
    def dir(self) -> Path:
        return self.study["dir"]

    @property
    def images(self):
        """The pages as RGB arrays, decoded one at a time (the video's pictures)."""
        return (_rgb(page) for page in self.pages)

    def write(self, *, progress: bool = True) -> dict[str, Path]:
        """Encode the video and write the slides, subtitles and script beside it; the video is renamed into
        place last, so that an earlier presentation stays as it was until the new one is complete."""
        from ..base.console import progress_bar

        out = self.dir
        paths = {"video": out / VIDEO, "srt": out / "presentation.srt", "vtt": out / "presentation.vtt",
                 "script": out / "presentation.md", "slides": out / SLIDES}
        with atomic_path(paths["video"]) as tmp:
            with progress_bar("video", sum(self.timeline.frames), enabled=progress) as bar:
                encode(tmp, self.images, self.timeline, title=self.title, bar=bar)
            paths["slides"].mkdir(exist_ok=True)
            for i, page in enumerate(self.pages, 1):
                write_bytes(paths["slides"] / f"{i:02d}.png", page)
            for stale in paths["slides"].glob("[0-9][0-9].png"):
                if int(stale.stem) > len(self.pages):
                    stale.unlink()
            write_text(paths["srt"], srt(self.timeline.cues))
            write_text(paths["vtt"], vtt(self.timeline.cues))
            write_text(paths["script"], markdown(self.deck, self.timeline.starts, self.timeline.ends,
                                                 title=self.title))
        remember_title_page(self.study, self.title, self.author)
        return paths


def prepare(study_dir, *, title: str | None = None, author: str | None = None, date: str | None = None,
            voice: str = "hibari", voice_dir=None, preview: bool | None = None,
            progress: bool = True) -> Presentation:
    """The presentation of the finished study in ``study_dir``, made in memory (nothing written there yet).
    ``title`` and ``author`` default to the report's (remembered in study.json); ``preview`` (default: when
    the study is quick or reduced) makes the short version."""
    from ..base.console import progress_bar

    study = load_study(Path(study_dir))
    out = study["dir"]
    check_directory(out / SLIDES)
    title, author = title_page(study, title, author)
    speaker = None if voice_dir is not None else find_voice(voice)
    work = Path(tempfile.mkdtemp(prefix=".presentation.", dir=out))
    try:
        figures = draw(study, work, out, plan_only=True)
        deck = slides(study, figures, title=title, author=author, date=date, preview=preview)
        voices = recordings(voice_dir, len(deck)) if voice_dir is not None else None
        draw(study, work, out)
        footer = f"{title} · ID {study['summary']['student_id']}"
        pages = render(document(deck, title=title, footer=footer), out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if len(pages) != len(deck):
        raise MathdlError(f"the slides came out as {len(pages)} pages for {len(deck)} slides: a slide overflows")
    sizes = {_size(page) for page in pages}
    if sizes != {(WIDTH, HEIGHT)}:
        raise MathdlError(f"the slides came out {', '.join(f'{w}×{h}' for w, h in sizes)}, not {WIDTH}×{HEIGHT}")
    if voices is None:
        with progress_bar("narration", len(deck), enabled=progress) as bar:
            timeline = narrate(deck, speaker, bar=bar)
    else:
        timeline = recorded(deck, voices)
    return Presentation(study, title, author, deck, pages, timeline)


def build_presentation(study_dir, *, progress: bool = True, **options) -> dict[str, Path]:
    """``prepare`` the presentation of ``study_dir`` and write it there; returns the written files by kind."""
    return prepare(study_dir, progress=progress, **options).write(progress=progress)


def _rgb(png: bytes) -> np.ndarray:
    """A rendered page as an RGB array on white (Typst's pages may carry an alpha channel)."""
    from PIL import Image
    with Image.open(io.BytesIO(png)) as image:
        page = Image.new("RGB", image.size, "white")
        page.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    return np.asarray(page)


def _size(png: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    from PIL import Image
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def summary(paths: dict[str, Path]) -> dict:
    """Length, slides and size of a written presentation (for the terminal and the benchmark)."""
    import av
    with av.open(str(paths["video"])) as container:
        seconds = float(container.duration) / 1e6 if container.duration else 0.0
    slides = len(list(paths["slides"].glob("[0-9][0-9].png")))
    return {"seconds": seconds, "slides": slides, "bytes": paths["video"].stat().st_size}


__all__ = ["Presentation", "build_presentation", "prepare", "summary", "VIDEO", "SLIDES"]
