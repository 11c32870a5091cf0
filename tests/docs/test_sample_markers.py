"""The docs harness runs a sample as a reader does (issue 16: "A relay in ten lines" passed in the
tests only because the harness set the Azure variables behind the reader's back)."""

from __future__ import annotations

import pytest

from tests.docs.samples import SampleMarkerError, all_samples, samples_of

PAGE = """# A page

Set `AZURE_OPENAI_ENDPOINT` and `AZURE_OPENAI_DEPLOYMENT_NAME` first.

<!-- sample: needs-env: AZURE_OPENAI_ENDPOINT AZURE_OPENAI_DEPLOYMENT_NAME: the text names both -->
```python
print("hi")
```
"""


def test_a_sample_declares_the_variables_its_page_names() -> None:
    [sample] = samples_of("page.md", PAGE)
    assert sample.needs_env == ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_DEPLOYMENT_NAME")


def test_a_variable_the_text_does_not_name_is_refused() -> None:
    page = PAGE.replace("and `AZURE_OPENAI_DEPLOYMENT_NAME` ", "")
    with pytest.raises(SampleMarkerError, match="needs AZURE_OPENAI_DEPLOYMENT_NAME, which the text"):
        samples_of("page.md", page)


def test_only_agentkits_own_variables_can_be_declared() -> None:
    page = PAGE.replace("AZURE_OPENAI_DEPLOYMENT_NAME:", "SOME_SECRET:")
    with pytest.raises(SampleMarkerError, match="unknown variables"):
        samples_of("page.md", page)


def test_the_relay_in_ten_lines_needs_nothing_from_the_environment() -> None:
    [relay_sample] = [s for s in all_samples() if s.page == "embedding.md" and "RelayServer(" in s.code][:1]
    assert relay_sample.needs_env == ()
    assert relay_sample.skip_reason is None
    assert "LocalRealtimeServer()" in relay_sample.code


def test_samples_that_read_the_environment_say_so() -> None:
    """Any runnable sample that reads the endpoint from the environment declares what it reads."""
    readers = ("os.environ[", "Endpoint.from_env()", "agent.connect() as", "os.getenv(")
    for sample in all_samples():
        if sample.skip_reason is None and any(reader in sample.code for reader in readers):
            assert sample.needs_env, f"{sample.id} reads the environment but declares no needs-env"
