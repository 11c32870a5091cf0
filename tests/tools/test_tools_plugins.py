"""Plugin discovery through entry points, and the `agentkit plugins` / `agentkit tools` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.tools import PluginError, discover_plugins, load_plugin
from agentkit.tools.plugins import as_toolset

MODULE = '''
from agentkit.tools import Toolset, tool

@tool
def echo(text: str) -> str:
    """Say it back."""
    return text

def make() -> Toolset:
    return Toolset([echo], name="temp")
'''


@pytest.fixture
def temp_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed-looking distribution with one good and two broken entry points."""
    (tmp_path / "agentkit_temp_plugin.py").write_text(MODULE)
    dist = tmp_path / "agentkit_temp_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: agentkit-temp-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[agentkit.plugins]\n"
        "temp = agentkit_temp_plugin:make\n"
        "zz_missing = agentkit_module_that_does_not_exist:toolset\n"
        "zz_wrong_type = math:pi\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_discovery_reports_broken_plugins_without_hiding_others(temp_plugins: Path) -> None:
    found = {plugin.name: plugin for plugin in discover_plugins()}
    assert found["datetime"].toolset is not None
    assert found["datetime"].distribution == "agentkit-datetime"
    temp = found["temp"].toolset
    assert temp is not None
    assert temp.names() == ["echo"]
    missing = found["zz_missing"]
    assert missing.toolset is None
    assert missing.error == "ModuleNotFoundError: No module named 'agentkit_module_that_does_not_exist'"
    assert (
        found["zz_wrong_type"].error
        == "PluginError: zz_wrong_type gave float, expected a Toolset, a Tool, a tuple or list of tools,"
        " or a callable returning one"
    )


def test_load_plugin_by_name(temp_plugins: Path) -> None:
    assert load_plugin("temp").names() == ["echo"]
    with pytest.raises(PluginError, match="plugin 'zz_missing' failed to load: ModuleNotFoundError"):
        load_plugin("zz_missing")
    with pytest.raises(PluginError, match=r"no agentkit plugin named 'nope'; installed: .*datetime.*temp"):
        load_plugin("nope")


def test_as_toolset_accepts_a_single_tool() -> None:
    from agentkit_datetime import current_time

    assert as_toolset(current_time, name="one").names() == ["current_time"]


def test_plugins_command_lists_tools_and_errors(
    temp_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "datetime (agentkit-datetime): current_time, shift_date, days_between, add_business_days" in lines
    assert "temp (agentkit-temp-plugin): echo" in lines
    assert (
        "zz_missing (agentkit-temp-plugin): failed to load: "
        "ModuleNotFoundError: No module named 'agentkit_module_that_does_not_exist'"
    ) in lines


def test_tools_command_prints_definitions(temp_plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from agentkit_datetime import toolset

    assert main(["tools", "datetime"]) == 0
    assert json.loads(capsys.readouterr().out) == toolset.definitions()
    assert main(["tools", "agentkit_temp_plugin:make"]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)] == ["echo"]
    assert main(["tools", "agentkit_temp_plugin"]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)] == ["echo"]
    assert main(["tools", str(temp_plugins / "agentkit_temp_plugin.py")]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)] == ["echo"]


def test_tools_command_imports_package_files_with_relative_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "agentkit_cli_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "impl.py").write_text(MODULE)
    (package / "tools.py").write_text("from .impl import echo\n")
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    assert main(["tools", str(package / "tools.py")]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)] == ["echo"]


def test_tools_command_errors(temp_plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "agentkit_no_such_module_either"]) == 2
    assert "No module named 'agentkit_no_such_module_either'" in capsys.readouterr().err
    assert main(["tools", "zz_missing"]) == 2
    assert "plugin 'zz_missing' failed to load" in capsys.readouterr().err
    assert main(["tools", "json"]) == 2
    assert "json defines no tools" in capsys.readouterr().err
    (temp_plugins / "agentkit_raises_on_import.py").write_text("raise RuntimeError('bad module')\n")
    assert main(["tools", "agentkit_raises_on_import"]) == 2
    assert capsys.readouterr().err == (
        "agentkit tools: cannot load agentkit_raises_on_import: RuntimeError: bad module\n"
    )
    assert main(["tools", "missing_file.py"]) == 2
    assert "no such Python file: missing_file.py" in capsys.readouterr().err


def test_tools_command_stops_quietly_when_the_reader_leaves() -> None:
    """`agentkit tools datetime | head -1`: the reader closes the pipe before the JSON is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: the first write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "agentkit", "tools", "datetime"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr
    assert done.returncode == 1


def test_tools_command_finds_modules_in_the_current_folder_and_reads_agents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`agentkit tools my_bot:agent` right after `agentkit chat my_bot:agent`, in the same folder."""
    (tmp_path / "agentkit_cwd_bot.py").write_text(
        MODULE + "\nfrom agentkit import Agent\n\nagent = Agent('bot', tools=[echo])\n"
        "def make_agent() -> Agent:\n    return agent\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [entry for entry in sys.path if entry not in ("", str(tmp_path))])
    for target in ("agentkit_cwd_bot", "agentkit_cwd_bot:agent", "agentkit_cwd_bot:make_agent"):
        assert main(["tools", target]) == 0, capsys.readouterr().err
        assert [d["name"] for d in json.loads(capsys.readouterr().out)] == ["echo"]


def test_tools_command_lists_the_example_bots_tools_without_opening_its_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`agentkit tools examples.customer_service` (its tools are a tuple, TOOLS) and `...:TOOLS`."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    expected = [
        "lookup_order",
        "find_customer",
        "track_shipment",
        "start_refund",
        "search_faq",
        "escalate_to_human",
    ]
    for target in ("examples.customer_service", "examples.customer_service:TOOLS"):
        assert main(["tools", target]) == 0, capsys.readouterr().err
        assert [d["name"] for d in json.loads(capsys.readouterr().out)] == expected
    assert list(tmp_path.iterdir()) == []  # listing tools built no agent and created no database
