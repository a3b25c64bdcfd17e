"""The lab's Hangul face, shipped with the package so a page renders Korean on a machine without a Korean font.

A browser draws text it has no glyph for as boxes ("tofu"). Many machines a learner opens the
lab's pages on (a fresh Linux desktop, a container, CI) have no Korean font at all, so the pages
bring their own: ``kiwoom-lab-hangul.woff2``, a subset of NanumGothic (SIL Open Font License 1.1,
``OFL.txt`` beside it) holding the 2,350 Hangul syllables of KS X 1001, the Hangul compatibility
jamo, ASCII and the symbols the lab prints. A subset is a Modified Version under the OFL, so its
family is renamed to :data:`FAMILY`; ``build_font.py`` rebuilds the file from the Debian package.

Two ways to use it:

* ``kiwoom-lab serve`` links the file with :func:`font_face_rule` (one download, cached);
* a self-contained page (``kiwoom-lab run --html``) embeds :func:`font_face_css` of its own
  text: a data: URL holding just the glyphs that page uses, a few kilobytes.

Either way, the CSS ``font-family`` is :data:`FONT_STACK`: this face first, then system fonts for
what it lacks (✔ and ✘ are not in NanumGothic; a system symbol font draws them).
"""

from __future__ import annotations

import base64
import functools
import io
from importlib.resources import files

#: The family name inside the font's name table and in CSS (not a Reserved Font Name of the OFL).
FAMILY = "Kiwoom Lab Hangul"
#: The shipped file, inside this package.
FONT_FILE = "kiwoom-lab-hangul.woff2"
#: CSS ``font-family``: the embedded face first, then system faces for the rest.
FONT_STACK = f'"{FAMILY}", system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif'
#: Arrows, marks and punctuation the lab's pages print beside Korean text (kept when present in the source).
LAB_SYMBOLS = "→←↑↓✔✘⋯×·—–…≥≤±°‘’“”•▲▼●○"


def font_bytes() -> bytes:
    """The shipped woff2 file."""
    return (files(__package__) / FONT_FILE).read_bytes()


def font_face_rule(url: str) -> str:
    """An ``@font-face`` rule for :data:`FAMILY` whose source is the shipped file served at ``url``."""
    return (
        f'@font-face {{ font-family: "{FAMILY}"; src: url("{url}") format("woff2"); '
        "font-weight: 400; font-style: normal; font-display: block; }"
    )


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule with the face embedded as a data: URL, subset to the characters of ``text``.

    For pages that must stand alone (no server to fetch a font from). Characters the face does
    not have are left to the system fallbacks of :data:`FONT_STACK`; when ``text`` has none the
    face has, the rule still names the family (with an empty glyph set) so the stack stays valid.
    """
    return _embedded_rule(frozenset(text) | {" "})  # a space keeps the cmap non-empty for a text without glyphs


@functools.lru_cache(maxsize=32)
def _embedded_rule(characters: frozenset[str]) -> str:
    data = subset_woff2(_sfnt(), "".join(sorted(characters)))
    url = "data:font/woff2;base64," + base64.b64encode(data).decode("ascii")
    return font_face_rule(url)


@functools.cache
def _sfnt() -> bytes:
    """The shipped face decompressed once (a woff2 takes ~0.6 s to decode; a subset of the sfnt, ~20 ms)."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(font_bytes()), recalcTimestamp=False)
    font.flavor = None
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def subset_woff2(font: bytes, text: str, *, keep_names: bool = True) -> bytes:
    """``font`` (any format fontTools reads) cut down to the glyphs of ``text``, as woff2.

    Hinting is dropped (browsers render Hangul well without it and it is a third of the size);
    ``keep_names`` keeps every name record, so a subset of the shipped face keeps its name and
    copyright notice as the OFL requires.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.desubroutinize = True
    options.ignore_missing_unicodes = True
    options.recalc_timestamp = False  # the same input gives the same bytes
    options.drop_tables += ["DSIG", "TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    if keep_names:
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.name_legacy = True
    source = TTFont(io.BytesIO(font), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(source)
    out = io.BytesIO()
    source.flavor = "woff2"
    source.save(out)
    return out.getvalue()


def covered(text: str) -> set[str]:
    """The characters of ``text`` that the shipped face has a glyph for."""
    return {ch for ch in text if ord(ch) in _code_points()}


@functools.cache
def _code_points() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(io.BytesIO(_sfnt())).getBestCmap())


__all__ = ["FAMILY", "FONT_STACK", "LAB_SYMBOLS", "covered", "font_bytes", "font_face_css", "font_face_rule"]
