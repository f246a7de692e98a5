"""Hostile input, run as a user runs it: corpus files and queries that try to break the CLI.

Every command runs as a separate process with the model-free `hash` embedder. The working
directory and $R2P_CORPUS point at empty places, so a missing index can never trigger a build
of the shipped corpus with the real model.
"""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import r2p_search.indexer as indexer_module
from r2p_search.cli import app

from .conftest import SPEECH, write_files

TWO_GB = 2 * 1024**3


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def clean_env(cwd: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("R2P_") or k == "R2P_CACHE"}
    return env | {"R2P_CORPUS": str(cwd / "no-corpus"), "R2P_INDEX": str(cwd / "no-index")} | extra


# The child reports its own high-water mark: ru_maxrss from wait4 keeps the RSS the process had
# before exec, i.e. that of this test process at fork time (over 1 GB once a model is loaded).
CHILD = """
import atexit, os, runpy, sys

def report_peak() -> None:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["PEAK_RSS_FILE"], "w") as out:
        out.write(peak)

atexit.register(report_peak)
sys.argv[0] = "r2p-search"
runpy.run_module("r2p_search", run_name="__main__")
"""


def cli(*args: str, cwd: Path, timeout: float = 300, **env: str) -> Run:
    """Run `r2p-search ARGS` in its own process; measure its wall time and peak RSS (VmHWM)."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as scratch,
    ):
        peak_file = Path(scratch) / "peak"
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=clean_env(cwd, PEAK_RSS_FILE=str(peak_file), **env),
        )
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        try:
            proc.wait()
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        # A killed child reports nothing: its peak is then unknown, and no bound can pass.
        peak_kib = float(peak_file.read_text()) if peak_file.exists() else float("inf")
        return Run(
            args,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            peak_kib / 1024,
            seconds,
        )


def squash(text: str) -> str:
    """Text with its line wrapping undone (rich wraps long lines at the terminal width)."""
    return " ".join(text.split())


def assert_clean_exit(run: Run, code: int) -> None:
    """The exit code expected, no traceback; a user error (1) is exactly one line on stderr."""
    detail = f"{run.args!r} -> {run.returncode}\nstdout: {run.stdout[-1500:]}\nstderr: {run.stderr[-3000:]}"
    assert "Traceback" not in run.output, detail
    assert run.returncode == code, detail
    if code == 1:
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), detail
    if code == 2:
        assert "Usage:" in run.stderr, detail


write = write_files


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)  # a hole: costs no disk, reads as zeros
    return path


# ---------------------------------------------------------------------------------------------
# a. Hostile corpus files


GOOD = "The protection of civilians in armed conflict is a duty of every State, the delegate said."
UTF16 = "Kiribati warned that rising seas threaten the atolls of the Pacific Ocean this century."
UTF16BE = "Tuvalu asked the Assembly for finance to adapt its coasts to the rising seas."
SPACED_NAME = "Côte d’Ivoire statement 2011.txt"
SPACED = "The delegation spoke of quixotic reforms and of an élan for peace in West Africa."
DEEP_NAME = "folder with spaces/Ünïcödé naïve – 東京.md"
DEEP = "A statement from Tokyo on marmalade diplomacy and reconciliation in the whole region."
SECRET = "Zanzibarian treasure maps are hidden outside the corpus and must never be indexed here."

HOSTILE_SKIPS = {
    "zero.txt": "empty",
    "whitespace.txt": "empty",
    "binary.txt": "binary",
    "latin1.txt": "not UTF-8",
    "huge.txt": "over the 20,971,520-byte limit",
}
INDEXED = {"good.txt", "utf16.txt", "utf16be.md", SPACED_NAME, DEEP_NAME}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A corpus of hostile files, indexed once with --json and once with the text summary."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "cwd").mkdir()
    outside = write(root / "outside", {"secret.txt": SECRET})
    corpus = write(
        root / "corpus",
        {
            "good.txt": GOOD,
            "zero.txt": b"",
            "whitespace.txt": b" \n\t\r\n   \n\x0b\x0c\n",
            "binary.txt": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4,
            "latin1.txt": "Côte d'Ivoire a pris la parole devant l'Assemblée générale.".encode("latin-1"),
            "utf16.txt": UTF16.encode("utf-16"),  # BOM + little-endian
            "utf16be.md": ("\ufeff" + UTF16BE).encode("utf-16-be"),  # BOM + big-endian
            SPACED_NAME: SPACED,
            DEEP_NAME: DEEP,
        },
    )
    sparse(corpus / "huge.txt", TWO_GB)
    os.symlink(outside / "secret.txt", corpus / "link.txt")
    index = root / "index"
    as_json = cli(
        "index", "--corpus", str(corpus), "--index", str(index), "--model", "hash", "--json", cwd=root / "cwd"
    )
    as_text = cli(
        "index",
        "--corpus",
        str(corpus),
        "--index",
        str(root / "index-text"),
        "--model",
        "hash",
        cwd=root / "cwd",
    )
    return {"root": root, "corpus": corpus, "index": index, "json": as_json, "text": as_text}


def test_hostile_files_json_summary_lists_each_skip_with_its_reason(hostile: dict) -> None:
    run: Run = hostile["json"]  # type: ignore[assignment]
    assert_clean_exit(run, 0)
    summary = json.loads(run.stdout)
    reasons = {s["source"]: s["reason"] for s in summary["skipped"]}
    for source, needle in HOSTILE_SKIPS.items():
        assert source in reasons, f"{source} not reported as skipped: {summary['skipped']}"
        assert needle in reasons[source] and source in reasons[source], reasons[source]
    assert not INDEXED & set(reasons), reasons
    assert summary["new"] == summary["documents"] == len(INDEXED), summary
    assert summary["passages"] >= len(INDEXED)


def test_hostile_files_text_summary_lists_each_skip_with_its_reason(hostile: dict) -> None:
    run: Run = hostile["text"]  # type: ignore[assignment]
    assert_clean_exit(run, 0)
    shown = squash(run.stdout)
    assert f"{len(INDEXED)} new, 0 changed, 0 removed, 0 unchanged; {len(INDEXED)} documents" in shown, shown
    summary = json.loads(hostile["json"].stdout)  # type: ignore[attr-defined]
    for skipped in summary["skipped"]:
        assert squash(skipped["reason"]) in shown, (skipped, shown)
    for source in HOSTILE_SKIPS:
        assert source in shown


def hits(run: Run) -> list[dict]:
    assert_clean_exit(run, 0)
    return json.loads(run.stdout)["results"]


def test_utf16_files_are_decoded_and_searchable(hostile: dict) -> None:
    cwd, index = hostile["root"] / "cwd", str(hostile["index"])  # type: ignore[operator]
    top = hits(cli("search", "Kiribati atolls", "--index", index, "--mode", "lexical", "--json", cwd=cwd))
    assert top and top[0]["source"] == "utf16.txt" and top[0]["text"] == UTF16
    top = hits(cli("search", "Tuvalu coasts", "--index", index, "--mode", "lexical", "--json", cwd=cwd))
    assert top and top[0]["source"] == "utf16be.md" and top[0]["text"] == UTF16BE


def test_two_gigabyte_file_is_refused_by_size_without_being_read(hostile: dict) -> None:
    for key in ("json", "text"):
        run: Run = hostile[key]  # type: ignore[assignment]
        print(f"index with a 2 GB file ({key}): peak RSS {run.peak_rss_mb:.0f} MB, {run.seconds:.1f} s")
        assert run.peak_rss_mb < 400, f"peak RSS {run.peak_rss_mb:.0f} MB: was the 2 GB file read?"
        assert run.seconds < 60
    skipped = json.loads(hostile["json"].stdout)["skipped"]  # type: ignore[attr-defined]
    reason = {s["source"]: s["reason"] for s in skipped}["huge.txt"]
    assert "2,147,483,648 bytes" in reason and "R2P_MAX_FILE_BYTES" in reason


def test_symlink_out_of_the_corpus_is_not_followed(hostile: dict) -> None:
    cwd, index = hostile["root"] / "cwd", str(hostile["index"])  # type: ignore[operator]
    for mode in ("lexical", "hybrid"):
        found = hits(
            cli(
                "search",
                "Zanzibarian treasure maps",
                "--index",
                index,
                "--mode",
                mode,
                "-k",
                "50",
                "--json",
                cwd=cwd,
            )
        )
        assert all("Zanzibarian" not in h["text"] and h["source"] != "link.txt" for h in found), found
    assert_clean_exit(cli("show", "link:1", "--index", index, cwd=cwd), 1)  # no such document


def test_names_with_spaces_and_non_ascii_are_indexed_searchable_and_cited(hostile: dict) -> None:
    cwd, index = hostile["root"] / "cwd", str(hostile["index"])  # type: ignore[operator]
    for name, words in ((SPACED_NAME, "quixotic reforms élan"), (DEEP_NAME, "marmalade diplomacy Tokyo")):
        top = hits(cli("search", words, "--index", index, "-k", "1", "--json", cwd=cwd))
        assert top and top[0]["source"] == name, top
        stem = Path(name).stem
        assert top[0]["title"] == stem and top[0]["doc_id"] == name.rsplit(".", 1)[0]
        text = cli("search", words, "--index", index, "-k", "1", cwd=cwd)
        assert_clean_exit(text, 0)
        assert stem in squash(text.stdout), text.stdout  # the citation line names the file
        shown = cli("show", top[0]["passage_id"], "--index", index, cwd=cwd)
        assert_clean_exit(shown, 0)
        assert name in squash(shown.stdout), shown.stdout


def test_size_limit_is_configurable_with_r2p_max_file_bytes(tmp_path: Path) -> None:
    corpus = write(tmp_path / "corpus", {"small.txt": GOOD, "medium.txt": (GOOD + "\n\n") * 30})
    sparse(corpus / "huge.txt", TWO_GB)
    (tmp_path / "cwd").mkdir()
    args = ("index", "--corpus", str(corpus), "--model", "hash", "--json")

    run = cli(*args, "--index", str(tmp_path / "i1000"), cwd=tmp_path / "cwd", R2P_MAX_FILE_BYTES="1000")
    assert_clean_exit(run, 0)
    reasons = {s["source"]: s["reason"] for s in json.loads(run.stdout)["skipped"]}
    assert set(reasons) == {"medium.txt", "huge.txt"}
    assert all("over the 1,000-byte limit" in r for r in reasons.values()), reasons
    assert run.peak_rss_mb < 400


@pytest.mark.parametrize("value", ["not-a-number", "0", "-5", ""])
def test_unusable_size_limit_falls_back_to_the_default(tmp_path: Path, value: str) -> None:
    corpus = write(tmp_path / "corpus", {"small.txt": GOOD, "medium.txt": (GOOD + "\n\n") * 30})
    sparse(corpus / "huge.txt", TWO_GB)
    (tmp_path / "cwd").mkdir()
    run = cli(
        "index", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--model", "hash", "--json",
        cwd=tmp_path / "cwd", R2P_MAX_FILE_BYTES=value,
    )  # fmt: skip
    assert_clean_exit(run, 0)
    summary = json.loads(run.stdout)
    assert [s["source"] for s in summary["skipped"]] == ["huge.txt"]
    assert "over the 20,971,520-byte limit" in summary["skipped"][0]["reason"]
    assert summary["documents"] == 2 and run.peak_rss_mb < 400


def _vanish_after_listing(monkeypatch: pytest.MonkeyPatch, victim: str) -> None:
    real = indexer_module.find_corpus

    def find_corpus_then_delete(corpus: Path):  # type: ignore[no-untyped-def]
        found = real(corpus)
        (corpus / victim).unlink()  # deleted after the listing, before the reading
        return found

    monkeypatch.setattr(indexer_module, "find_corpus", find_corpus_then_delete)


@pytest.mark.parametrize("as_json", [True, False])
def test_file_deleted_between_listing_and_reading_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    corpus = write(tmp_path / "corpus", SPEECH)
    _vanish_after_listing(monkeypatch, "beta.txt")
    args = ["index", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--model", "hash"]
    result = CliRunner().invoke(app, args + (["--json"] if as_json else []))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    if as_json:
        summary = json.loads(result.stdout)
        assert [s["source"] for s in summary["skipped"]] == ["beta.txt"]
        assert "beta.txt" in summary["skipped"][0]["reason"] and "vanished" in summary["skipped"][0]["reason"]
        assert summary["documents"] == 2 and summary["new"] == 2
    else:
        shown = squash(result.stdout)
        assert "2 new" in shown and "2 documents" in shown
        assert "beta.txt: file vanished" in shown, shown


def test_file_deleted_during_a_full_rebuild_is_reported_once_as_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --full rebuild reads unchanged files a second time; one gone by then is skipped,
    and (as _prepare documents) reported once, as skipped, not also as unchanged."""
    corpus = write(tmp_path / "corpus", SPEECH)
    args = ["index", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--model", "hash", "--json"]
    assert CliRunner().invoke(app, args).exit_code == 0
    real = indexer_module.scan_corpus

    def scan_then_delete(*a, **k):  # type: ignore[no-untyped-def]
        scan = real(*a, **k)
        (corpus / "beta.txt").unlink()
        return scan

    monkeypatch.setattr(indexer_module, "scan_corpus", scan_then_delete)
    result = CliRunner().invoke(app, [*args, "--full"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [s["source"] for s in summary["skipped"]] == ["beta.txt"]
    assert summary["documents"] == 2
    assert summary["new"] + summary["changed"] + summary["unchanged"] == 2, summary


# Beyond the brief's list: more corpus shapes met in the wild.


def index_run(tmp_path: Path, corpus: Path, timeout: float = 120) -> Run:
    (tmp_path / "cwd").mkdir(exist_ok=True)
    return cli(
        "index", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--model", "hash", "--json",
        cwd=tmp_path / "cwd", timeout=timeout,
    )  # fmt: skip


def test_symlink_loop_is_passed_over_not_a_crash(tmp_path: Path) -> None:
    corpus = write(tmp_path / "corpus", {"good.txt": GOOD})
    os.symlink("loop.txt", corpus / "loop.txt")  # points at itself
    os.symlink("b.md", corpus / "a.md")
    os.symlink("a.md", corpus / "b.md")
    run = index_run(tmp_path, corpus)
    assert_clean_exit(run, 0)
    assert json.loads(run.stdout)["documents"] == 1


def test_directory_symlink_cycle_is_not_walked_round_and_round(tmp_path: Path) -> None:
    corpus = write(tmp_path / "corpus", {"good.txt": GOOD, "sub/other.txt": SPACED})
    os.symlink("..", corpus / "sub" / "up")  # sub/up -> the corpus root, inside the corpus
    run = index_run(tmp_path, corpus)
    assert_clean_exit(run, 0)
    documents = json.loads(run.stdout)["documents"]
    # 2 is right; 4 would mean the link was followed once (as links inside the corpus are).
    assert documents <= 4, f"{documents} documents from 2 files: the cycle was walked round and round"


def test_non_utf8_file_name_does_not_crash_the_build(tmp_path: Path) -> None:
    corpus = write(tmp_path / "corpus", {"good.txt": GOOD})
    (corpus / os.fsdecode(b"caf\xe9 speech.txt")).write_text(SPACED, encoding="utf-8")  # a Latin-1 name
    run = index_run(tmp_path, corpus)
    assert_clean_exit(run, 0)
    summary = json.loads(run.stdout)
    assert summary["documents"] >= 1 and summary["new"] + len(summary["skipped"]) == 2, summary


def test_same_name_with_txt_and_md_suffix_does_not_crash_the_build(tmp_path: Path) -> None:
    corpus = write(tmp_path / "corpus", {"statement.txt": GOOD, "statement.md": SPACED, "other.txt": DEEP})
    run = index_run(tmp_path, corpus)
    assert_clean_exit(run, 0)
    summary = json.loads(run.stdout)
    assert summary["new"] + len(summary["skipped"]) == 3 and summary["documents"] >= 2, summary


def test_named_pipe_with_a_txt_name_does_not_hang_the_build(tmp_path: Path) -> None:
    corpus = write(tmp_path / "corpus", {"good.txt": GOOD})
    os.mkfifo(corpus / "pipe.txt")  # reading it would block for ever
    run = index_run(tmp_path, corpus, timeout=60)
    assert_clean_exit(run, 0)
    assert json.loads(run.stdout)["documents"] == 1


def test_escape_sequences_in_documents_do_not_reach_the_terminal(tmp_path: Path) -> None:
    """A document (or its name) holding terminal escapes must not drive the user's terminal:
    clear the screen, retitle the window, or hide text."""
    corpus = write(
        tmp_path / "corpus",
        {
            "evil.txt": "Famine relief \x1b[2J\x1b]0;pwned\x07 for farmers across the drought region.\n",
            "name\x1b[8m.txt": "Drought and famine threaten the harvests of farmers in the region.\n",
        },
    )
    assert_clean_exit(index_run(tmp_path, corpus), 0)
    index = str(tmp_path / "index")
    for args in (("search", "famine drought farmers"), ("show", "evil:1"), ("similar", "evil:1")):
        run = cli(*args, "--index", index, cwd=tmp_path / "cwd")
        assert_clean_exit(run, 0)
        assert "\x1b" not in run.stdout, (args, run.stdout)


# ---------------------------------------------------------------------------------------------
# b. Ten thousand tiny files


def test_ten_thousand_tiny_files_in_nested_folders(tmp_path: Path) -> None:
    words = "famine drought peace civilians council treaty refugees Libya Syria protection".split()
    corpus = tmp_path / "corpus"
    for i in range(10_000):
        folder = corpus / f"region{i % 10}" / f"year {(i // 10) % 10}" / f"d{(i // 100) % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note {i}.txt").write_text(f"Note {i}: {words[i % 10]} and {words[i * 7 % 10]} tag{i}.\n")
    run = index_run(tmp_path, corpus, timeout=300)
    print(f"10,000 files: peak RSS {run.peak_rss_mb:.0f} MB, {run.seconds:.1f} s")
    assert_clean_exit(run, 0)
    summary = json.loads(run.stdout)
    assert summary["documents"] == summary["new"] == 10_000 and not summary["skipped"]
    assert run.peak_rss_mb < 600, f"peak RSS {run.peak_rss_mb:.0f} MB"
    assert run.seconds < 60, f"{run.seconds:.0f} s"
    top = hits(
        cli(
            "search",
            "tag7321",
            "--index",
            str(tmp_path / "index"),
            "--mode",
            "lexical",
            "-k",
            "1",
            "--json",
            cwd=tmp_path / "cwd",
        )
    )
    assert top[0]["source"] == "region1/year 2/d1/note 7321.txt"


# ---------------------------------------------------------------------------------------------
# c. Hostile queries


@pytest.fixture(scope="module")
def speech_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("queries")
    (root / "cwd").mkdir()
    corpus = write(root / "corpus", SPEECH)
    run = cli(
        "index", "--corpus", str(corpus), "--index", str(root / "index"), "--model", "hash", cwd=root / "cwd"
    )
    assert_clean_exit(run, 0)
    return root / "index", root / "cwd"


CONTROL = "".join(chr(c) for c in range(1, 32)) + "\x7f"
MALFORMED_IDS = (
    "",
    "alpha:",
    ":",
    "alpha",
    ":1",
    "alpha:one",
    "alpha:-1",
    "a:b:c",
    "alpha:1' OR '1'='1",
    "%",
    "alpha:1\x1b[31m",
    "\x01\x02",
    "x" * 10_000,
    os.fsdecode(b"alpha:\xff"),  # argv bytes that are not UTF-8
)
ANSI = "\x1b[31mfamine\x1b[0m \x1b[2J\x1b]0;title\x07drought\x1b[1A"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("search", ""), 1),
        (("search", "   "), 1),
        (("search", "\t\n\r \u3000\u2028"), 1),
        (("search", CONTROL), 1),
        (("search", "\x1b[2J"), 0),  # "[2J" is left: a word, no match needed
        (("search", ANSI), 0),
        (("search", f"famine{CONTROL}drought"), 0),
        (("search", os.fsdecode(b"famine \xff\xfe")), 0),  # argv that is not UTF-8
        (("search", "--", "-famine"), 0),
        (("search", "-famine"), 2),
        (("search", "famine", "-k", "0"), 1),
        (("search", "famine", "-k", "-1"), 1),
        (("search", "famine", "-k", "1000000"), 0),
        (("search", "famine", "-k", str(2**63)), 0),
        (("search", "famine", "-k", "many"), 2),
        (("search", "famine", "--mode", "bogus"), 2),
        (("search", "famine", "--mode", ""), 2),
        (("search", "famine", "--mode", "HYBRID"), 2),
        (("search", "famine", "--per-doc", "0"), 1),
        (("search", "famine", "--per-doc", str(10**30)), 0),
        (("search",), 2),
        (("similar", "alpha:999"), 1),
        (("similar", "nope:1"), 1),
        (("similar", "alpha:1", "-k", "0"), 1),
        (("similar", "alpha:1", "-k", "-1"), 1),
        (("similar", "alpha:1", "-k", "1000000"), 0),
        (("show", "alpha:999"), 1),
        (("show", "nope:1"), 1),
        (("show", " alpha:1 "), 0),
        (("show", "alpha:1", "-C", "-1"), 1),
        (("show", "alpha:1", "-C", "1000000"), 0),
        (("show", "alpha:1", "-C", str(2**63)), 0),
        (("show", "alpha:1", "-C", str(10**30)), 0),
    ]
    + [(("show", malformed), 1) for malformed in MALFORMED_IDS]
    + [(("similar", malformed), 1) for malformed in MALFORMED_IDS[:2] + MALFORMED_IDS[-2:]],
    ids=lambda v: repr(v)[:40] if isinstance(v, tuple) else str(v),
)
def test_hostile_queries_and_ids_exit_cleanly(
    speech_index: tuple[Path, Path], args: tuple[str, ...], code: int
) -> None:
    index, cwd = speech_index
    command, *rest = args
    # An error comes before any output: one run is enough. A success is checked in both formats.
    for as_json in (True, False) if code == 0 else (True,):
        run = cli(command, "--index", str(index), *(["--json"] if as_json else []), *rest, cwd=cwd)
        assert_clean_exit(run, code)
        assert "\x1b" not in run.stdout
        if code == 0 and as_json:
            body = json.loads(run.stdout)
            results = body["results"] if "results" in body else body["passages"]
            assert results and all(r["text"].strip() for r in results)
            if "results" in body:
                assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
        if code == 0 and not as_json:
            assert run.stdout.strip()


def test_k_larger_than_the_index_returns_every_passage(speech_index: tuple[Path, Path]) -> None:
    index, cwd = speech_index
    for mode in ("hybrid", "dense"):
        found = hits(
            cli("search", "civilians", "--index", str(index), "-k", "1000", "--mode", mode, "--json", cwd=cwd)
        )
        assert len(found) == 6 and len({h["passage_id"] for h in found}) == 6


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_each_mode_answers(speech_index: tuple[Path, Path], mode: str) -> None:
    index, cwd = speech_index
    found = hits(
        cli("search", "nuclear disarmament treaty", "--index", str(index), "--mode", mode, "--json", cwd=cwd)
    )
    assert found[0]["source"] == "beta.txt"


def long_queries() -> dict[str, str]:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + string.punctuation + "     "
    return {
        "words": ("famine drought " * 7000)[:100_000],
        "one-token": "a" * 100_000,
        "symbols": ("A/66/874 S/RES/1973 " * 5000)[:100_000],
        "ascii-noise": "".join(rng.choice(alphabet) for _ in range(100_000)),
    }


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_hundred_thousand_character_queries_answer_quickly(
    speech_index: tuple[Path, Path], mode: str
) -> None:
    index, cwd = speech_index
    for name, query in long_queries().items():
        assert len(query) == 100_000
        run = cli("search", query, "--index", str(index), "--mode", mode, "--json", cwd=cwd, timeout=60)
        assert_clean_exit(run, 0)
        json.loads(run.stdout)
        assert run.seconds < 5, f"{name} in {mode} mode took {run.seconds:.1f} s"


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_hostile_queries_file(speech_index: tuple[Path, Path], tmp_path: Path, mode: str) -> None:
    index, cwd = speech_index
    rng = random.Random(3)
    noise = (chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0x2FFF)])) for _ in range(110_000))
    unicode_noise = "".join(ch for ch in noise if len(f"a{ch}b".splitlines()) == 1)[:100_000]
    lines = [
        ANSI,
        "famine\x00drought",
        "famine\x01\x02\x1b\x7f\x9b drought",
        ("протекция الحماية 保护 " * 6000)[:100_000],
        unicode_noise,
        *long_queries().values(),
    ]
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = cli(
        "search",
        "--queries",
        str(queries),
        "--index",
        str(index),
        "--mode",
        mode,
        "--json",
        cwd=cwd,
        timeout=60,
    )
    assert_clean_exit(run, 0)
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(answers) == len(lines), "one answer per line of the file"
    assert all(ch.isprintable() for a in answers for ch in a["query"])
    assert run.seconds < 10, f"{len(lines)} hostile queries took {run.seconds:.1f} s"
    print(f"{len(lines)} hostile queries ({mode}) answered in {run.seconds:.1f} s")
    text = cli(
        "search", "--queries", str(queries), "--index", str(index), "--mode", mode, cwd=cwd, timeout=60
    )
    assert_clean_exit(text, 0)
    assert "\x1b" not in text.stdout


@pytest.mark.parametrize(
    "line",
    [
        f"famine{CONTROL.replace(chr(10), '').replace(chr(13), '')}drought",  # every control but CR/LF
        "famine\x0bdrought",  # vertical tab
        "famine\x0cdrought",  # form feed
        "famine\x1c\x1d\x1edrought",  # file, group and record separators
        "famine\x85drought\u2028climate",  # NEL and LINE SEPARATOR
    ],
    ids=["all-controls", "VT", "FF", "FS-GS-RS", "NEL-LS"],
)
def test_queries_file_line_with_control_characters_is_one_query(
    speech_index: tuple[Path, Path], tmp_path: Path, line: str
) -> None:
    """A line of a queries file is one query, as the same text given as QUERY is: only
    LF, CRLF or CR end it. (str.splitlines also breaks at VT, FF, FS, GS, RS, NEL, LS, PS.)"""
    index, cwd = speech_index
    queries = tmp_path / "queries.txt"
    queries.write_text(f"climate change\n{line}\nLibya\n", encoding="utf-8")
    run = cli("search", "--queries", str(queries), "--index", str(index), "--json", cwd=cwd)
    assert_clean_exit(run, 0)
    answers = [json.loads(out) for out in run.stdout.splitlines()]
    assert len(answers) == 3, [a["query"] for a in answers]
    argv = cli("search", line, "--index", str(index), "--json", cwd=cwd)
    assert_clean_exit(argv, 0)
    assert json.loads(argv.stdout)["query"] == answers[1]["query"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "no queries"),
        (b"\n\n   \n# only a comment\n", "no queries"),
        (b"\x01\x02\x03\n", "has no queries"),
        ("famine".encode("latin-1") + b"\xe9\n", "cannot read"),
        (b"\xff\xfe\x00\x00binary", "cannot read"),
    ],
)
def test_unusable_queries_file_is_one_line_error(
    speech_index: tuple[Path, Path], tmp_path: Path, content: bytes, needle: str
) -> None:
    index, cwd = speech_index
    queries = tmp_path / "queries.txt"
    queries.write_bytes(content)
    run = cli("search", "--queries", str(queries), "--index", str(index), cwd=cwd)
    assert_clean_exit(run, 1)
    assert needle in run.stderr


@pytest.mark.parametrize("where", ["missing", "directory"])
def test_queries_file_that_is_not_a_file(speech_index: tuple[Path, Path], tmp_path: Path, where: str) -> None:
    index, cwd = speech_index
    path = tmp_path / "q"
    if where == "directory":
        path.mkdir()
    assert_clean_exit(cli("search", "--queries", str(path), "--index", str(index), cwd=cwd), 1)


def test_non_utf8_folder_names_are_one_line_errors(tmp_path: Path) -> None:
    bad = os.fsdecode(bytes(tmp_path) + b"/caf\xe9")
    for args in (("index", "--index", bad), ("search", "x", "--index", bad), ("index", "--corpus", bad)):
        run = cli(*args, "--model", "hash", cwd=tmp_path) if args[0] == "index" else cli(*args, cwd=tmp_path)
        assert_clean_exit(run, 1)
        assert "not valid UTF-8" in run.stderr
