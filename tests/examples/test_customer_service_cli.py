"""The customer-service bot end to end: its modes as subprocesses against the in-process local server,
and in-process runs with a misbehaving scripted model, spoken input and bad input."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from agentkit import audio
from agentkit.protocol import ErrorDetail, FunctionCallOutputItem
from agentkit.testing import Call, Faults, Say, ScriptedModel, spoken
from examples.customer_service.app import Console, run
from tests.terminal import offline_env, run_on_terminal

ROOT = Path(__file__).resolve().parents[2]
LOCAL_LINE = "using agentkit's local Realtime server"


def bot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "examples.customer_service", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=offline_env(),
        timeout=90,
        check=False,
    )


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql).fetchall())


def test_text_mode_answers_each_line_and_writes_the_refund_and_ticket(tmp_path: Path) -> None:
    db, trace = tmp_path / "shop.sqlite3", tmp_path / "trace.jsonl"
    lines = [
        "Can you check orders A-1001 and A-1002?",
        "Yes, I confirm: refund A-1001 because the keyboard arrived broken.",
        "I'd like to talk to a person about my keyboard",
    ]
    result = bot("--text", "--db", str(db), "--trace-file", str(trace), stdin="\n".join(lines) + "\n")

    assert result.returncode == 0, result.stderr
    assert result.stderr.count(LOCAL_LINE) == 1
    replies = result.stdout.splitlines()
    assert len(replies) == 3, result.stdout
    assert "Order A-1001 has been delivered" in replies[0]
    assert "Order A-1002 has been shipped" in replies[0]
    assert "R-0002" in replies[1]  # the seed data holds refund R-0001 already
    assert "T-0001" in replies[2]
    assert rows(db, "SELECT order_id, amount_cents, reason FROM refunds WHERE order_id = 'A-1001'") == [
        ("A-1001", 15439, "the keyboard arrived broken")
    ]
    assert rows(db, "SELECT status FROM orders WHERE id = 'A-1001'") == [("refunded",)]
    [(summary, status)] = rows(db, "SELECT summary, status FROM support_tickets")
    assert status == "open"
    assert isinstance(summary, str)
    assert summary.startswith("Transfer from refunds: I'd like to talk to a person about my keyboard")
    assert "user: Can you check orders A-1001 and A-1002?" in summary, "the hand-over summary"
    spans = [json.loads(line) for line in trace.read_text().splitlines()]
    tool_spans = [s for s in spans if "lookup_order" in s["name"]]
    assert len(tool_spans) == 2, [s["name"] for s in spans]


def test_demo_shows_each_feature_once_with_timings_and_what_changed(tmp_path: Path) -> None:
    db = tmp_path / "shop.sqlite3"
    result = bot("--demo", "--db", str(db))

    assert result.returncode == 0, result.stderr
    assert result.stderr.count(LOCAL_LINE) == 1
    out = result.stdout
    assert "you › Hi! Can you check on my orders A-1001 and A-1002?" in out
    for order in ("A-1001", "A-1002"):
        assert f"⚙ lookup_order(order_id='{order}')" in out
        assert f"✓ lookup_order(order_id='{order}') · " in out
    assert "2 tool calls, in parallel" in out
    assert out.count("⏱ turn ") == 7
    assert out.count("assistant › I'm checking with the carrier, one moment.") == 1, "the filler"
    assert out.count("→ shop assistant handed over to refunds") == 1
    assert out.count("refunds › ") >= 3, "the refunds agent answers after the handoff"
    assert out.count("waits for approval") == 1
    assert out.count("▶ start_refund: approved") == 1
    assert out.count("⛔ no_card_numbers stopped") == 1
    assert "4111 1111 1111 1111" not in out.split("you › My card number is 4111 1111 1111 1111")[1]
    assert out.count("☎ handed to a person") == 1
    assert "your reference is T-0001" in out
    table = out[out.index("turn  first words") :].splitlines()
    assert table[1].endswith("lookup_order, lookup_order  (in parallel)")
    assert [line.split()[0] for line in table[1:8]] == ["1", "2", "3", "4", "5", "6", "7"]
    assert "Database: refund R-0002 of 154.39 USD issued for A-1001" in out
    assert "Database: support ticket T-0001 opened: 'Transfer from refunds: " in out
    assert rows(db, "SELECT order_id FROM refunds ORDER BY id") == [("A-1006",), ("A-1001",)]
    [(summary,)] = rows(db, "SELECT summary FROM support_tickets")
    assert isinstance(summary, str)
    assert "**** **** **** 1111" in summary, "the hand-over summary masks the card number"
    assert "4111 1111" not in summary


def test_approvals_deny_turns_the_large_refund_down(tmp_path: Path) -> None:
    result = bot("--demo", "--db", str(tmp_path / "shop.sqlite3"), "--approvals", "deny")
    assert result.returncode == 0, result.stderr
    assert "■ start_refund: rejected" in result.stdout
    assert "Database: refund R-0002" not in result.stdout
    assert rows(tmp_path / "shop.sqlite3", "SELECT order_id FROM refunds ORDER BY id") == [("A-1006",)]


def test_approvals_ask_without_a_terminal_or_serve_is_a_clear_error(tmp_path: Path) -> None:
    result = bot("--text", "--db", str(tmp_path / "shop.sqlite3"), "--approvals", "ask", stdin="hi\n")
    assert result.returncode == 1
    assert "--approvals ask needs the terminal chat or --serve" in result.stderr


def test_demo_without_db_leaves_the_default_database_alone(tmp_path: Path) -> None:
    env_home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "examples.customer_service", "--demo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**offline_env(), "XDG_DATA_HOME": str(env_home), "HOME": str(env_home)},
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Database: refund R-0002" in result.stdout
    assert not env_home.exists() or not any(env_home.rglob("*.sqlite3"))


# -- in-process runs --------------------------------------------------------------------------------


def console(stdin: str = "") -> Console:
    return Console(io.StringIO(stdin), io.StringIO(), io.StringIO())


def text_of(stream: object) -> str:
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


@pytest.mark.anyio
async def test_survives_unknown_tools_bad_arguments_and_error_events(tmp_path: Path) -> None:
    model = ScriptedModel(
        [
            [
                Call("cancel_everything", {}),
                Call("lookup_order", '{"order_id": "A-10'),  # truncated JSON
                Call("lookup_order", {"order_id": 1001}),  # wrong type
                Call("lookup_order", {"order_id": "A-1002"}),
            ],
            [Say("Only A-1002 could be found; it has shipped.")],
            [Say("Still here after that error.")],
        ]
    )
    # The one-shot error event arrives right after the first response starts, before its bad calls.
    faults = Faults(
        error=ErrorDetail(type="server_error", code="server_error", message="The server had an error")
    )
    io_ = console("Check my orders please\nAre you still there?\n")

    with anyio.fail_after(30):
        status = await run(
            ["--text", "--db", str(tmp_path / "shop.sqlite3")],
            console=io_,
            environ={},
            local_model=model,
            local_faults=faults,
        )

    assert status == 0, text_of(io_.stderr)
    assert text_of(io_.stdout).splitlines() == [
        "Only A-1002 could be found; it has shipped.",
        "Still here after that error.",
    ]
    errors = text_of(io_.stderr)
    assert "tool call cancel_everything failed (unknown_tool)" in errors
    assert errors.count("tool call lookup_order failed (invalid_arguments)") == 2
    assert "server error server_error: The server had an error" in errors
    outputs = [item for item in model.contexts[1].items if isinstance(item, FunctionCallOutputItem)]
    assert len(outputs) == 4  # every call, good or bad, got exactly one output
    assert '"order_id":"A-1002"' in outputs[3].output
    assert all("A-1002" not in output.output for output in outputs[:3])


@pytest.mark.anyio
async def test_a_spoken_question_is_answered_in_audio_saved_as_wav(tmp_path: Path) -> None:
    question = tmp_path / "question.wav"
    speech = spoken("Please track order A-1002")
    audio.write_wav(question, speech)
    io_ = console()

    with anyio.fail_after(30):
        status = await run(
            ["--audio-in", str(question), "--audio-out", str(tmp_path / "out"), "--db", str(tmp_path / "db")],
            console=io_,
            environ={},
        )

    assert status == 0, text_of(io_.stderr)
    out = text_of(io_.stdout)
    assert "you (spoken) ›" in out
    assert "✓ track_shipment(order_id='A-1002')" in out
    assert "FedEx" in out
    [saved] = sorted((tmp_path / "out").glob("*.wav"))
    assert saved.name == "turn-01.wav"
    wav = audio.read_wav(saved)
    assert wav.sample_rate == 24000
    assert wav.duration_ms > 500
    assert f"Saved the assistant's audio to {saved}" in text_of(io_.stderr)


@pytest.mark.anyio
async def test_a_spoken_question_in_a_file_that_is_not_wav_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "question.wav"
    bogus.write_text("not audio")
    io_ = console()
    assert await run(["--audio-in", str(bogus)], console=io_, environ={}) == 2
    assert "--audio-in: not a readable PCM WAV file" in text_of(io_.stderr)
    missing = tmp_path / "missing.wav"
    assert await run(["--audio-in", str(missing)], console=io_, environ={}) == 2
    assert f"cannot read {missing}" in text_of(io_.stderr)


@pytest.mark.anyio
async def test_a_file_that_is_not_the_shop_database_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    io_ = console("hello\n")
    assert await run(["--text", "--db", str(other)], console=io_, environ={}) == 1
    assert "some other database" in text_of(io_.stderr)
    assert text_of(io_.stdout) == ""


@pytest.mark.anyio
async def test_a_half_configured_azure_environment_says_what_is_missing_without_the_key(
    tmp_path: Path,
) -> None:
    io_ = console("hello\n")
    environ = {"AZURE_OPENAI_ENDPOINT": "https://example.invalid", "AZURE_OPENAI_API_KEY": "sk-secret-1234"}
    assert await run(["--text", "--db", str(tmp_path / "db")], console=io_, environ=environ) == 1
    errors = text_of(io_.stderr)
    assert "AZURE_OPENAI_DEPLOYMENT_NAME" in errors
    assert "sk-secret-1234" not in errors + text_of(io_.stdout)


@pytest.mark.anyio
async def test_serve_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        await run(["--serve", "--port", "70000"], console=console(), environ={})
    assert exited.value.code == 2
    assert "a port is 0 to 65535, got 70000" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_the_default_mode_is_the_agentkit_chat_ui(tmp_path: Path) -> None:
    db = tmp_path / "shop.sqlite3"
    text = run_on_terminal(
        [sys.executable, "-m", "examples.customer_service", "--db", str(db)],
        b"Where is my order A-1002?\n\x04",  # Ctrl-D at the next prompt ends the chat
        ROOT,
    )
    assert LOCAL_LINE in text
    assert "Chatting with 'shop assistant' (tools: lookup_order, find_customer" in text
    assert "you › " in text
    assert "\r\x1b[K" in text  # the call's line was rewritten as its arguments streamed
    assert "✓ lookup_order(order_id='A-1002')" in text
    assert "A-1002 has been shipped" in text


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize(("answer", "refunded"), [(b"y", True), (b"n", False)])
def test_in_the_chat_a_supervisor_approves_in_the_terminal(
    tmp_path: Path, answer: bytes, refunded: bool
) -> None:
    db = tmp_path / "shop.sqlite3"
    typed = b"I'd like a refund for A-1001 because the keyboard arrived broken.\nYes, please go ahead.\n"
    text = run_on_terminal(
        [sys.executable, "-m", "examples.customer_service", "--db", str(db)],
        typed + answer + b"\n\x04",  # the supervisor's answer, then Ctrl-D at the next prompt
        ROOT,
    )
    assert "supervisor: approve the refund of order A-1001 (the keyboard arrived broken)? [y/N]" in text
    assert ("▶ start_refund: approved" in text) is refunded
    assert ("■ start_refund: rejected" in text) is not refunded
    made = rows(db, "SELECT order_id FROM refunds ORDER BY id")
    assert made == ([("A-1006",), ("A-1001",)] if refunded else [("A-1006",)])


def test_demo_on_voice_live_runs_against_the_local_servers_voice_live(tmp_path: Path) -> None:
    db = tmp_path / "shop.sqlite3"
    result = bot("--provider", "voicelive", "--demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "No AZURE_VOICELIVE_ENDPOINT set" in result.stderr
    assert "/voice-live/realtime" in result.stderr
    assert result.stdout.count("⏱ turn ") == 7
    assert "✓ lookup_order(order_id='A-1001') · " in result.stdout
    assert rows(db, "SELECT order_id FROM refunds ORDER BY id") == [("A-1006",), ("A-1001",)]


def test_demo_on_gpt_live_runs_against_the_local_servers_gpt_live(tmp_path: Path) -> None:
    result = bot("--provider", "gptlive", "--demo", "--db", str(tmp_path / "shop.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "No AZURE_GPTLIVE_ENDPOINT or OPENAI_API_KEY set" in result.stderr
    assert "/v1/live/sessions" in result.stderr
    assert result.stdout.count("⏱ turn ") == 3
    assert "✓ lookup_order(order_id='A-1001') · " in result.stdout
    assert "✓ track_shipment(order_id='A-1002') · " in result.stdout
    assert "Order A-1002 has been shipped" in result.stdout


def test_gpt_live_speaks_text_lines_and_refuses_other_modes(tmp_path: Path) -> None:
    db = str(tmp_path / "shop.sqlite3")
    result = bot("--provider", "gptlive", "--text", "--db", db, stdin="Can you check order A-1001?\n")
    assert result.returncode == 0, result.stderr
    assert "✓ lookup_order(order_id='A-1001') · " in result.stdout
    assert "Order A-1001 has been delivered" in result.stdout
    result = bot("--provider", "gptlive", "--serve")
    assert result.returncode == 1
    assert "--provider gptlive works with --demo or --text" in result.stderr
