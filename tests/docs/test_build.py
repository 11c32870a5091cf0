"""The documentation site builds with `mkdocs build --strict`: a broken link, a missing page in the
navigation or an API reference to a name that does not exist fails the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.docs.samples import DOCS_DIR, doc_pages

ROOT = DOCS_DIR.parent
REFERENCE_PACKAGES = (
    "agentkit",
    "agentkit.tools",
    "agentkit.connection",
    "agentkit.protocol",
    "agentkit.engine",
    "agentkit.testing",
    "agentkit.relay",
    "agentkit.tracing",
)


def _mkdocs_config() -> dict[str, object]:
    class _Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml names Python objects (the mermaid fence formatter); read them as plain strings here.
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix)
    config: dict[str, object] = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    return config


@pytest.mark.timeout(180)
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    pytest.importorskip("mkdocstrings")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    tools_reference = (tmp_path / "site" / "reference" / "tools" / "index.html").read_text(encoding="utf-8")
    assert 'id="agentkit.tools.Toolset"' in tools_reference  # docstrings really were rendered


def test_every_page_is_in_the_navigation() -> None:
    def pages(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [page for item in node for page in pages(item)]
        if isinstance(node, dict):
            return [page for value in node.values() for page in pages(value)]
        return []

    in_nav = set(pages(_mkdocs_config()["nav"]))
    on_disk = {path.relative_to(DOCS_DIR).as_posix() for path in doc_pages()}
    assert on_disk - in_nav == set(), "pages missing from mkdocs.yml's nav"
    assert in_nav - on_disk == set(), "nav entries without a page"


def test_one_reference_page_per_public_package() -> None:
    directives = {
        line.removeprefix(":::").strip()
        for path in (DOCS_DIR / "reference").glob("*.md")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(":::")
    }
    assert set(REFERENCE_PACKAGES) <= directives
