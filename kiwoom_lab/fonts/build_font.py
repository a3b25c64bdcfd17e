"""Rebuild ``kiwoom-lab-hangul.woff2`` and ``OFL.txt`` from Debian's fonts-nanum package.

The source is unpacked, not installed, so the machine keeps having no Korean system font (the
browser test relies on that to prove the page brings its own)::

    apt-get download fonts-nanum
    dpkg-deb -x fonts-nanum_*.deb /tmp/nanum/x
    python -m kiwoom_lab.fonts.build_font --root /tmp/nanum/x

(``--root /`` reads an installed fonts-nanum.) What goes in, and why:

* the 2,350 Hangul syllables of KS X 1001 (every syllable EUC-KR can encode: the set Korean
  text is written with in practice, a tenth of the 11,172 Unicode has), the Hangul
  compatibility jamo (ㄱ, ㅏ: used alone in UI text), ASCII, and the lab's symbols
  (:data:`kiwoom_lab.fonts.LAB_SYMBOLS`);
* no hinting: browsers render without it and the file is much smaller.

The OFL forbids a Modified Version (a subset is one) from using the Reserved Font Names as its
primary name, so the family becomes :data:`kiwoom_lab.fonts.FAMILY` and the Korean-language
name records, which repeat the original name, are dropped. The copyright notice stays in the
font, and ``OFL.txt`` carries it with the license, taken from the package's copyright file.
"""

from __future__ import annotations

import argparse
import io
import string
from pathlib import Path

from fontTools.ttLib import TTFont

from kiwoom_lab.fonts import FAMILY, FONT_FILE, LAB_SYMBOLS, subset_woff2

SOURCE_FONT = "usr/share/fonts/truetype/nanum/NanumGothic.ttf"
SOURCE_COPYRIGHT = "usr/share/doc/fonts-nanum/copyright"
HERE = Path(__file__).resolve().parent
POSTSCRIPT_NAME = FAMILY.replace(" ", "") + "-Regular"
#: Name records rewritten or dropped: family, subfamily, unique id, full name, PostScript name,
#: trademark, typographic family/subfamily, PostScript CID name.
RENAMED_IDS = (1, 2, 3, 4, 6, 7, 16, 17, 20)
PREFACE = f"""\
{FAMILY} ({FONT_FILE}) is a Modified Version of NanumGothic: a subset of its glyphs
(KS X 1001 Hangul syllables, Hangul compatibility jamo, ASCII and a few symbols), without
hinting, renamed as the license below requires. It is built by build_font.py in this folder.

"""


def ks_x_1001_hangul() -> str:
    """The 2,350 precomposed syllables of KS X 1001: rows 0xB0-0xC8 of EUC-KR, 94 cells each."""
    return "".join(bytes([row, cell]).decode("euc_kr") for row in range(0xB0, 0xC9) for cell in range(0xA1, 0xFF))


def compatibility_jamo() -> str:
    """U+3131 ㄱ to U+318E ㆎ."""
    return "".join(chr(code) for code in range(0x3131, 0x318F))


def charset() -> str:
    """Every character the shipped face is meant to have (those the source lacks are skipped)."""
    ascii_printable = "".join(ch for ch in string.printable if ch.isprintable())
    return ascii_printable + ks_x_1001_hangul() + compatibility_jamo() + LAB_SYMBOLS


def rename(font: TTFont, version: str) -> None:
    """Give the subset its own family name, keeping the copyright, designer and vendor records."""
    names = font["name"]
    for name_id in RENAMED_IDS:
        names.removeNames(nameID=name_id)
    names.names = [record for record in names.names if record.langID in (0, 0x409)]  # Korean records: old name
    records = {
        1: FAMILY,
        2: "Regular",
        3: f"{version};{POSTSCRIPT_NAME}",
        4: FAMILY,
        6: POSTSCRIPT_NAME,
        10: "A subset of NanumGothic for the kiwoom-lab pages (Hangul of KS X 1001, jamo, ASCII).",
        13: "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        14: "https://openfontlicense.org",
    }
    for name_id, text in records.items():
        names.setName(text, name_id, 3, 1, 0x409)
        names.setName(text, name_id, 1, 0, 0)
    font["post"].formatType = 3.0  # no glyph names: they would only add bytes
    font["OS/2"].achVendID = "NONE"


def build_font(source: Path) -> bytes:
    """The shipped woff2 from NanumGothic.ttf at ``source``: subset, then renamed."""
    data = subset_woff2(source.read_bytes(), charset())
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    version = str(font["name"].getDebugName(5) or "").split(";")[0].removeprefix("Version ")
    rename(font, version)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def license_text(copyright_file: Path) -> str:
    """The OFL paragraph of a Debian copyright file (copyright line, Reserved Font Names, license)."""
    lines = copyright_file.read_text(encoding="utf-8").splitlines()
    start = lines.index("License: OFL-1.1") + 1
    body: list[str] = []
    for line in lines[start:]:
        if not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:].rstrip())
    return PREFACE + "\n".join(body).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the lab's Hangul font subset from fonts-nanum.")
    parser.add_argument("--root", type=Path, default=Path("/tmp/nanum/x"), help="where fonts-nanum is unpacked")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this package)")
    args = parser.parse_args(argv)
    data = build_font(args.root / SOURCE_FONT)
    (args.out / FONT_FILE).write_bytes(data)
    (args.out / "OFL.txt").write_text(license_text(args.root / SOURCE_COPYRIGHT), encoding="utf-8")
    print(f"{args.out / FONT_FILE}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
