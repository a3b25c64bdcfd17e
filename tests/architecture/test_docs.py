"""The README's configuration table is the settings' documentation: every setting must be in it."""

from __future__ import annotations

from pathlib import Path

from kiwoom.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [f"KIWOOM_{name.upper()}" for name in Settings.model_fields if f"KIWOOM_{name.upper()}" not in text]
    assert missing == []
