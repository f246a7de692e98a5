"""The MCP server as an assistant meets it: a separate process on stdio, driven by the SDK's client.

Uses the model-free `hash` embedder so the tests stay fast; every exchange runs under a timeout,
so a server that stops answering fails a test instead of hanging the run.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult

from r2p_search.indexer import build_index

from .conftest import SPEECH, run_cli, write_files

SYRIA = {
    "2011/SYR_66_2011.txt": (
        "Syria rejects any foreign interference in its internal affairs.\n\n"
        "The protection of civilians is the first duty of the Government of the Syrian Arab Republic.\n\n"
        "We call for dialogue and for reforms decided by the Syrian people themselves.\n"
    ),
}
TIMEOUT = 60  # seconds for one whole session: far above the few a healthy one takes


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mcp")
    corpus = write_files(root / "corpus", SPEECH | SYRIA)
    build_index(corpus, root / "index", model="hash")
    return root / "index"


def server_command(index_dir: Path) -> list[str]:
    return [sys.executable, "-m", "r2p_search", "mcp", "--index", str(index_dir)]


@asynccontextmanager
async def connected(index_dir: Path) -> AsyncIterator[Client]:
    command, *args = server_command(index_dir)
    # The whole environment, not the SDK's short list: the test run's model cache goes along.
    params = StdioServerParameters(command=command, args=args, env=dict(os.environ))
    with anyio.fail_after(TIMEOUT):
        async with Client(params) as client:
            yield client


def payload(result: CallToolResult) -> dict[str, Any]:
    """The tool's answer, checked to be the same in structured content and in the text block."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    assert result.structured_content is None
    (block,) = result.content
    assert "\n" not in block.text, block.text  # one line, as the command line prints it
    return block.text


@pytest.mark.anyio
async def test_tools_are_listed_with_their_arguments(index_dir: Path) -> None:
    async with connected(index_dir) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {"search", "similar", "similar_text", "show", "timeline"}
    schema = tools["search"].input_schema
    assert schema["required"] == ["query"]
    assert {"k", "mode", "country", "year", "years", "symbol", "doc", "per_doc", "group_by"} <= set(
        schema["properties"]
    )
    assert tools["similar"].input_schema["required"] == ["passage_id"]
    assert tools["similar_text"].input_schema["required"] == ["text"]
    assert tools["show"].input_schema["required"] == ["passage_id"]
    assert tools["timeline"].input_schema["required"] == ["query"]
    for tool in tools.values():
        assert "2011/SYR_66_2011:3" in (tool.description or "")  # the assistant learns the id's shape
        assert tool.annotations is not None and tool.annotations.read_only_hint
    assert "A/66/874" in (tools["search"].description or "")


@pytest.mark.anyio
async def test_search_answers_what_the_command_prints(index_dir: Path) -> None:
    query = "protection of civilians"
    async with connected(index_dir) as client:
        plain = payload(await client.call_tool("search", {"query": query}))
        scoped = payload(await client.call_tool("search", {"query": query, "country": "Syria", "k": 2}))
    printed = run_cli("search", query, "--index", str(index_dir), "--json")
    assert printed.returncode == 0, printed.stderr
    assert plain == json.loads(printed.stdout)
    printed = run_cli("search", query, "--index", str(index_dir), "--json", "--country", "Syria", "-k", "2")
    assert printed.returncode == 0, printed.stderr
    assert scoped == json.loads(printed.stdout)
    assert [hit["doc_id"] for hit in scoped["results"]] == ["2011/SYR_66_2011"] * len(scoped["results"])
    assert scoped["results"]


@pytest.mark.anyio
async def test_similar_and_show_take_a_passage_id_from_search(index_dir: Path) -> None:
    async with connected(index_dir) as client:
        found = payload(await client.call_tool("search", {"query": "Syrian people dialogue", "k": 1}))
        passage_id = found["results"][0]["passage_id"]
        assert passage_id.startswith("2011/SYR_66_2011:")
        shown = payload(await client.call_tool("show", {"passage_id": passage_id, "context": 1}))
        alike = payload(await client.call_tool("similar", {"passage_id": passage_id, "k": 3}))
    assert shown["passage_id"] == passage_id
    (target,) = [p for p in shown["passages"] if p["target"]]
    assert target["text"] == found["results"][0]["text"]
    assert len(shown["passages"]) > 1  # its neighbour came along
    assert alike["passage_id"] == passage_id
    assert 0 < len(alike["results"]) <= 3
    assert passage_id not in {hit["passage_id"] for hit in alike["results"]}


@pytest.mark.anyio
async def test_similar_text_answers_what_similar_text_prints(index_dir: Path) -> None:
    draft = "Our Government's first duty is to protect civilians; reforms come from the people."
    async with connected(index_dir) as client:
        alike = payload(await client.call_tool("similar_text", {"text": draft, "k": 3, "country": "Syria"}))
        empty = error_text(await client.call_tool("similar_text", {"text": " "}))
    printed = run_cli(
        "similar", "--text", draft, "-k", "3", "--country", "Syria", "--index", str(index_dir), "--json"
    )
    assert printed.returncode == 0, printed.stderr
    assert alike == json.loads(printed.stdout)
    assert alike["passage_id"] is None and alike["results"]
    assert {hit["doc_id"] for hit in alike["results"]} == {"2011/SYR_66_2011"}
    assert "empty text" in empty


@pytest.mark.anyio
async def test_user_errors_are_tool_errors_and_the_server_keeps_answering(index_dir: Path) -> None:
    async with connected(index_dir) as client:
        missing = error_text(await client.call_tool("show", {"passage_id": "2011/SYR_66_2011:999"}))
        empty = error_text(await client.call_tool("search", {"query": "  "}))
        bad_k = error_text(await client.call_tool("similar", {"passage_id": "alpha:1", "k": 0}))
        timeline = payload(await client.call_tool("timeline", {"query": "protection of civilians"}))
        again = payload(await client.call_tool("search", {"query": "famine", "k": 1}))
    assert "no passage '2011/SYR_66_2011:999'" in missing
    assert "empty query" in empty
    assert "at least 1" in bad_k
    assert "Traceback" not in missing + empty + bad_k
    assert timeline["by"] == "year" and timeline["buckets"]
    assert again["results"][0]["doc_id"] == "alpha"


@pytest.mark.anyio
async def test_stdout_carries_json_rpc_only(index_dir: Path) -> None:
    """A print() and a raw write to descriptor 1, in a tool or before serving, all miss the wire."""
    noisy = (
        "import os, sys\n"
        "import r2p_search.api as api\n"
        "search = api.search\n"
        "def loud(*args, **kwargs):\n"
        "    print('stray print')\n"
        "    os.write(1, b'stray write\\n')\n"
        "    return search(*args, **kwargs)\n"
        "api.search = loud\n"
        "print('stray print before serving')\n"  # still in Python's buffer when serving starts
        "from r2p_search.cli import main\n"
        f"sys.argv = {['r2p-search', *server_command(index_dir)[3:]]!r}\n"
        "main()\n"
    )
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "search", "arguments": {"query": "famine", "k": 1}},
        },
    ]
    with anyio.fail_after(TIMEOUT):
        # Buffered as an assistant runs it: unbuffered, a stray print would go out at once and a
        # print held until exit (when descriptor 1 is the wire again) would go untested.
        env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
        async with await anyio.open_process([sys.executable, "-c", noisy], env=env) as process:
            assert process.stdin is not None and process.stdout is not None and process.stderr is not None
            for request in requests:
                await process.stdin.send((json.dumps(request) + "\n").encode())
            out = b""
            # The server ends at the end of its input: close stdin only once the tool has answered.
            while b'"id":2' not in out:
                out += await process.stdout.receive()
            await process.stdin.aclose()
            async for chunk in process.stdout:  # whatever else it writes, up to its exit
                out += chunk
            err = b"".join([chunk async for chunk in process.stderr])
            assert await process.wait() == 0, err.decode()
    lines = out.decode().splitlines()
    messages = [json.loads(line) for line in lines]  # every line on stdout is JSON
    assert all(message.get("jsonrpc") == "2.0" for message in messages)
    answers = {message["id"]: message for message in messages if "id" in message}
    assert answers[1]["result"]["serverInfo"]["name"] == "r2p-search"
    assert answers[2]["result"]["structuredContent"]["results"][0]["doc_id"] == "alpha"
    assert "stray print" in err.decode()  # diverted, not lost
    assert "stray write" in err.decode()
    assert "stray print before serving" in err.decode()


@pytest.mark.anyio
async def test_a_new_build_is_served_without_a_restart(
    make_corpus: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    corpus = make_corpus(SPEECH)
    index = tmp_path / "index"
    async with connected(index) as client:
        # No index yet: a tool error that says what to do, not a dead server.
        assert "no index" in error_text(await client.call_tool("search", {"query": "Syria"}))
        for added, expected in ((SPEECH, "alpha"), (SYRIA, "2011/SYR_66_2011")):
            write_files(corpus, added)
            await anyio.to_thread.run_sync(lambda: build_index(corpus, index, model="hash"))
            while True:  # the server looks for a new build about once a second
                result = await client.call_tool("search", {"query": "Syrian people dialogue", "k": 1})
                if not result.is_error and payload(result)["results"][0]["doc_id"] == expected:
                    break
                await anyio.sleep(0.2)
