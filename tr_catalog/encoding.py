"""How Kiwoom writes values on the wire, both ways: the fake encodes with it, the client decodes.

Every value is a string. The encodings (the names a spec's response fields use):

========== ======================== =========================================================
name       wire                     meaning
========== ======================== =========================================================
text       any                      names, labels
code       ``005930``, ``A005930``  a stock code (accounts prefix ``A``; venues add ``_NX``/``_AL``)
int        ``1234``                 a count or amount, unsigned
signed     ``+1200``, ``-300``      a signed amount (``0`` unsigned)
price      ``+72600``, ``-72600``   a price whose sign is its direction against the previous
                                    close (none when unchanged): the magnitude is the price
rate       ``+1.23``, ``0.00``      a percentage, signed, two decimals
rate100    ``+698``                 a percentage with two implied decimals (6.98 %), signed
level      ``+2512.35``             an index level whose sign is its direction against the
                                    previous close (none when unchanged): the magnitude is the level
decimal    ``6.52``                 a ratio or multiple (PER, PBR), unsigned unless negative
date       ``20261130``             YYYYMMDD
time       ``153000``               HHMMSS
datetime   ``20261130153000``       YYYYMMDDHHMMSS
paddedN    ``000000010000000``      an amount zero-padded to N characters (sign included)
flag       ``Y`` / ``N``            a yes/no
========== ======================== =========================================================

Any field may be blank (``""``): Kiwoom leaves fields it has nothing for empty. A generator
may also hand over a value already written as Kiwoom writes it (a ``str``): it is sent as is,
and the fidelity tests check that it matches its encoding.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

_NUMBER = re.compile(r"^[+-]*\d+$")
_DECIMAL = re.compile(r"^[+-]*\d+(\.\d+)?$")

PATTERNS: dict[str, re.Pattern[str]] = {
    "text": re.compile(r"^.*$", re.DOTALL),
    "code": re.compile(r"^[A-Z]?[0-9A-Z]{6}(_NX|_AL)?$"),
    "int": re.compile(r"^\d+$"),
    "signed": re.compile(r"^[+-]?\d+$"),
    "price": re.compile(r"^[+-]?\d+$"),
    "rate": re.compile(r"^[+-]?\d+\.\d{1,4}$"),
    "rate100": re.compile(r"^[+-]?\d+$"),
    "level": re.compile(r"^[+-]?\d+(\.\d+)?$"),
    "decimal": re.compile(r"^[+-]?\d+(\.\d+)?$"),
    "date": re.compile(r"^\d{8}$"),
    "time": re.compile(r"^\d{6}$"),
    "datetime": re.compile(r"^\d{14}$"),
    "flag": re.compile(r"^[YN]$"),
}
ENCODINGS: frozenset[str] = frozenset({*PATTERNS, "padded"})


def split(encoding: str) -> tuple[str, int]:
    """``("padded", 15)`` for ``padded15``; ``(name, 0)`` for the others. Raises ValueError when unknown."""
    if encoding.startswith("padded") and encoding[6:].isdigit():
        return "padded", int(encoding[6:])
    if encoding not in PATTERNS:
        raise ValueError(f"unknown encoding {encoding!r}; one of {', '.join(sorted(ENCODINGS))} (paddedN)")
    return encoding, 0


def matches(value: str, encoding: str) -> bool:
    """Whether ``value`` is a well-formed wire value of ``encoding`` (blank always is)."""
    if value == "":
        return True
    name, width = split(encoding)
    if name == "padded":
        return bool(_NUMBER.match(value)) and len(value) == width
    return bool(PATTERNS[name].match(value))


def encode(value: Any, encoding: str) -> str:
    """The wire string of ``value``; None is blank. A ``price`` may be ``(price, previous_close)``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    name, width = split(encoding)
    if name in {"text", "code"}:
        return str(value)
    if name == "level":
        level, base = value if isinstance(value, tuple) else (value, value)
        sign = "+" if level > base else "-" if level < base else ""
        return f"{sign}{float(level):.2f}"
    if name == "rate100":
        hundredths = round(float(value) * 100)
        return f"{hundredths:+d}" if hundredths else "0"
    if name == "price":
        if isinstance(value, tuple):
            price, base = value
            return f"+{price}" if price > base else f"-{price}" if price < base else str(price)
        return str(int(value))
    if name == "int":
        return str(abs(int(value)))
    if name == "signed":
        return f"{int(value):+d}" if value else "0"
    if name == "rate":
        return f"{float(value):+.2f}" if round(float(value), 2) else "0.00"
    if name == "decimal":
        return f"{float(value):.2f}"
    if name == "padded":
        number = int(value)
        sign = "-" if number < 0 else ""
        return sign + str(abs(number)).zfill(width - len(sign))
    if name == "flag":
        return "Y" if value else "N"
    return _encode_moment(value, name)


def _encode_moment(value: Any, name: str) -> str:
    formats = {"date": "%Y%m%d", "time": "%H%M%S", "datetime": "%Y%m%d%H%M%S"}
    if isinstance(value, date | time | datetime):
        return value.strftime(formats[name])
    return str(value)


def decode(raw: Any, encoding: str) -> Any:
    """The value of a wire string, forgiving as the live server needs: None when blank or unreadable.

    Prices lose their direction sign (the magnitude is the price); signed amounts keep it;
    doubled signs and thousands separators are tolerated.
    """
    text = str(raw).strip().replace(",", "") if raw is not None else ""
    if not text:
        return None
    name, _ = split(encoding)
    if name in {"text", "code"}:
        return text
    if name == "flag":
        return text == "Y"
    if name in {"int", "signed", "price", "padded"}:
        if not _NUMBER.match(text):
            return None
        number = int(text.lstrip("+-"))
        return number if name == "price" or not text.startswith("-") else -number
    if name in {"rate", "decimal", "level", "rate100"}:
        if not _DECIMAL.match(text):
            return None
        magnitude = float(text.lstrip("+-"))
        if name == "level":
            return magnitude
        if name == "rate100":
            magnitude /= 100
        return -magnitude if text.startswith("-") else magnitude
    return _decode_moment(text, name)


def _decode_moment(text: str, name: str) -> str | None:
    formats = {"date": ("%Y%m%d", "%Y-%m-%d"), "time": ("%H%M%S", "%H:%M:%S"), "datetime": ("%Y%m%d%H%M%S", None)}
    wire, shown = formats[name]
    try:
        moment = datetime.strptime(text, wire)
    except ValueError:
        return None
    return moment.isoformat() if shown is None else moment.strftime(shown)
