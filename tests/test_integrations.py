"""robopages: tools built from a small robopages-like server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from _scripted import Call, ScriptedChat
from _scripted import scripted as scripted  # fixture

from rigging.generator import get_generator
from rigging.integrations import RobopagesTool, robopages

FUNCTIONS = [
    {
        "type": "function",
        "function": {
            "name": "http_get",
            "description": "Fetch a URL.",
            "parameters": {
                "type": "object",
                "properties": {"url": {"type": "string"}},
                "required": ["url"],
            },
        },
    },
    {
        "type": "function",
        "function": {"name": "nmap_scan", "description": "Scan a host.", "parameters": None},
    },
]


class _Handler(BaseHTTPRequestHandler):
    posted: list[Any]

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if not self.path.endswith("?flavor=openai") or self.path.startswith("/nothing"):
            self._send(404, "no")
            return
        self._send(200, json.dumps(FUNCTIONS))

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).posted.append(body)
        args = body[0]["function"]["arguments"]
        if args.get("url") == "bad":
            self._send(400, "invalid url: bad")
        elif args.get("url") == "boom":
            self._send(500, "server error")
        else:
            self._send(200, json.dumps([{"content": f"<html>{args['url']}</html>"}]))


@pytest.fixture
def server() -> Iterator[tuple[str, list[Any]]]:
    posted: list[Any] = []
    handler = type("Handler", (_Handler,), {"posted": posted})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", posted
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_tools_from_the_function_list(server: tuple[str, list[Any]]) -> None:
    url, _ = server
    tools = robopages(url)
    assert [t.name for t in tools] == ["http_get", "nmap_scan"]
    assert tools[0].definition.function.parameters == FUNCTIONS[0]["function"]["parameters"]  # type: ignore[index]
    assert tools[0].description == "Fetch a URL."
    assert tools[1].definition.function.parameters is None
    (nmap,) = robopages(url + "/some/path", name_filter="^nmap")
    assert (nmap.name, nmap.base_url) == ("nmap_scan", url)


async def test_calls_are_posted_and_answers_returned(server: tuple[str, list[Any]]) -> None:
    url, posted = server
    tool = RobopagesTool(url + "/x", "http_get", "Fetch", FUNCTIONS[0]["function"]["parameters"])  # type: ignore[index]
    assert await tool.invoke('{"url": "a.com"}') == "<html>a.com</html>"
    assert posted[0] == [
        {
            "type": "function",
            "id": "",
            "function": {"name": "http_get", "arguments": {"url": "a.com"}},
        }
    ]
    assert await tool.invoke({"url": "bad"}) == "invalid url: bad"
    with pytest.raises(httpx.HTTPStatusError):
        await tool.invoke({"url": "boom"})


async def test_robopages_tools_in_a_chat(
    server: tuple[str, list[Any]], scripted: type[ScriptedChat]
) -> None:
    url, _ = server
    scripted.script = [
        Call("http_get", {}, id="c1"),
        Call("http_get", {"url": "boom"}, id="c2"),
        Call("http_get", {"url": "ok.com"}, id="c3"),
        "fetched",
    ]
    chat = await get_generator("gpt-4o").chat("fetch").using(*robopages(url)).run()
    results = [m.content for m in chat.messages if m.role == "tool"]
    assert results[0] == "Error: invalid arguments for tool 'http_get': missing url"
    assert results[1].startswith("Error: tool 'http_get' raised HTTPStatusError: Server error '500")
    assert results[2] == "<html>ok.com</html>"
    assert chat.last.content == "fetched"


def test_bad_server_answer(server: tuple[str, list[Any]]) -> None:
    url, _ = server
    with pytest.raises(httpx.HTTPStatusError):
        robopages(url + "/nothing")
