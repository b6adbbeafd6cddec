"""Numbers as mathdl writes them for people — in the report, the terminal, the explorer and the presentation's
narration: one format per kind of number, here and nowhere else.

    rate          pct(0.98834) = '98.83%'
    interval      interval(0.9883, (0.9848, 0.9892)) = '98.83 [98.48, 98.92]' (percent; ``scale=1`` for MCC)
                  ci(rate) for a rate {"value", "ci95"}, mean_ci(rate) for a mean over seeds {"mean", "ci95"}
    difference    points(0.0012) = '+0.12' (percentage points), effect(e) = '+0.12 [+0.07, +0.16]'
    p-value       p_value(0.0734) = '0.073', p_value(0.0092) = '0.0092', p_value(0.0004) = '< 0.001' (two
                  significant digits), p_text(p) = 'p = 0.073' / 'p < 0.001' in a sentence
    time, count   seconds(12.34) = '12.3 s', count(60000) = '60,000'
"""
from __future__ import annotations

P_FLOOR = 0.001  # p-values below this are written '< 0.001'


def pct(value, digits: int = 2) -> str:
    """0.98834 → '98.83%'; None → 'undefined'."""
    return "undefined" if value is None else f"{100 * value:.{digits}f}%"


def interval(value, bounds, digits: int = 2, scale: float = 100, unit: str = "", signed: bool = False) -> str:
    """'94.00 [92.35, 95.31]' (``unit`` after the value; ``signed``: '+0.12 [+0.07, +0.16]'); the value alone
    without bounds; 'undefined' without a value."""
    if value is None:
        return "undefined"
    form = f"{'+' if signed else ''}.{digits}f"
    shown = f"{scale * value:{form}}{unit}"
    if bounds is None:
        return shown
    low, high = bounds
    return f"{shown} [{scale * low:{form}}, {scale * high:{form}}]"


def ci(rate: dict, digits: int = 2, unit: str = "", scale: float = 100) -> str:
    """A rate {"value", "ci95"} with its interval: '94.00 [92.35, 95.31]', or 'undefined'."""
    return interval(rate["value"], rate["ci95"], digits, scale, unit)


def mean_ci(rate: dict, digits: int = 2) -> str:
    """A mean over seeds {"mean", "ci95"} with its interval (the mean alone for one seed), or 'undefined'."""
    return interval(rate["mean"], rate["ci95"], digits)


def effect(e: dict, digits: int = 2) -> str:
    """An effect {"effect", "ci95"} in signed percentage points with its interval: '+0.12 [+0.07, +0.16]'."""
    return interval(e["effect"], e["ci95"], digits, signed=True)


def points(value: float, digits: int = 2) -> str:
    """A difference of rates in signed percentage points: 0.0005 → '+0.05'."""
    return f"{100 * value:+.{digits}f}"


def p_value(p: float) -> str:
    """A p-value with two significant digits, '< 0.001' below that: '1', '0.073', '0.0092', '< 0.001'."""
    return f"< {P_FLOOR:g}" if p < P_FLOOR else f"{p:.2g}"


def p_text(p: float) -> str:
    """A p-value in a sentence: 'p = 0.073', 'p < 0.001'."""
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def seconds(s: float) -> str:
    """12.34 → '12.3 s', 123.4 → '123 s'."""
    return f"{s:.1f} s" if s < 100 else f"{s:.0f} s"


def count(n: int) -> str:
    """60000 → '60,000'."""
    return f"{n:,}"
