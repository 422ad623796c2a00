"""The picture of the Summary in the README is the Summary the library builds today."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("summary_png", ROOT / "tools" / "summary_png.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_shows_the_summary_of_todays_sample():
    tool = _tool()
    png = tool.PNG.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > height > 600  # a landscape page at a readable resolution
    assert "docs/summary.png" in (ROOT / "README.md").read_text(encoding="utf-8")
    stamp = tool.STAMP.read_text(encoding="utf-8").strip()
    assert tool.summary_digest(tool.sample_bytes()) == stamp, (
        "the Summary changed since docs/summary.png was made: run `uv run python tools/summary_png.py` "
        "and commit docs/summary.png and docs/summary.png.sha256")
