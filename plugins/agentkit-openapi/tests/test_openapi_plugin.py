"""The OpenAPI plugin against a real HTTP server on loopback (stdlib, in a thread)."""

from __future__ import annotations

import json
import re
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import anyio
import pytest
import yaml
from agentkit_openapi import OpenAPIError, openapi_toolset

from agentkit.tools import ToolOutcome, Toolset, execute_tool, load_plugin

SECRET = "Bearer s3cret-token"

PET = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "species": {"$ref": "#/components/schemas/Species"}},
    "required": ["name"],
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "1"},
    "servers": [{"url": "/api"}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "summary": "List pets, optionally by species.",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer"},
                        "description": "Most to return.",
                    },
                    {"name": "species", "in": "query", "schema": {"$ref": "#/components/schemas/Species"}},
                ],
            },
            "post": {
                "operationId": "createPet",
                "description": "Add a pet\n   to the store.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
                },
            },
        },
        "/pets/{petId}": {
            "parameters": [{"$ref": "#/components/parameters/PetId"}],
            "get": {
                "operationId": "getPet",
                "summary": "Get one pet.",
                "parameters": [{"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}}],
            },
            "delete": {"summary": "Remove a pet."},
        },
        "/secure": {"get": {"operationId": "whoAmI", "summary": "Who is calling."}},
    },
    "components": {
        "schemas": {"Species": {"type": "string", "enum": ["cat", "dog"]}, "Pet": PET},
        "parameters": {
            "PetId": {"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}},
        },
    },
}


class PetServer(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.seen.append(
            {
                "method": self.command,
                "path": url.path,
                "query": parse_qs(url.query),
                "headers": self.headers,
                "body": body,
            }
        )
        route = (self.command, url.path)
        if route == ("GET", "/openapi.json"):
            self._reply(200, DOCUMENT)
        elif route == ("GET", "/api/pets"):
            self._reply(200, [{"name": "Tom", "species": "cat"}])
        elif route == ("POST", "/api/pets"):
            self._reply(201, {"created": body})
        elif self.command == "GET" and url.path.startswith("/api/pets/"):
            pet_id = unquote(url.path.removeprefix("/api/pets/"))
            if pet_id == "missing":
                self._reply(404, {"error": "no such pet"})
            else:
                self._reply(200, {"id": pet_id})
        elif self.command == "DELETE" and url.path.startswith("/api/pets/"):
            self.send_response(204)
            self.end_headers()
        elif route == ("GET", "/api/secure"):
            if self.headers.get("Authorization") == SECRET:
                self._reply(200, "you are the owner", content_type="text/plain")
            else:
                self._reply(401, {"error": "unauthorised"})
        else:
            self._reply(404, {"error": "no route"})

    def _reply(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def running_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    handler = type("Handler", (PetServer,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture
def server(running_server: tuple[str, list[dict[str, Any]]]) -> tuple[str, list[dict[str, Any]]]:
    running_server[1].clear()
    return running_server


@pytest.fixture
def tools(server: tuple[str, list[dict[str, Any]]]) -> Toolset:
    base, _ = server
    return openapi_toolset(f"{base}/openapi.json", headers={"Authorization": SECRET})


async def call(tools: Toolset, name: str, arguments: dict[str, Any]) -> ToolOutcome:
    with anyio.fail_after(10):
        return await execute_tool(tools.get(name), name=name, call_id="c1", arguments=json.dumps(arguments))


def test_every_operation_becomes_a_tool(tools: Toolset) -> None:
    assert tools.names() == ["listPets", "createPet", "getPet", "delete_pets_petId", "whoAmI"]
    assert tools["delete_pets_petId"].description == "Remove a pet."
    assert tools["createPet"].description == "Add a pet to the store."


def test_schemas_from_parameters_and_body(tools: Toolset) -> None:
    assert tools["listPets"].definition() == {
        "type": "function",
        "name": "listPets",
        "description": "List pets, optionally by species.",
        "parameters": {
            "type": "object",
            "properties": {
                "limit": {"type": "integer", "description": "Most to return."},
                "species": {"type": "string", "enum": ["cat", "dog"]},
            },
        },
    }
    assert tools["getPet"].parameters == {
        "type": "object",
        "properties": {"petId": {"type": "string"}, "X-Request-Id": {"type": "string"}},
        "required": ["petId"],
    }
    species = {"type": "string", "enum": ["cat", "dog"]}
    assert tools["createPet"].parameters == {
        "type": "object",
        "properties": {"body": {**PET, "properties": {"name": {"type": "string"}, "species": species}}},
        "required": ["body"],
    }


@pytest.mark.anyio
async def test_query_parameters_and_auth_header(
    tools: Toolset, server: tuple[str, list[dict[str, Any]]]
) -> None:
    _, seen = server
    outcome = await call(tools, "listPets", {"limit": 5, "species": "cat"})
    assert outcome.output == '[{"name":"Tom","species":"cat"}]'
    request = seen[-1]
    assert (request["method"], request["path"], request["query"]) == (
        "GET",
        "/api/pets",
        {"limit": ["5"], "species": ["cat"]},
    )
    assert request["headers"]["Authorization"] == SECRET


@pytest.mark.anyio
async def test_path_and_header_parameters(tools: Toolset, server: tuple[str, list[dict[str, Any]]]) -> None:
    _, seen = server
    outcome = await call(tools, "getPet", {"petId": "a/b c", "X-Request-Id": "r-1"})
    assert json.loads(outcome.output) == {"id": "a/b c"}
    assert seen[-1]["path"] == "/api/pets/a%2Fb%20c"
    assert seen[-1]["headers"]["X-Request-Id"] == "r-1"


@pytest.mark.anyio
@pytest.mark.parametrize("pet_id", [".", "..", ""])
async def test_path_values_cannot_move_the_request_to_another_endpoint(
    tools: Toolset, server: tuple[str, list[dict[str, Any]]], pet_id: str
) -> None:
    """`DELETE /pets/{petId}` with `.` would become `DELETE /pets` (URLs drop dot segments)."""
    _, seen = server
    outcome = await call(tools, "delete_pets_petId", {"petId": pet_id})
    assert outcome.status == "tool_error"
    assert outcome.output == f"path parameter petId cannot be {pet_id!r}: it would change the endpoint"
    assert [request["path"] for request in seen] == ["/openapi.json"], "no API request was sent"


@pytest.mark.anyio
async def test_configured_headers_win_over_header_arguments(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, seen = server
    configured = openapi_toolset(
        f"{base}/openapi.json", headers={"x-request-id": "operator", "Authorization": SECRET}
    )
    await call(configured, "getPet", {"petId": "p", "X-Request-Id": "from-the-model"})
    assert seen[-1]["headers"].get_all("X-Request-Id") == ["operator"]


@pytest.mark.anyio
async def test_json_body(tools: Toolset, server: tuple[str, list[dict[str, Any]]]) -> None:
    _, seen = server
    outcome = await call(tools, "createPet", {"body": {"name": "Rex", "species": "dog"}})
    assert json.loads(outcome.output) == {"created": {"name": "Rex", "species": "dog"}}
    assert seen[-1]["body"] == {"name": "Rex", "species": "dog"}


@pytest.mark.anyio
async def test_empty_and_text_responses(tools: Toolset) -> None:
    assert (await call(tools, "delete_pets_petId", {"petId": "7"})).output == '{"status":204}'
    assert (await call(tools, "whoAmI", {})).output == "you are the owner"


@pytest.mark.anyio
async def test_http_error_reaches_the_model(tools: Toolset) -> None:
    outcome = await call(tools, "getPet", {"petId": "missing"})
    assert outcome.status == "tool_error"
    assert outcome.output == 'GET /pets/missing returned HTTP 404: {"error": "no such pet"}'


@pytest.mark.anyio
async def test_missing_required_argument(tools: Toolset) -> None:
    outcome = await call(tools, "getPet", {})
    assert outcome.status == "invalid_arguments"
    assert outcome.output == "invalid arguments for tool getPet: petId: Field required"


@pytest.mark.anyio
async def test_wrong_credentials_and_secrets_stay_hidden(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = server
    tools = openapi_toolset(f"{base}/openapi.json", headers={"Authorization": "Bearer wrong-secret"})
    outcome = await call(tools, "whoAmI", {})
    assert outcome.output == 'GET /secure returned HTTP 401: {"error": "unauthorised"}'
    assert "wrong-secret" not in repr(tools) + repr(tools["whoAmI"]) + repr(outcome)


@pytest.mark.anyio
async def test_unreachable_server_is_a_tool_error(
    server: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    document = tmp_path / "pets.yaml"
    document.write_text(yaml.safe_dump(DOCUMENT))
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tools = openapi_toolset(document, base_url=f"http://127.0.0.1:{port}/api", operations=["whoAmI"])
    outcome = await call(tools, "whoAmI", {})
    assert outcome.status == "tool_error"
    assert outcome.output.startswith("GET /secure failed: ConnectError")


def test_allow_list(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = server
    tools = openapi_toolset(DOCUMENT, base_url=f"{base}/api", operations=["getPet", "delete_pets_petId"])
    assert tools.names() == ["getPet", "delete_pets_petId"]
    with pytest.raises(OpenAPIError, match="unknown operations nope; the document has: listPets, createPet"):
        openapi_toolset(DOCUMENT, base_url=base, operations=["nope"])


def test_document_url_credentials_stay_out_of_errors(server: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = server
    host = base.removeprefix("http://")
    with pytest.raises(OpenAPIError) as missing:
        openapi_toolset(f"http://user:pa55word@{host}/nowhere.json?api_key=k3y-in-query")
    assert str(missing.value) == f"cannot fetch the OpenAPI document from {base}/nowhere.json?...: HTTP 404"
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OpenAPIError, match="ConnectError") as unreachable:
        openapi_toolset(f"http://127.0.0.1:{port}/openapi.json?token=k3y-in-query")
    for error in (missing.value, unreachable.value):
        shown = "".join(traceback.format_exception(type(error), error, None))
        assert "k3y-in-query" not in shown
        assert "pa55word" not in shown


def test_document_errors(tmp_path: Path) -> None:
    with pytest.raises(OpenAPIError, match="no absolute server URL; pass base_url"):
        openapi_toolset(DOCUMENT)
    with pytest.raises(OpenAPIError, match="is not an OpenAPI 3 document"):
        openapi_toolset({"swagger": "2.0"}, base_url="http://x")
    with pytest.raises(OpenAPIError, match="cannot read the OpenAPI document"):
        openapi_toolset(tmp_path / "absent.json")
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: [unclosed")
    with pytest.raises(OpenAPIError, match="neither JSON nor YAML"):
        openapi_toolset(broken)


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ([1], "paths must be an object, got list"),
        ({"/a": [1]}, "paths./a must be an object, got list"),
        ({"/a": {"parameters": 5, "get": {}}}, "paths./a.parameters must be a list, got int"),
        ({"/a": {"get": {"parameters": {"q": 1}}}}, "paths./a.get.parameters must be a list, got dict"),
        (
            {"/a": {"get": {"parameters": [{"in": "query", "name": ["q"]}]}}},
            "paths./a.get.parameters name must be a string, got list",
        ),
        (
            {"/a": {"get": {"parameters": [{"in": "query", "name": "q", "schema": 5}]}}},
            "paths./a.get.parameters.q.schema must be an object, got int",
        ),
        (
            {"/a": {"post": {"requestBody": {"content": [1]}}}},
            "paths./a.post.requestBody.content must be an object, got list",
        ),
        (
            {"/a": {"post": {"requestBody": {"content": {"application/json": {"schema": 5}}}}}},
            "paths./a.post.requestBody schema must be an object, got int",
        ),
    ],
)
def test_malformed_operations_name_the_place(paths: Any, message: str) -> None:
    with pytest.raises(OpenAPIError, match=re.escape(message)):
        openapi_toolset({"openapi": "3.0.0", "paths": paths}, base_url="http://x")


@pytest.mark.parametrize(
    "text", ['{"openapi": "3.0.0", "a": ' + "[" * 100_000 + "]" * 100_000 + "}", "a: " + "[" * 100_000]
)
def test_too_deeply_nested_document_is_an_openapi_error(tmp_path: Path, text: str) -> None:
    deep = tmp_path / "deep.txt"
    deep.write_text(text)
    with pytest.raises(OpenAPIError, match="nested too deeply"):
        openapi_toolset(deep, base_url="http://x")


def test_entry_point_reads_the_environment(
    server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    monkeypatch.setenv("AGENTKIT_OPENAPI_DOCUMENT", f"{base}/openapi.json")
    monkeypatch.setenv("AGENTKIT_OPENAPI_HEADERS", json.dumps({"Authorization": SECRET}))
    monkeypatch.setenv("AGENTKIT_OPENAPI_OPERATIONS", "whoAmI, getPet")
    assert load_plugin("openapi").names() == ["getPet", "whoAmI"]
    monkeypatch.delenv("AGENTKIT_OPENAPI_DOCUMENT")
    with pytest.raises(Exception, match="set AGENTKIT_OPENAPI_DOCUMENT"):
        load_plugin("openapi")
