"""mathdl present: the narrated video presentation of a study (MP4 with sound), made from its saved results."""
from __future__ import annotations

import argparse


def register(sub) -> None:
    from ..present.voice import VOICES
    from .study import add_title_options
    p = sub.add_parser("present", help="make the narrated video presentation (presentation.mp4) of a study",
                       description="Make the presentation of a finished study without retraining: slides with the "
                       "study's own figures and typeset equations (slides/NN.png), a narration written from its "
                       "numbers and spoken by an offline voice, subtitles (a soft track in the video, "
                       "presentation.srt and presentation.vtt), the script with each slide's times "
                       "(presentation.md), and presentation.mp4 (1920x1080 H.264 with AAC sound). A quick or "
                       "reduced study gives a short preview. To narrate it yourself, record one WAV file per "
                       "slide as presentation.md lists them and give their folder with --voice-dir.")
    p.add_argument("study_dir", metavar="STUDY_DIR", help="a directory written by mathdl study")
    p.add_argument("--voice-dir", metavar="DIR", help="your own recordings 01.wav, 02.wav, … (one per slide, any "
                   "sample rate) instead of the synthetic voice; each slide lasts as long as its recording")
    p.add_argument("--voice", choices=list(VOICES), default="hibari",
                   help="the offline voice (default: %(default)s, installed with mathdl)")
    p.add_argument("--preview", action=argparse.BooleanOptionalAction, default=None,
                   help="the short version: six slides, a sentence each (default: for a quick or reduced study)")
    add_title_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..base.console import out
    from ..present import build_presentation
    paths = build_presentation(args.study_dir, title=args.title, author=args.author, voice=args.voice,
                               voice_dir=args.voice_dir, preview=args.preview, progress=not args.quiet)
    show(paths, out)
    return 0


def show(paths: dict, out) -> None:
    """One line about the video written, and where its companions are."""
    from ..present import summary
    facts = summary(paths)
    minutes, seconds = divmod(round(facts["seconds"]), 60)
    out.print(f"presentation: {paths['video']} ({minutes}:{seconds:02d}, {facts['slides']} slides, "
              f"{facts['bytes'] / 1e6:.1f} MB)\n              {paths['script']}, {paths['srt'].name}, "
              f"{paths['vtt'].name}, {paths['slides']}/")
