"""The JSON-lines trace file (round trip through the SDK exporter), the waterfall and `agentkit trace`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentkit.cli import main
from agentkit.engine import Interrupted, ResponseFinished, ResponseStarted, TurnStarted
from agentkit.protocol import StatusDetails
from agentkit.tracing import TracingObserver
from agentkit.tracing.jsonl import install_trace_file, span_record
from agentkit.tracing.spanfile import SpanRecord, TraceFileError, read_spans
from agentkit.tracing.svg import ERROR_COLOUR, render_html, render_svg
from agentkit.tracing.waterfall import build_panels
from tests.tracing.helpers import INFO, T0, call, feed, finished, turn_done, two_parallel_calls

SVG = "{http://www.w3.org/2000/svg}"


def write_session(path: Path, *, record_content: bool = False) -> list[SpanRecord]:
    """Trace a session into `path`; return what an in-memory exporter saw of the same spans."""
    provider = install_trace_file(path, set_global=False)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    observer = TracingObserver(tracer_provider=provider, record_content=record_content)
    observer.session_started(replace(INFO, connecting_since=T0 - 1.25), T0 - 1)
    feed(observer, two_parallel_calls())
    later = T0 + 5
    feed(
        observer,
        [
            TurnStarted(time=later),
            ResponseStarted(time=later + 0.1, response_id="r3"),
            call("c3", later + 0.2, response="r3"),
            finished("c3", later + 0.4, status="tool_error"),
            Interrupted(time=later + 0.5, response_id="r3", item_id=None, played_ms=None),
            ResponseFinished(
                time=later + 0.55,
                response_id="r3",
                status="cancelled",
                status_details=StatusDetails(reason="turn_detected"),
            ),
            turn_done(later + 0.55, interrupted=True),
        ],
    )
    observer.connection_event("connection_lost", later + 1, code=1006)
    observer.connection_event("reconnected", later + 1.5, attempt=1)
    provider.shutdown()
    return [span_record(span) for span in memory.get_finished_spans()]


def test_trace_file_round_trips_every_span(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    expected = write_session(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(expected) == 10
    first = json.loads(lines[0])
    assert set(first) >= {"name", "trace_id", "span_id", "parent_span_id", "start_ns", "end_ns"}
    assert set(first) >= {"attributes", "events", "status", "links"}
    spans = read_spans(path)
    assert spans == expected
    turn = next(
        s for s in spans if s.name == "invoke_agent support" and s.attributes["agentkit.turn.number"] == 1
    )
    assert len(turn.trace_id) == 32
    assert len(turn.span_id) == 16
    assert turn.parent_span_id is None
    assert turn.links[0].span_id == next(s.span_id for s in spans if s.name == "connect support")
    assert isinstance(turn.attributes["agentkit.turn.tool_calls"], int)
    failed = next(s for s in spans if s.attributes.get("gen_ai.tool.call.id") == "c3")
    assert failed.status == "ERROR"
    assert failed.status_description == "tool_error"


def test_trace_file_appends_and_survives_a_second_provider(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    write_session(path)
    write_session(path)
    assert len(read_spans(path)) == 20


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "line 1"),
        ('{"name": "x"}\n', "missing field 'trace_id'"),
        ('\n{"name": 1, "trace_id": "a", "span_id": "b", "start_ns": 0, "end_ns": 1}\n', "line 2"),
        ('{"name": "x", "trace_id": "a", "span_id": "b", "start_ns": "0", "end_ns": 1}\n', "integer"),
        ("[1, 2]\n", "JSON object"),
    ],
)
def test_malformed_trace_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TraceFileError, match=message):
        read_spans(path)


def test_binary_and_too_deeply_nested_files_are_clear_errors(tmp_path: Path) -> None:
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\x80\xcf\xff not text")
    with pytest.raises(TraceFileError, match="not a trace file \\(not UTF-8 text\\)"):
        read_spans(binary)
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(TraceFileError, match="line 1: not a span \\(nested too deeply\\)"):
        read_spans(deep)


def test_missing_trace_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TraceFileError, match="cannot read trace file"):
        read_spans(tmp_path / "absent.jsonl")


def test_waterfall_orders_each_turn_as_a_tree(tmp_path: Path) -> None:
    spans = write_session(tmp_path / "trace.jsonl")
    panels = build_panels(spans)
    titles = [panel.title for panel in panels]
    assert titles == [
        "connect support",
        "Turn 1: lookup_order, track_parcel",
        "Turn 2: lookup_order (interrupted)",
        "reconnect support",
    ]
    assert panels[0].duration_ns == 250_000_000  # the handshake, from when connecting began
    turn = panels[1]
    assert [(row.depth, row.span.name) for row in turn.rows] == [
        (0, "invoke_agent support"),
        (1, "chat gpt-realtime"),
        (1, "execute_tool lookup_order"),
        (1, "execute_tool track_parcel"),
        (1, "chat gpt-realtime"),
    ]
    assert [row.category for row in turn.rows] == ["turn", "response", "tool", "tool", "response"]
    assert turn.rows[0].offset_ns == 0
    assert turn.duration_ns == 900_000_000
    assert [m.label for m in turn.rows[0].markers] == ["first audio", "first text"]
    assert turn.rows[0].markers[0].offset_ns == 200_000_000
    interrupted = panels[2]
    assert any(row.failed and row.category == "tool" for row in interrupted.rows)
    assert "interrupted" in [m.label for m in interrupted.rows[0].markers]


def test_turns_are_labelled_by_what_the_user_said_when_it_was_recorded(tmp_path: Path) -> None:
    panels = build_panels(write_session(tmp_path / "trace.jsonl", record_content=True))
    assert [panel.title for panel in panels][1:3] == ["Turn 1: “hi”", "Turn 2: “hi” (interrupted)"]


def test_an_instant_span_with_nothing_to_show_draws_no_panel() -> None:
    """The empty "connect 0.0 ms" panel of traces written before the connect span had a length."""
    instant = SpanRecord("connect support", "c" * 32, "d" * 16, None, 50, 50)
    turn = SpanRecord("invoke_agent support", "t" * 32, "u" * 16, None, 60, 90)
    assert [panel.title for panel in build_panels([instant, turn])] == ["invoke_agent support"]


def bar_widths(svg: str) -> dict[str, float]:
    """Each span's bar width, by span name (from the bar's tooltip)."""
    widths = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        rect, title = group.find(f"{SVG}rect"), group.find(f"{SVG}title")
        if rect is not None and title is not None and title.text:
            widths[title.text.split("  ")[0]] = float(rect.get("width") or 0)
    return widths


def test_every_panel_shares_one_time_scale() -> None:
    short = SpanRecord("invoke_agent short", "a" * 32, "b" * 16, None, 0, 100_000_000)
    long = SpanRecord("invoke_agent long", "c" * 32, "d" * 16, None, 200_000_000, 1_200_000_000)
    widths = bar_widths(render_svg(build_panels([short, long])))
    assert widths["invoke_agent short"] == pytest.approx(widths["invoke_agent long"] / 10, rel=0.01)


def test_waterfall_keeps_spans_whose_parent_is_missing() -> None:
    orphan = SpanRecord("execute_tool x", "t" * 32, "s" * 16, "p" * 16, 10, 20)
    (panel,) = build_panels([orphan])
    assert [row.span for row in panel.rows] == [orphan]


def test_svg_is_well_formed_and_shows_labels_durations_and_errors(tmp_path: Path) -> None:
    panels = build_panels(write_session(tmp_path / "trace.jsonl"))
    svg = render_svg(panels)
    root = ET.fromstring(svg)
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Turn 1: lookup_order, track_parcel" in texts
    assert "execute_tool track_parcel" in texts
    assert "300 ms" in texts  # lookup_order ran 0.3 s
    assert "first audio" in texts
    assert "200 ms · tool_error" in texts
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert ERROR_COLOUR in fills
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert any("gen_ai.tool.call.id = c1" in t for t in titles)


def test_labels_are_escaped(tmp_path: Path) -> None:
    span = SpanRecord("execute_tool <script>&", "a" * 32, "b" * 16, None, 0, 5_000_000)
    svg = render_svg(build_panels([span]))
    ET.fromstring(svg)
    assert "<script>" not in svg
    html = render_html(build_panels([span]), title="<b>")
    assert "<b>" not in html.split("<body>", 1)[1].split("<svg", 1)[0]


def test_cli_writes_svg_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace_file = tmp_path / "trace.jsonl"
    write_session(trace_file)
    assert main(["trace", str(trace_file), "-o", str(tmp_path / "out.svg")]) == 0
    ET.fromstring((tmp_path / "out.svg").read_text(encoding="utf-8"))
    assert main(["trace", str(trace_file)]) == 0
    html = (tmp_path / "trace.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html
    assert "wrote" in capsys.readouterr().out


def test_cli_rejects_bad_input_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert main(["trace", str(empty)]) == 2
    assert "holds no spans" in capsys.readouterr().err
    assert main(["trace", str(empty), "-o", str(tmp_path / "out.png")]) == 2
    assert ".svg or .html" in capsys.readouterr().err
    assert main(["trace", str(tmp_path / "absent.jsonl")]) == 2
    assert "cannot read trace file" in capsys.readouterr().err


def test_install_trace_file_can_become_the_global_provider(tmp_path: Path) -> None:
    from opentelemetry import trace

    provider = install_trace_file(tmp_path / "t.jsonl", set_global=False)
    assert isinstance(provider, TracerProvider)
    assert trace.get_tracer_provider() is not provider
    provider.shutdown()
