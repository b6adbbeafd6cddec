"""Numbers as the report prints them: one format per kind of number, everywhere."""
from __future__ import annotations

from pathlib import PurePath


def pct(value, digits: int = 2) -> str:
    """0.98834 → '98.83%'; None → 'undefined'."""
    return "undefined" if value is None else f"{100 * value:.{digits}f}%"


def ci(rate: dict, digits: int = 2, unit: str = "", scale: float = 100) -> str:
    """'94.00 [92.35, 95.31]' (with ``unit`` after the value), or 'undefined'; ``scale`` 1 for MCC."""
    if rate["value"] is None:
        return "undefined"
    low, high = rate["ci95"]
    return f"{scale * rate['value']:.{digits}f}{unit} [{scale * low:.{digits}f}, {scale * high:.{digits}f}]"


def p_value(p: float) -> str:
    """A p-value with three decimals, '< 0.001' below that: '1.000', '0.064', '< 0.001'."""
    return "< 0.001" if p < 0.0005 else f"{p:.3f}"


def p_text(p: float) -> str:
    """A p-value in a sentence: 'p = 0.064', 'p < 0.001'."""
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def seconds(s: float) -> str:
    """12.34 → '12.3 s', 123.4 → '123 s'."""
    return f"{s:.1f} s" if s < 100 else f"{s:.0f} s"


def count(n: int) -> str:
    """60000 → '60,000'."""
    return f"{n:,}"


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
        if path.startswith(("/", "~")) or (len(path) > 2 and path[1] == ":" and path[2] in "\\/"):
            name = PurePath(path).name or path
            path = f"…/{name}"
            word = f"{key}={path}" if eq else path
        words.append(word)
    return " ".join(words)
