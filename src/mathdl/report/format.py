"""Text as the report writes it: lists of words and the command line. Numbers have one format per kind, in
``mathdl.base.numbers`` (the report, the terminal and the presentation import them from there)."""
from __future__ import annotations

from pathlib import PurePath, PureWindowsPath


def join(words: list[str], last: str = "and") -> str:
    """['a', 'b', 'c'] → 'a, b and c'."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def shown_command(command: str | None) -> str:
    """The command line with every absolute path shortened to …/its last part, so that the report names no
    directory of the machine it ran on (the whole command is in study.json)."""
    if not command:
        return "mathdl study"
    words = []
    for word in command.split():
        key, eq, value = word.partition("=")
        path = value if eq else word
        drive = len(path) > 2 and path[1] == ":" and path[2] in "\\/"  # C:\... from Windows
        if path.startswith(("/", "~")) or drive:  # PurePath splits a Windows path's backslashes only on Windows
            name = (PureWindowsPath(path) if drive else PurePath(path)).name or path
            path = f"…/{name}"
            word = f"{key}={path}" if eq else path
        words.append(word)
    return " ".join(words)
