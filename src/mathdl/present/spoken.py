"""Written narration → spoken English, for the voice.

The script is written once, with numbers as a reader sees them ("99.02%", "p = 0.073", "60,000",
"ID 100384"); the subtitles show that text and the voice is given ``spoken(text)``, where every number
is in words as a person says it: "ninety-nine point zero two percent", "p equals zero point zero seven
three", "sixty thousand", "I D one zero zero three eight four". The digits after a decimal point are
said one by one, as written, so what is heard is exactly what is shown.
"""
from __future__ import annotations

import re
import unicodedata

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
POWERS = ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"))
SYMBOLS = {"η": "eta", "δ": "delta", "σ": "sigma", "λ": "lambda", "≥": "at least", "≤": "at most",
           "±": "plus or minus", "→": "to", "×": "by", "Wᵀ": "W transpose", "W⁺": "W plus",
           " − ": "minus", "e.g.": "for example", "i.e.": "that is", "vs": "versus", "&": "and",
           "MNIST": "em-nist", "backquery": "back-query"}

# a number as the script writes it: an optional sign, digits with thousands commas, decimals, a percent sign
NUMBER = re.compile(r"(?<![\w.])(?P<sign>[+−-])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?(?P<pct>%)?"
                    r"(?![\w])")
ID_DIGITS = re.compile(r"\bID (\d+)\b")
P_VALUE = re.compile(r"\bp ?(=|<|>) ?")
POWER = re.compile(r"×10(⁻?)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")  # 9.7×10⁻⁸
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
RANGE = re.compile(r"(?<=\d)(%?)–(?=[+−-]?\d)")


def integer_words(n: int) -> str:
    """0 → 'zero', 235801 → 'two hundred thirty-five thousand eight hundred one' (American, no 'and')."""
    if n < 0:
        return "minus " + integer_words(-n)
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS[tens] + (f"-{ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{ONES[hundreds]} hundred" + (f" {integer_words(rest)}" if rest else "")
    for power, name in POWERS:
        if n >= power:
            high, rest = divmod(n, power)
            return f"{integer_words(high)} {name}" + (f" {integer_words(rest)}" if rest else "")
    raise ValueError(n)  # unreachable: POWERS ends at 1000


def number_words(match: re.Match) -> str:
    """One written number (a ``NUMBER`` match) in words: '−0.24' → 'minus zero point two four'."""
    sign = {"+": "plus ", "−": "minus ", "-": "minus "}.get(match["sign"] or "", "")
    words = sign + integer_words(int(match["int"].replace(",", "")))
    if match["frac"]:
        words += " point " + " ".join(ONES[int(d)] for d in match["frac"])
    return words + (" percent" if match["pct"] else "")


def spoken(text: str) -> str:
    """The words the voice says for a written sentence of the script."""
    text = ID_DIGITS.sub(lambda m: "I D " + " ".join(ONES[int(d)] for d in m[1]), text)
    text = P_VALUE.sub(lambda m: {"=": "p equals ", "<": "p less than ", ">": "p greater than "}[m[1]], text)
    text = POWER.sub(lambda m: f" times ten to the {'minus ' if m[1] else ''}{m[2].translate(SUPERSCRIPT)}", text)
    text = RANGE.sub(lambda m: " percent to " if m[1] else " to ", text)
    text = NUMBER.sub(number_words, text)
    text = "".join(f" {ONES[unicodedata.digit(c)]} " if c.isdigit() else c for c in text)  # ² and the like
    for symbol, words in SYMBOLS.items():
        bounded = rf"(?<!\w){re.escape(symbol)}(?!\w)" if symbol[0].isalnum() else re.escape(symbol)
        text = re.sub(bounded, f" {words} ", text)
    return re.sub(r"\s+", " ", text).strip()
