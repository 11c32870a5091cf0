"""The README shows what agentkit looks like (issue 16: it had no picture of anything), and every
picture it links is in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_pictures_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", readme)
    assert {"docs/images/voice-page.png", "docs/images/waterfall.svg"} <= set(pictures)
    for picture in pictures:
        assert (ROOT / picture).is_file(), picture
        assert (ROOT / picture).stat().st_size > 1000, picture
