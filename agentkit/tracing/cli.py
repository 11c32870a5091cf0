"""`agentkit trace PATH [-o OUT]`: a trace file (JSON lines) to a waterfall picture (SVG or HTML)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

_FORMATS = (".html", ".svg")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "trace",
        help="draw a trace file as a waterfall of each turn (SVG or HTML)",
        description="Render a JSON-lines trace file (written by --trace-file) as a waterfall: "
        "each turn's model responses and tool calls on one time axis.",
    )
    parser.add_argument("path", type=Path, help="the trace file (one span as JSON per line)")
    parser.add_argument(
        "-o", "--output", type=Path, help="where to write: OUT.svg or OUT.html (default: PATH with .html)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from agentkit.tracing.spanfile import TraceFileError, read_spans
    from agentkit.tracing.svg import render_html, render_svg
    from agentkit.tracing.waterfall import build_panels

    source: Path = args.path
    output: Path = args.output or source.with_suffix(".html")
    if output.suffix.lower() not in _FORMATS:
        print(f"agentkit trace: the output must end in .svg or .html, not {output.name!r}", file=sys.stderr)
        return 2
    try:
        spans = read_spans(source)
    except TraceFileError as error:
        print(f"agentkit trace: {error}", file=sys.stderr)
        return 2
    if not spans:
        print(f"agentkit trace: {source} holds no spans", file=sys.stderr)
        return 2
    panels = build_panels(spans)
    text = (
        render_svg(panels)
        if output.suffix.lower() == ".svg"
        else render_html(panels, f"Trace: {source.name}")
    )
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"agentkit trace: cannot write {output}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"wrote {output} ({len(panels)} traces, {len(spans)} spans)")
    return 0
