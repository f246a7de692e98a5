"""`r2p-search serve`: the HTTP API's contract, the page, a live index, a real server under load."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from r2p_search.indexer import build_index
from r2p_search.live import LiveIndex
from r2p_search.web.app import MAX_BODY, create_app

from .conftest import SPEECH, run_cli

XSS = {
    "evil/script.txt": "Our delegation insists: <script>alert(1)</script> is words about famine.\n",
    "evil/img.md": "# <img src=x onerror=alert(1)>\n\nOn famine, <img src=x onerror=alert(1)> inside.\n",
}
MARKUP = {"sic.txt": "The delegate wrote [sic] and [bold]:warning:[/bold] beside the famine figures.\n"}
CORPUS = {**SPEECH, **XSS, **MARKUP, "SYR_66_2011.txt": SPEECH["alpha.txt"]}
CLI = [sys.executable, "-m", "r2p_search"]


@pytest.fixture
def served(make_corpus: Callable, tmp_path: Path) -> Iterator[tuple[TestClient, Path, Path]]:
    corpus = make_corpus(CORPUS)
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, model="hash")
    with TestClient(create_app(LiveIndex(index_dir, check_every=0.2))) as client:
        yield client, corpus, index_dir


def cli_json(*args: str) -> dict:
    done = run_cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_api_answers_what_the_cli_prints(served: tuple[TestClient, Path, Path]) -> None:
    client, corpus, index_dir = served
    where = ("--index", str(index_dir), "--corpus", str(corpus))
    got = client.get("/api/search", params={"q": "famine in the region", "k": 3, "explain": "true"})
    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    assert got.json() == cli_json("search", "famine in the region", "-k", "3", "--explain", *where)
    scoped = client.get("/api/search", params=[("q", "civilians"), ("doc", "sub/gamma"), ("mode", "lexical")])
    assert scoped.json() == cli_json("search", "civilians", "--doc", "sub/gamma", "--mode", "lexical", *where)
    many = client.post("/api/search", json={"queries": ["famine", "nuclear treaty"], "k": 2})
    assert many.status_code == 200
    assert many.json()["results"] == [
        client.get("/api/search", params={"q": q, "k": 2}).json() for q in ("famine", "nuclear treaty")
    ]
    # Passage ids hold "/": the route takes the rest of the path.
    assert client.get("/api/similar/sub/gamma:1", params={"k": 2}).json() == cli_json(
        "similar", "sub/gamma:1", "-k", "2", *where
    )
    shown = client.get("/api/show/sub/gamma:2", params={"context": 1}).json()
    assert shown == cli_json("show", "sub/gamma:2", "-C", "1", *where)
    assert [p["target"] for p in shown["passages"]].count(True) == 1
    timeline = client.get("/api/timeline", params={"q": "famine", "by": "country"}).json()
    assert timeline == cli_json("timeline", "famine", "--by", "country", *where)
    status = client.get("/api/status").json()
    assert status["built"] and status["documents"] == 7 and status["serving"].startswith("gen-")
    # Square brackets and colons in a document are text, in the API and on the command line.
    sic = client.get("/api/search", params={"q": "delegate wrote famine figures", "k": 1}).json()
    assert sic == cli_json("search", "delegate wrote famine figures", "-k", "1", *where)
    assert "[sic] and [bold]:warning:[/bold]" in sic["results"][0]["text"]
    assert "corpus" not in status  # the index side only: the server needs no corpus


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "message"),
    [
        ("get", "/api/search", {}, 400, "empty query"),
        ("get", "/api/search", {"q": "  "}, 400, "empty query"),
        ("get", "/api/search", {"q": "x", "k": "abc"}, 400, "k:"),
        ("get", "/api/search", {"q": "x", "k": "0"}, 400, "-k must be at least 1"),
        ("get", "/api/search", {"q": "x", "mode": "HYBRID"}, 400, "unknown mode"),
        ("get", "/api/search", {"q": "x", "group_by": "year"}, 400, "cannot group by"),
        ("get", "/api/search", {"q": "x", "country": "Atlantis"}, 400, "unknown country"),
        ("get", "/api/search", {"q": "x", "organ": "UNICEF"}, 400, "unknown organ"),
        ("get", "/api/search", {"q": "x", "doc": "nope"}, 400, "no document 'nope' in this index (--doc"),
        ("get", "/api/search", {"q": "x", "qq": "1"}, 400, "unknown parameter 'qq'"),
        ("get", "/api/timeline", {"q": "x", "by": "decade"}, 400, "--by"),
        ("get", "/api/show/nope:1", {}, 404, "no passage 'nope:1'"),
        ("get", "/api/show/..%2F..%2Fetc%2Fpasswd", {}, 404, "no passage"),
        ("get", "/api/similar/alpha:1", {"per_doc": "0"}, 400, "--per-doc"),
        ("get", "/api/nothing", {}, 404, "no such page"),
    ],
)
def test_api_errors_are_json_with_the_right_status(
    served: tuple[TestClient, Path, Path], method: str, path: str, params: dict, status: int, message: str
) -> None:
    client, _, _ = served
    got = getattr(client, method)(path, params=params)
    assert got.status_code == status, got.text
    body = got.json()
    assert list(body) == ["error"] and message in body["error"]
    assert "Traceback" not in got.text and "detail" not in body


def test_post_bodies_are_checked_and_limited(served: tuple[TestClient, Path, Path]) -> None:
    client, _, _ = served
    bad = [
        ({"queries": []}, "non-empty list"),
        ({"queries": "famine"}, "non-empty list"),
        ({"queries": ["famine"], "k": "3"}, '"k" must be a whole number'),
        ({"queries": ["famine"], "kk": 3}, "unknown field 'kk'"),
    ]
    for body, message in bad:
        got = client.post("/api/search", json=body)
        assert got.status_code == 400 and message in got.json()["error"], got.text
    typed = [
        ({"queries": ["famine"], "country": 5}, '"country" must be a string or a list of strings'),
        ({"queries": ["famine"], "years": 2011}, '"years" must be a string'),
        ({"queries": ["famine"], "explain": "false"}, '"explain" must be true or false'),
    ]
    for body, message in typed:
        got = client.post("/api/search", json=body)
        assert got.status_code == 400 and message in got.json()["error"], got.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body arrives in pieces
        for _ in range(MAX_BODY // 1024 + 2):
            yield b" " * 1024

    chunked = client.post("/api/search", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413 and "over" in chunked.json()["error"]
    not_json = client.post("/api/search", content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and "error" in not_json.json()
    huge = client.post(
        "/api/search", content=b"x" * (MAX_BODY + 1), headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413 and "over" in huge.json()["error"]
    long_url = client.get("/api/search", params={"q": "x" * 9000})
    assert long_url.status_code == 414


def test_a_damaged_manifest_is_503_on_the_page_too(served: tuple[TestClient, Path, Path]) -> None:
    client, _, index_dir = served
    (index_dir / "manifest.json").write_text("{ damaged")
    page = client.get("/")
    assert page.status_code == 200 and "damaged" in page.text  # the page says so, and still renders
    assert client.get("/api/status").status_code == 503
    # The build already loaded keeps answering: damage on disk is never served.
    assert client.get("/api/search", params={"q": "famine"}).status_code == 200


def test_no_index_is_503_and_status_still_answers(tmp_path: Path) -> None:
    with TestClient(create_app(LiveIndex(tmp_path / "none"))) as client:
        got = client.get("/api/search", params={"q": "famine"})
        assert got.status_code == 503 and "r2p-search index" in got.json()["error"]
        assert client.get("/api/status").json()["built"] is False
        assert client.get("/", params={"q": "famine"}).status_code == 503


def test_page_renders_results_on_the_server_with_marks_links_and_downloads(
    served: tuple[TestClient, Path, Path],
) -> None:
    client, _, _ = served
    page = client.get("/", params={"q": "famine harvests", "k": 3})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<li class="hit"' in html and "<mark>Famine</mark>" in html and 'class="best"' in html
    # The rank and the citation, as in the terminal; the score only on hover.
    assert 'class="score"' not in html
    assert re.search(r'<span class="rank" title="score [\d.]+[^"]*">1\.</span>', html)
    assert re.search(r'href="/similar/[^"]+:\d+"', html) and re.search(r'href="/passage/[^"]+:\d+"', html)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in html.replace('<script src="/static/app.js" defer></script>', "")
    csv = client.get("/api/search.csv", params={"q": "famine", "k": 3})
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("rank,score,citation")
    assert csv.text.splitlines()[1].startswith("1,0.")  # numbers stay numbers
    assert len(csv.text.strip().splitlines()) >= 2
    timeline = client.get("/", params={"q": "famine", "view": "timeline"})
    assert timeline.status_code == 200 and "<svg" in timeline.text
    context = client.get("/passage/sub/gamma:2")
    assert context.status_code == 200 and "Security Council authorised" in context.text
    similar = client.get("/similar/sub/gamma:2")
    assert similar.status_code == 200 and '<li class="hit"' in similar.text
    assert 'href="/similar/sub/gamma:2?other_speakers=true"' in similar.text
    others = client.get("/similar/sub/gamma:2", params={"other_speakers": "true"})
    assert others.status_code == 200 and "From other speakers only" in others.text
    missing = client.get("/passage/nope:1")
    assert missing.status_code == 404 and "no passage" in missing.text
    assert client.get("/api/docs").status_code == 200
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200  # offline: no CDN
    assert client.get("/api/openapi.json").json()["paths"]["/api/search"]


def test_document_text_is_escaped_everywhere(served: tuple[TestClient, Path, Path]) -> None:
    client, _, _ = served
    for path in (
        "/?q=alert+famine+delegation",
        "/passage/evil/script:1",
        "/passage/evil/img:1",
        "/similar/evil/img:1",
    ):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;img src=x" in html, path


def test_a_new_build_is_served_without_a_restart_and_a_lease_keeps_its_build(
    make_corpus: Callable, tmp_path: Path
) -> None:
    corpus = make_corpus(SPEECH)
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, model="hash")
    with LiveIndex(index_dir, check_every=0.1, notify=lambda m: None) as live:
        first = live.generation
        with live.lease() as old:
            (corpus / "new.txt").write_text("Drought and locusts ruined the sorghum harvest in the Sahel.\n")
            build_index(corpus, index_dir, model="hash")
            deadline = time.monotonic() + 5
            while live.generation == first and time.monotonic() < deadline:
                time.sleep(0.05)
            assert live.generation != first  # served within seconds
            # The request that started on the old build still answers from it, whole.
            assert not any(h.doc_id == "new" for h in old.search("locusts sorghum", k=3, mode="lexical"))
        with live.lease() as new:
            assert new.search("locusts sorghum", k=1, mode="lexical")[0].doc_id == "new"
        with pytest.raises(Exception):  # noqa: B017 -- the old build was closed when its lease ended
            old.store.db.execute("SELECT 1")


def test_requests_beyond_the_workers_wait_their_turn(make_corpus: Callable, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(make_corpus(SPEECH), index_dir, model="hash")
    with LiveIndex(index_dir, notify=lambda m: None, workers=2) as live:
        held: list[str] = []
        release = threading.Event()

        def hold(name: str) -> None:
            with live.lease():
                held.append(name)
                release.wait(10)

        threads = [threading.Thread(target=hold, args=(n,)) for n in ("a", "b", "c")]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        assert len(held) == 2  # the third waits
        release.set()
        for thread in threads:
            thread.join(10)
        assert sorted(held) == ["a", "b", "c"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(params=[1, 2], ids=["one process", "two processes"])
def server(
    make_corpus: Callable, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, subprocess.Popen, Path, Path]]:
    corpus = make_corpus(CORPUS)
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, model="hash")
    port = free_port()
    where = ["--index", str(index_dir), "--port", str(port), "--processes", str(request.param)]
    process = subprocess.Popen(
        [sys.executable, "-m", "r2p_search", "serve", *where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if fetch(base + "/api/status", timeout=2)[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"server did not start: {process.communicate()[1]}")
    yield base, process, corpus, index_dir
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_real_server_answers_and_stops_cleanly_on_sigterm_or_ctrl_c(
    server: tuple[str, subprocess.Popen, Path, Path], stop: signal.Signals
) -> None:
    base, process, _, _ = server
    children = _children(process.pid)
    status, body = fetch(base + "/api/search?q=famine&k=2")
    assert status == 200 and len(json.loads(body)["results"]) == 2
    assert fetch(base + "/api/show/nope:1")[0] == 404
    process.send_signal(stop)
    started = time.monotonic()
    out, err = process.communicate(timeout=10)
    assert time.monotonic() - started < 10
    assert process.returncode == 0, err
    assert out == "" and "Traceback" not in err and "127.0.0.1" in err
    # No server process outlives the command (multiprocessing's resource tracker ends just after).
    assert not _outliving(children, within=3)


def test_server_processes_stop_when_their_parent_is_killed_outright(
    server: tuple[str, subprocess.Popen, Path, Path],
) -> None:
    _, process, _, _ = server
    children = _children(process.pid)
    process.kill()
    process.wait()
    assert not _outliving(children, within=15)


def _outliving(pids: list[int], within: float) -> list[int]:
    deadline = time.monotonic() + within
    while [pid for pid in pids if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.2)
    return [pid for pid in pids if _alive(pid)]


def _children(pid: int) -> list[int]:
    listed = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(child) for child in listed.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"  # a zombie has stopped, waiting to be reaped
    except FileNotFoundError:
        return False


def test_twenty_clients_meet_no_error_while_a_rebuild_commits(
    server: tuple[str, subprocess.Popen, Path, Path],
) -> None:
    base, _, corpus, index_dir = server
    questions = ["famine", "nuclear disarmament", "protect civilians in Libya", "climate change islands", "A"]
    errors: list[str] = []
    answered: list[int] = []
    rebuilt = threading.Event()

    def client(n: int) -> None:
        for i in range(15):
            q = urllib.request.quote(questions[(n + i) % len(questions)])
            status, body = fetch(f"{base}/api/search?q={q}&k=5")
            if status != 200:
                errors.append(f"{status}: {body[:200]!r}")
            else:
                answered.append(len(json.loads(body)["results"]))

    def rebuild() -> None:
        (corpus / "late.txt").write_text("Locusts and drought ruined the sorghum harvest in the Sahel.\n")
        build_index(corpus, index_dir, model="hash")
        rebuilt.set()

    with ThreadPoolExecutor(21) as pool:
        builder = pool.submit(rebuild)
        list(pool.map(client, range(20)))
        builder.result()
    assert errors == [] and len(answered) == 300
    assert rebuilt.is_set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _, body = fetch(f"{base}/api/search?q=locusts+sorghum&k=1&mode=lexical")
        if json.loads(body)["results"] and json.loads(body)["results"][0]["doc_id"] == "late":
            break
        time.sleep(0.2)
    else:
        pytest.fail("the rebuilt index was not served within 10 s")


def test_serve_refuses_a_taken_port_in_one_line_and_warns_off_loopback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("serve", "--index", str(tmp_path / "index"), "--port", str(port))
    assert done.returncode == 1 and "cannot listen on 127.0.0.1" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    process = subprocess.Popen(
        [*CLI, "serve", "--index", str(tmp_path / "index"), "--host", "0.0.0.0", "--port", str(free_port())],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        line = ""
        deadline = time.monotonic() + 20
        while "warning" not in line and time.monotonic() < deadline:
            line = process.stderr.readline() if process.stderr else ""
        assert "warning: listening on 0.0.0.0" in line
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
