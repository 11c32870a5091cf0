"""Text in, audio out: the Azure OpenAI Realtime quickstart, done with agentkit.

Asks the model for one spoken answer with the instructions "Please assist the user." and prints
each piece of its transcript and the size of each chunk of audio as they arrive, until the
response is done.

Configuration is the quickstart's: AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT_NAME, with
AZURE_OPENAI_API_KEY, or keyless Microsoft Entra ID (`az login`) when that key is unset;
OPENAI_API_VERSION picks the API version (a `...-preview` date selects the preview protocol).
OPENAI_API_KEY selects OpenAI instead. With none of these set, it runs against agentkit's local
Realtime server, offline.

    python examples/text_in_audio_out.py
"""

from __future__ import annotations

import sys

import anyio

from agentkit.connection import ConnectionClosed, EndpointError, ServiceError
from agentkit.console import endpoint_or_local_server
from agentkit.protocol import (
    ErrorEvent,
    ResponseAudioDelta,
    ResponseAudioTranscriptDelta,
    ResponseCreate,
    ResponseDone,
    ResponseParams,
)


async def text_in_audio_out() -> int:
    def announce(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    async with endpoint_or_local_server(announce) as endpoint, endpoint.connect() as connection:
        await connection.send(
            ResponseCreate(
                response=ResponseParams(output_modalities=["audio"], instructions="Please assist the user.")
            )
        )
        async for message in connection:
            if isinstance(message, ResponseAudioTranscriptDelta):
                print(f"Received text delta: {message.delta}", flush=True)
            elif isinstance(message, ResponseAudioDelta):
                print(f"Received {len(message.audio_bytes)} bytes of audio data.", flush=True)
            elif isinstance(message, ErrorEvent):
                print(
                    f"Error: {message.error.code or message.error.type}: {message.error.message}",
                    file=sys.stderr,
                )
                return 1
            elif isinstance(message, ResponseDone):
                return 0
    print("The connection closed before the response was done.", file=sys.stderr)
    return 1


def main() -> int:
    try:
        return anyio.run(text_in_audio_out)
    except (EndpointError, ServiceError, ConnectionClosed, OSError) as exc:
        print(f"text_in_audio_out: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
