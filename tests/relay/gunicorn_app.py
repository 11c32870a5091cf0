"""The relay under gunicorn with uvicorn workers, configured as docs/embedding.md shows.

`gunicorn tests.relay.gunicorn_app:app -k tests.relay.gunicorn_app.RelayWorker`; the model endpoint
comes from `RELAY_TEST_UPSTREAM` (a local server the test runs).
"""

from __future__ import annotations

import os

from uvicorn.workers import UvicornWorker

from agentkit.connection import Endpoint
from agentkit.relay import Relay
from agentkit.relay.serving import install_log_redaction, uvicorn_settings

from .relay_helpers import make_agent

relay = Relay(make_agent(), Endpoint.custom(os.environ["RELAY_TEST_UPSTREAM"], api_key="local-key"))
app = relay.asgi()

install_log_redaction()


class RelayWorker(UvicornWorker):
    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, **uvicorn_settings(relay.limits)}
