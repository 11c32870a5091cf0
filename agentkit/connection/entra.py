"""What to say when keyless (Entra ID) sign-in fails: one line that applies, not the credential chain.

azure-identity's `DefaultAzureCredential` tries about nine ways to sign in and, when none works,
raises (and logs at WARNING) a dozen lines, one per way, most of them "unavailable". A person needs
to know either that nothing is signed in (and the two ways out), or which sign-in was found and
refused, and why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

_SIGN_IN = (
    "set AZURE_OPENAI_API_KEY, or sign in for keyless auth (`az login`, a managed identity, or "
    "AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET)"
)
_ATTEMPT = re.compile(r"^\t(\w+Credential): (.*)$", re.MULTILINE)
_UNAVAILABLE = re.compile(
    r"unavailable|not installed|not found|could not be found|requires the|not fully configured|"
    r"no accounts|please run 'az login'",
    re.IGNORECASE,
)
_CHAIN_LOGGER = "azure.identity._credentials.chained"
_MAX_DETAIL = 200


def sign_in_failure(scope: str, exc: BaseException) -> str:
    """One line: no sign-in found (and what to do), or the sign-in that failed and its first sentence."""
    text = str(exc)
    attempts = _ATTEMPT.findall(text)
    failed = [(name, why) for name, why in attempts if not _UNAVAILABLE.search(why)]
    if attempts and not failed:
        return f"no key and no Entra ID sign-in for {scope}: {_SIGN_IN}"
    if failed:
        name, why = failed[-1]
        return f"Entra ID sign-in ({name}) failed for {scope}: {_first_sentence(why)}"
    detail = f"{type(exc).__name__}: {_first_sentence(text)}"
    return f"could not get an Entra ID token for {scope} ({detail}); {_SIGN_IN}"


def _first_sentence(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    sentence = line.split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= _MAX_DETAIL else sentence[: _MAX_DETAIL - 3] + "..."


class _DropChainWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "failed to retrieve a token from the included credentials" not in record.getMessage()


@contextmanager
def quiet_credential_chain() -> Iterator[None]:
    """Keep the default credential's own multi-line WARNING off stderr while agentkit reports the
    failure itself (in one line); other azure-identity log records pass."""
    logger = logging.getLogger(_CHAIN_LOGGER)
    drop = _DropChainWarning()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
