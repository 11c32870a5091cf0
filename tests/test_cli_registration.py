"""Building the `agentkit` parser stays cheap: registering a command imports none of its machinery,
and the packages' lazy exports still give every public name."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from agentkit.cli import COMMAND_MODULES

LIGHT_COMMANDS = tuple(f"agentkit.{name}.cli" for name in ("tools", "testing", "tracing", "console"))
MACHINERY = (
    "agentkit.protocol",
    "agentkit.connection",
    "agentkit.testing.server",
    "agentkit.tracing.observer",
    "agentkit.console.chat",
    "opentelemetry",
    "websockets",
)


def test_registering_commands_imports_none_of_their_machinery() -> None:
    assert set(LIGHT_COMMANDS) <= set(COMMAND_MODULES)
    code = (
        "import argparse, importlib, sys\n"
        "subparsers = argparse.ArgumentParser().add_subparsers()\n"
        f"for name in {LIGHT_COMMANDS!r}:\n"
        "    importlib.import_module(name).register(subparsers)\n"
        "print('\\n'.join(sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    heavy = [name for name in loaded if name.startswith(MACHINERY)]
    assert heavy == []


@pytest.mark.parametrize("package", ["agentkit.testing", "agentkit.tracing", "agentkit.console"])
def test_lazy_packages_export_every_public_name(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:  # a wrong home module raises AttributeError here
        assert getattr(module, name) is vars(module)[name]  # loaded once, then a plain attribute
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018
