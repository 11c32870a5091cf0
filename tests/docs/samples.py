"""Finds the code samples in `docs/` and README.md so the test suite can run every one of them.

A sample is a fenced `python` block. An HTML comment on the line right above the fence (invisible
on the site) may change how it runs:

- `<!-- sample: not-run: REASON -->` skips it; the reason is required and shown as the skip reason.
- `<!-- sample: replace `OLD` with `NEW`: REASON -->` runs it with OLD swapped for NEW (a sample
  that needs Azure credentials runs against the local server this way). Several may be stacked.
- `<!-- sample: needs-env: NAME NAME ...: REASON -->` declares the environment variables the reader
  sets before running it (the page must name each one in the text above the sample). Only those
  are set, pointing at the local server; every other sample runs with no Azure or OpenAI variables,
  as a reader who copies it into a fresh shell does.

A fenced block with `title="Output"` right after a sample holds the exact text the sample prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
SKIPPED_DIRS = ("dev",)
"""Contributor notes: not part of the site, not samples."""
ROOT_PAGES = ("README.md",)
"""Pages at the repository root whose samples run too (the first thing a reader copies)."""

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,}|~{3,})\s*(?P<info>.*)$")
_MARKER = re.compile(r"^\s*<!--\s*sample:\s*(?P<body>.*?)\s*-->\s*$")
_REPLACE = re.compile(r"^replace `(?P<old>[^`]+)` with `(?P<new>[^`]*)`:\s*(?P<reason>.+)$")
_NOT_RUN = re.compile(r"^not-run:\s*(?P<reason>.+)$")
_NEEDS_ENV = re.compile(r"^needs-env:\s*(?P<names>[A-Z0-9_ ]+):\s*(?P<reason>.+)$")
ENV_NAMES = frozenset(
    {
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENT_NAME",
        "AZURE_OPENAI_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_API_VERSION",
        "AZURE_VOICELIVE_ENDPOINT",
        "AZURE_VOICELIVE_API_KEY",
        "AZURE_VOICELIVE_MODEL",
        "AZURE_GPTLIVE_ENDPOINT",
        "AZURE_GPTLIVE_API_KEY",
    }
)
"""What a sample may declare: the variables agentkit reads (`Endpoint.from_env`, and
`GptLiveEndpoint.from_env`)."""
TEXT_WINDOW_LINES = 40
"""How far above a sample the page must name each variable it needs."""
MIN_REASON_WORDS = 3


class SampleMarkerError(ValueError):
    """A `<!-- sample: ... -->` comment that the harness does not understand."""


@dataclass(frozen=True)
class Fence:
    info: str
    code: str
    start_line: int
    """1-based line of the opening fence."""
    markers: tuple[str, ...]
    """The `sample:` comments on the lines right above the fence, top to bottom."""


@dataclass(frozen=True)
class Sample:
    page: str
    line: int
    code: str
    replacements: tuple[tuple[str, str], ...] = ()
    skip_reason: str | None = None
    expected_output: str | None = None
    reasons: tuple[str, ...] = field(default=())
    needs_env: tuple[str, ...] = ()
    """Environment variables the reader sets first (declared with `needs-env`)."""

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def location(self) -> str:
        """Where the sample is, relative to the repository root (for tracebacks)."""
        return self.id if self.page in ROOT_PAGES else f"docs/{self.id}"

    def runnable_code(self) -> str:
        code = self.code
        for old, new in self.replacements:
            if old not in code:
                raise SampleMarkerError(f"{self.id}: replace marker names `{old}`, which the sample lacks")
            code = code.replace(old, new)
        return code


def read_fences(text: str) -> list[Fence]:
    """Every fenced block of a Markdown page, dedented to its fence (lists, admonitions, tabs)."""
    lines = text.splitlines()
    fences: list[Fence] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, ticks = opening["indent"], opening["ticks"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not re.match(rf"^\s*{re.escape(ticks)}\s*$", lines[end]):
            line = lines[end]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            end += 1
        markers: list[str] = []
        above = index - 1
        while above >= 0 and (marker := _MARKER.match(lines[above])) is not None:
            markers.insert(0, marker["body"])
            above -= 1
        fences.append(Fence(opening["info"].strip(), "\n".join(body) + "\n", index + 1, tuple(markers)))
        index = end + 1
    return fences


def _language(info: str) -> str:
    return info.split()[0].lstrip(".").lower() if info else ""


def samples_of(page: str, text: str) -> list[Sample]:
    fences = read_fences(text)
    found: list[Sample] = []
    for position, fence in enumerate(fences):
        if _language(fence.info) not in ("python", "py"):
            if fence.markers:
                raise SampleMarkerError(f"{page}:{fence.start_line}: sample marker on a non-Python block")
            continue
        following = fences[position + 1] if position + 1 < len(fences) else None
        expected = None
        if following is not None and 'title="Output"' in following.info:
            closing = fence.start_line + fence.code.count("\n")  # 0-based index of the closing fence
            gap = text.splitlines()[closing + 1 : following.start_line - 1]
            if all(not line.strip() for line in gap):
                expected = following.code
        sample = _with_marker(Sample(page, fence.start_line, fence.code, expected_output=expected), fence)
        window = text.splitlines()[max(0, fence.start_line - 1 - TEXT_WINDOW_LINES) : fence.start_line]
        above = "\n".join(line for line in window if not _MARKER.match(line))  # the reader's text only
        unsaid = [name for name in sample.needs_env if name not in above]
        if unsaid:
            raise SampleMarkerError(
                f"{sample.id}: the sample needs {', '.join(unsaid)}, which the text above it does not name"
            )
        found.append(sample)
    return found


def _with_marker(sample: Sample, fence: Fence) -> Sample:
    if not fence.markers:
        return sample
    replacements: list[tuple[str, str]] = []
    reasons: list[str] = []
    skip: str | None = None
    needs: list[str] = []
    for directive in fence.markers:
        if (match := _NEEDS_ENV.match(directive)) is not None:
            names = match["names"].split()
            unknown = sorted(set(names) - ENV_NAMES)
            if unknown:
                raise SampleMarkerError(f"{sample.id}: needs-env names unknown variables {unknown}")
            needs.extend(names)
            reasons.append(match["reason"])
        elif (match := _NOT_RUN.match(directive)) is not None:
            skip = match["reason"]
            reasons.append(skip)
        elif (match := _REPLACE.match(directive)) is not None:
            replacements.append((match["old"], match["new"]))
            reasons.append(match["reason"])
        else:
            raise SampleMarkerError(f"{sample.id}: unknown sample marker {directive!r}")
    for reason in reasons:
        if len(reason.split()) < MIN_REASON_WORDS:
            raise SampleMarkerError(f"{sample.id}: a sample marker needs a reason in words, got {reason!r}")
    return Sample(
        sample.page,
        sample.line,
        sample.code,
        tuple(replacements),
        skip,
        sample.expected_output,
        tuple(reasons),
        tuple(needs),
    )


def doc_pages(root: Path = DOCS_DIR) -> list[Path]:
    return sorted(path for path in root.rglob("*.md") if path.relative_to(root).parts[0] not in SKIPPED_DIRS)


def all_samples(root: Path = DOCS_DIR) -> list[Sample]:
    """The samples of every docs page under `root`, then of the `ROOT_PAGES` beside it."""
    found: list[Sample] = []
    for path in doc_pages(root):
        found.extend(samples_of(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
    for name in ROOT_PAGES:
        page = root.parent / name
        if page.is_file():
            found.extend(samples_of(name, page.read_text(encoding="utf-8")))
    return found
