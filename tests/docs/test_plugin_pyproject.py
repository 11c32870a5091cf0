"""plugins.md's `pyproject.toml` installs as printed (issue 16: it had no version and no build
system, so `pip install .` failed with `project must contain ['version']`).

The sample is built and installed offline (`--no-build-isolation` with this venv's hatchling,
`--no-deps`, no index) into a temporary folder, never into the venv itself."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import distributions
from pathlib import Path

import pytest

from tests.docs.samples import DOCS_DIR, read_fences

PLUGIN_INIT = '''from agentkit.tools import Toolset, tool


@tool
def today() -> str:
    """Today's date."""
    return "2026-01-01"


toolset = Toolset([today], name="datetime")
'''


def the_pages_pyproject() -> str:
    fences = read_fences((DOCS_DIR / "plugins.md").read_text(encoding="utf-8"))
    [pyproject] = [fence.code for fence in fences if fence.info == "toml"]
    return pyproject


@pytest.mark.timeout(120)
def test_the_plugin_pyproject_on_the_page_installs(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="hatchling is in the dev extra")
    project = tmp_path / "agentkit-datetime"
    package = project / "src" / "agentkit_datetime"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(the_pages_pyproject())
    (project / "README.md").write_text("# agentkit-datetime\n")
    (package / "__init__.py").write_text(PLUGIN_INIT)
    (package / "py.typed").write_text("")
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    offline = ["--no-index", "--disable-pip-version-check", "--target", str(target), str(project)]
    done = subprocess.run([*install, *offline], capture_output=True, text=True, timeout=110, check=False)
    assert done.returncode == 0, done.stderr

    [installed] = [d for d in distributions(path=[str(target)]) if d.metadata["Name"] == "agentkit-datetime"]
    assert installed.version == "0.1.0"
    [entry_point] = installed.entry_points.select(group="agentkit.plugins")
    assert (entry_point.name, entry_point.value) == ("datetime", "agentkit_datetime:toolset")
    assert (target / "agentkit_datetime" / "__init__.py").is_file()
