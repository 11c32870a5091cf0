"""The browser voice page's files, as an allowlist a server can serve without touching the disk tree."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"

PAGE_ASSETS: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "audio-worklet.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
"""File name -> content type; the only names a server should answer (no path is ever joined)."""


def read_asset(name: str) -> tuple[bytes, str]:
    """The bytes and content type of one page file; `KeyError` for any name not in `PAGE_ASSETS`."""
    content_type = PAGE_ASSETS[name]
    return (STATIC_DIR / name).read_bytes(), content_type


DEFAULT_TITLE = "Voice agent"
"""The page's title as shipped; `titled_page` puts the agent's name in its place."""


def titled_page(name: str, meta: Mapping[str, str] | None = None) -> bytes:
    """index.html with the agent's name (escaped) as its title and heading, and the relay's settings
    for the page as `<meta>` tags (`meta`: name -> content, both escaped)."""
    html = read_asset("index.html")[0].decode("utf-8")
    title = escape(name.strip() or DEFAULT_TITLE)
    tags = "".join(
        f'<meta name="{escape(k)}" content="{escape(v)}" />\n    ' for k, v in (meta or {}).items()
    )
    html = html.replace(f"<title>{DEFAULT_TITLE}</title>", f"{tags}<title>{title}</title>", 1)
    return html.replace(f"<h1>{DEFAULT_TITLE}</h1>", f"<h1>{title}</h1>", 1).encode("utf-8")


PAGE_ROUTES: dict[str, str] = {
    "/": "index.html",
    "/index.html": "index.html",
    "/app.js": "app.js",
    "/audio-worklet.js": "audio-worklet.js",
    "/style.css": "style.css",
}
"""Request path (below the relay's mount point) -> page file."""

PAGE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}
