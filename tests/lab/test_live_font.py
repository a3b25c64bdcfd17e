"""The shipped Hangul face: what it holds, what it is called, its license, and the per-page subsets."""

from __future__ import annotations

import base64
import io
import re
import string
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st

import kiwoom_lab
from kiwoom_lab import fonts
from kiwoom_lab.catalog import catalog_dir
from kiwoom_lab.fonts.build_font import (
    SOURCE_COPYRIGHT,
    SOURCE_FONT,
    build_font,
    charset,
    compatibility_jamo,
    ks_x_1001_hangul,
    license_text,
)

RESERVED = re.compile(r"nanum|나눔", re.IGNORECASE)
#: Where build_font's docstring unpacks fonts-nanum; the rebuild test needs it and is skipped without.
NANUM_ROOT = Path("/tmp/nanum/x")
HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")


def shipped() -> TTFont:
    return TTFont(io.BytesIO(fonts.font_bytes()))


def names(font: TTFont, name_id: int) -> set[str]:
    return {record.toUnicode() for record in font["name"].names if record.nameID == name_id}


def test_ks_x_1001_has_its_2350_syllables() -> None:
    syllables = ks_x_1001_hangul()
    assert len(set(syllables)) == len(syllables) == 2350
    assert all(HANGUL_SYLLABLE.fullmatch(ch) for ch in syllables)
    assert set("한국어가격토큰캐시재시도") <= set(syllables)
    assert "똠" not in syllables  # a real syllable outside KS X 1001's set


def test_the_shipped_face_is_small_woff2_with_every_planned_character() -> None:
    data = fonts.font_bytes()
    assert data[:4] == b"wOF2"
    assert len(data) < 400_000
    cmap = shipped().getBestCmap()
    planned = ks_x_1001_hangul() + compatibility_jamo() + "".join(ch for ch in string.printable if ch.isprintable())
    assert [ch for ch in planned if ord(ch) not in cmap] == []
    assert [ch for ch in "→×·—…⋯" if ord(ch) not in cmap] == []


def test_the_face_is_renamed_away_from_the_reserved_font_names() -> None:
    font = shipped()
    assert names(font, 1) == {fonts.FAMILY}
    assert names(font, 6) == {"KiwoomLabHangul-Regular"}
    for name_id in (1, 3, 4, 6, 16, 17, 20, 21):
        assert not any(RESERVED.search(text) for text in names(font, name_id)), name_id
    assert any("NHN Corporation" in text for text in names(font, 0))  # the copyright notice stays
    assert names(font, 13) == {"This Font Software is licensed under the SIL Open Font License, Version 1.1."}


def test_the_license_ships_beside_the_face_with_the_original_copyright_line() -> None:
    text = (Path(fonts.__file__).parent / "OFL.txt").read_text(encoding="utf-8")
    assert "Copyright (c) 2010, NAVER Corporation (http://www.nhncorp.com)," in text
    assert "with Reserved Font Name Nanum, Naver Nanum, NanumGothic," in text
    assert "SIL OPEN FONT LICENSE" in text
    assert "Version 1.1 - 26 February 2007" in text
    assert f"{fonts.FAMILY} ({fonts.FONT_FILE}) is a Modified Version of NanumGothic" in text


def lab_texts() -> str:
    """Everything the lab shows a learner: narratives, the catalog table, its code's strings, the page."""
    package = Path(kiwoom_lab.__file__).parent
    parts = [path.read_text(encoding="utf-8") for path in sorted(catalog_dir().glob("*.y*ml"))]
    parts += [path.read_text(encoding="utf-8") for path in sorted(catalog_dir().glob("*.md"))]
    parts += [path.read_text(encoding="utf-8") for path in sorted(package.rglob("*.py"))]
    parts += [path.read_text(encoding="utf-8") for path in sorted((package / "live" / "static").glob("*"))]
    return "\n".join(parts)


def test_every_hangul_syllable_the_lab_shows_is_in_the_face() -> None:
    """A syllable outside KS X 1001 would render as a box on a machine without a Korean font."""
    used = set(HANGUL_SYLLABLE.findall(lab_texts()))
    assert len(used) > 50  # the catalog is bilingual: this is not an empty check
    missing = sorted(used - fonts.covered("".join(used)))
    assert missing == [], f"rephrase, or add them to build_font.charset(): {''.join(missing)}"


def embedded(css: str) -> TTFont:
    match = re.search(r'url\("data:font/woff2;base64,([A-Za-z0-9+/=]+)"\) format\("woff2"\)', css)
    assert match is not None, css[:200]
    return TTFont(io.BytesIO(base64.b64decode(match.group(1))))


def test_font_face_css_embeds_just_the_characters_of_the_page() -> None:
    css = fonts.font_face_css("한국어 ✔ PASS → 재시도")
    assert css.startswith("@font-face {")
    assert f'font-family: "{fonts.FAMILY}"' in css
    font = embedded(css)
    assert set(font.getBestCmap()) == {ord(ch) for ch in "한국어 PASS → 재시도"}  # ✔ is left to the fallbacks
    assert names(font, 1) == {fonts.FAMILY}
    assert any("NHN Corporation" in text for text in names(font, 0))
    assert len(css) < 10_000


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.sampled_from(ks_x_1001_hangul() + "abcXYZ019 →·✘똠"), max_size=30))
def test_the_embedded_subset_covers_what_the_face_covers(text: str) -> None:
    font = embedded(fonts.font_face_css(text))
    assert {chr(code) for code in font.getBestCmap()} == fonts.covered(text) | {" "}


@pytest.mark.skipif(not (NANUM_ROOT / SOURCE_FONT).is_file(), reason="fonts-nanum is not unpacked at /tmp/nanum/x")
def test_build_font_rebuilds_the_shipped_face_from_the_debian_package() -> None:
    rebuilt = TTFont(io.BytesIO(build_font(NANUM_ROOT / SOURCE_FONT)))
    assert set(rebuilt.getBestCmap()) == set(shipped().getBestCmap())
    assert {ord(ch) for ch in charset()} >= set(rebuilt.getBestCmap())
    for name_id in (0, 1, 4, 6, 13):
        assert names(rebuilt, name_id) == names(shipped(), name_id)
    ofl = (Path(fonts.__file__).parent / "OFL.txt").read_text(encoding="utf-8")
    assert license_text(NANUM_ROOT / SOURCE_COPYRIGHT) == ofl
