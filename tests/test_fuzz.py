"""Property tests (Hypothesis): the splitter, indexing of random bytes, and random queries.

Everything here uses the model-free `hash` embedder; no real model is loaded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from r2p_search.cli import app
from r2p_search.documents.un import (
    PAGE_FURNITURE as _FURNITURE,  # the page furniture the splitter documents that it drops (step 1)
)
from r2p_search.embedding import HashingEmbedder
from r2p_search.indexer import build_index
from r2p_search.passages import (
    _RULE,  # lines of dashes, dots or bullets, which it treats as blank lines
    MIN_WORDS,
    make_passages,
    merge_fragments,
    normalize,
    split_paragraphs,
)

from .conftest import SEED, SPEECH


def count_words(texts: list[str]) -> list[int]:
    return [len(t.split()) for t in texts]


# ---------------------------------------------------------------------------------------------
# Text that looks like the corpus: prose, hard-wrapped lines, indentation, page furniture,
# line-end hyphens, CRLF, BOM, blank lines, and random unicode.

VOCABULARY = [
    "the", "of", "and", "to", "in", "a", "protection", "civilians", "Council", "Security",
    "General", "Assembly", "Syria", "Libya", "responsibility", "international", "national",
    "cooperation", "well-known", "Secretary-General", "Mr.", "No.", "e.g.", "resolution", "1973",
    "A/66/874", "famine", "peace", "“quoted”", "(parenthetical)", "États", "Côte", "d’Ivoire",
    "—", "...", "Excellencies,", "Thank", "you.", "2011", "11-51398", "12", "inter", "nation",
]  # fmt: skip
FURNITURE_LINES = ["12", "11-51398 2", "A/66/PV.19", "15-29425 31/34", "23/09/2011", "11-51398 (E)"]
RULE_LINES = ["-----", "* * *", "___", "...", "\u2014\u2014\u2014", "\u2022 \u2022 \u2022"]

any_char = st.characters(exclude_categories=("Cs",))
word = st.one_of(
    st.sampled_from(VOCABULARY),
    st.text(any_char, min_size=1, max_size=12).filter(lambda w: w.strip() == w and " " not in w),
)
sentence = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(word, min_size=1, max_size=18),
    st.sampled_from([".", "?", "!", ";", ",", "", ".”", ":"]),
)
prose = st.lists(sentence, min_size=1, max_size=6).map(" ".join)


@st.composite
def wrapped(draw: st.DrawFn) -> list[str]:
    """A paragraph hard-wrapped at a column, first line maybe indented, long words maybe hyphenated."""
    text = draw(prose)
    width = draw(st.integers(15, 90))
    indent = draw(st.sampled_from(["", " ", "  ", "    ", "\t"]))
    lines: list[str] = []
    line = indent
    for w in text.split():
        if len(line) + len(w) + 1 > width and line.strip():
            if len(w) > 5 and draw(st.booleans()):
                cut = draw(st.integers(2, len(w) - 2))
                lines.append(line + w[:cut] + "-")
                line = w[cut:] + " "
                continue
            lines.append(line.rstrip())
            line = ""
        line += w + " "
    lines.append(line.rstrip())
    return lines


block = st.one_of(
    prose.map(lambda p: [p]),
    st.builds(lambda indent, p: [indent + p], st.sampled_from([" ", "  ", "\t"]), prose),
    wrapped(),
    wrapped(),
    st.sampled_from(FURNITURE_LINES).map(lambda f: [f]),
    st.sampled_from(RULE_LINES).map(lambda r: [r]),
    st.just(["inter-", "national cooperation is well-", "known to all of the nations here."]),
    st.text(any_char, max_size=80).map(lambda t: [t]),  # random unicode, newlines of any kind included
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for group in draw(st.lists(block, max_size=10)):
        lines.extend(group)
        lines.extend(draw(st.sampled_from([[], [], [""], ["", ""], ["   "], ["\t"], ["\f"]])))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 2]))
    return draw(st.sampled_from(["", "\ufeff"])) + text


def nonspace(text: str) -> str:
    return "".join(text.split())


def kept_lines(text: str) -> list[str]:
    """The lines the splitter keeps: all but blank, rule and page-furniture lines (after normalize)."""
    lines = []
    for raw in normalize(text).split("\n"):
        stripped = raw.strip()
        if stripped and not _RULE.match(stripped) and not _FURNITURE.match(stripped):
            lines.append(stripped)
    return lines


def assert_same_text_modulo_line_end_hyphens(text: str, paragraphs: list[str]) -> None:
    """The paragraphs hold exactly the non-whitespace characters of the kept lines, in order.

    The one documented change: a line ending in "<letter>-" followed by a line starting in lower
    case may lose that hyphen ("inter-" + "national" -> "international"). Nothing else may be
    dropped, changed, reordered or added.
    """
    lines = kept_lines(text)
    got = nonspace(" ".join(paragraphs))
    j = 0
    for i, line in enumerate(lines):
        chars = nonspace(line)
        droppable = (
            len(line) >= 2
            and line.endswith("-")
            and re.match(r"\w", line[-2]) is not None
            and i + 1 < len(lines)
            and lines[i + 1][:1].islower()
        )
        body = chars[:-1] if droppable else chars
        assert got[j : j + len(body)] == body, (
            f"kept line {i} {line!r} not found intact at output offset {j}: {got[j : j + len(body) + 20]!r}"
        )
        j += len(body)
        if droppable and got[j : j + 1] == "-":
            j += 1
    assert j == len(got), f"output has text not in the input: {got[j : j + 60]!r}"


def assert_windows_cover(unit: str, windows: list[str]) -> None:
    """The windows of one unit are runs of its words, in order, overlapping or touching, covering all."""
    words = unit.split()
    # Repeated words let a window match at several places: any one consistent placement will do.
    placements = {(-1, 0)}  # (start of the last window, words covered so far)
    for window in windows:
        part = window.split()
        placements = {
            (s, max(covered, s + len(part)))
            for last_start, covered in placements
            for s in range(last_start + 1, covered + 1)
            if words[s : s + len(part)] == part
        }
        assert placements, f"window {window[:80]!r} is not a run of the paragraph's words in order"
    assert any(covered == len(words) for _, covered in placements), (
        "some words of a paragraph are in no passage"
    )


def pieces(text: str) -> list[int]:
    """An uneven token counter, as a subword tokenizer is: long words cost more pieces."""
    return [sum(1 + len(w) // 4 for w in text.split())]


def count_pieces(texts: list[str]) -> list[int]:
    return [pieces(t)[0] for t in texts]


# No deadline (a loaded machine is slow), no example database written into the repository.
SPLITTER_SETTINGS = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@SPLITTER_SETTINGS
@given(text=st.one_of(documents(), st.text(any_char, max_size=400)))
def test_paragraphs_keep_every_character_but_documented_drops(text: str) -> None:
    """split_paragraphs: no empty paragraph; all non-whitespace text kept, in order, except page
    furniture and rule lines (dropped), BOM/zero-width characters (normalize) and line-end
    hyphens before a lower-case line (de-hyphenation); the same input gives the same output."""
    paragraphs = split_paragraphs(text)
    assert all(p.strip() and p == p.strip() and "\n" not in p for p in paragraphs)
    assert_same_text_modulo_line_end_hyphens(text, paragraphs)
    units = merge_fragments(paragraphs, MIN_WORDS)
    assert nonspace(" ".join(t for _, t in units)) == nonspace(" ".join(paragraphs))
    assert split_paragraphs(text) == paragraphs


@SPLITTER_SETTINGS
@given(text=st.one_of(documents(), st.text(any_char, max_size=400)), budget=st.integers(1, 60))
def test_passages_are_never_empty_lose_no_word_and_are_deterministic(text: str, budget: int) -> None:
    paragraphs = split_paragraphs(text)
    passages = make_passages(text, count_words, budget)
    assert all(p.text.strip() for p in passages), "an empty or whitespace-only passage"
    assert bool(passages) == bool(paragraphs)
    assert [p.n for p in passages] == list(range(1, len(passages) + 1))
    assert all(len(p.text.split()) <= max(budget, 8) for p in passages), "a passage over the budget"
    units = merge_fragments(paragraphs, MIN_WORDS)
    assert {p.paragraph for p in passages} == {n for n, _ in units}
    for number, unit in units:
        words = {w for p in passages if p.paragraph == number for w in p.text.split()}
        assert words == set(unit.split()), f"paragraph {number}: words lost or added"
    assert make_passages(text, count_words, budget) == passages


@SPLITTER_SETTINGS
@given(text=documents(), budget=st.integers(1, 60))
@example(text="the the the the the the the the. the the the the the the the the the the.", budget=11)
def test_passage_windows_are_runs_of_the_source_text(text: str, budget: int) -> None:
    """A long paragraph's windows are consecutive runs of its words that overlap or touch:
    no word lost, none repeated inside a window, nothing out of order."""
    passages = make_passages(text, count_words, budget)
    for number, unit in merge_fragments(split_paragraphs(text), MIN_WORDS):
        assert_windows_cover(unit, [p.text for p in passages if p.paragraph == number])


@SPLITTER_SETTINGS
@given(
    text=st.lists(
        st.sampled_from([*VOCABULARY, "internationally", "extraordinarily", "I"]), max_size=400
    ).map(" ".join),
    budget=st.integers(8, 130),
)
@example(text="the the Secretary-General Secretary-General", budget=8)
def test_passages_stay_within_budget_with_an_uneven_token_counter(text: str, budget: int) -> None:
    """make_passages promises "each of at most `budget` word pieces" whatever the counter; a
    real tokenizer splits long words into more pieces than short ones. (Only a single word
    dearer than the whole budget could not be made to fit.)"""
    for passage in make_passages(text, count_pieces, budget):
        cost = pieces(passage.text)[0]
        assert cost <= budget or len(passage.text.split()) == 1, (budget, cost, passage.text[:120])


SPLIT_PROBE = """
import json, sys
from r2p_search.passages import make_passages
texts = json.load(sys.stdin)
out = [[(p.n, p.paragraph, p.text) for p in make_passages(t, lambda ts: [len(x.split()) for x in ts], 40)]
       for t in texts]
print(json.dumps(out))
"""


def test_splitter_is_deterministic_across_processes_and_hash_seeds() -> None:
    texts = [SEED.read_text(encoding="utf-8-sig"), *SPEECH.values()]
    texts.append(
        "\ufeff  Our inter-\r\nnational partners and the well-\r\nknown principles.\r\n12\r\n"
        + "\r\n".join(f"  Line {i} of a wrapped text about the protection of civilians" for i in range(30))
    )
    outputs = []
    for seed in ("1", "2", "12345"):
        result = subprocess.run(
            [sys.executable, "-c", SPLIT_PROBE],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            env=os.environ | {"PYTHONHASHSEED": seed},
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1] == outputs[2]
    assert all(outputs[0])


# ---------------------------------------------------------------------------------------------
# Random bytes as corpus files, indexed in-process through the CLI.

PROSE = "The protection of civilians in armed conflict is a duty of every State in the world."


def encodings(text: str) -> st.SearchStrategy[bytes]:
    return st.sampled_from(
        [
            text.encode("utf-8"),
            text.encode("utf-8-sig"),
            text.encode("utf-16"),
            text.encode("utf-16-le"),
            text.encode("utf-16-be"),
            b"\xfe\xff" + text.encode("utf-16-be"),
            text.encode("latin-1", errors="replace"),
            text.encode("cp1252", errors="replace"),
            text.encode("utf-32"),
        ]
    )


@st.composite
def with_nuls(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.text(any_char, max_size=200)).encode("utf-8", errors="surrogatepass"))
    for _ in range(draw(st.integers(1, 3))):
        data.insert(draw(st.integers(0, len(data))), 0)
    return bytes(data)


file_bytes = st.one_of(
    st.binary(max_size=600),
    st.text(any_char, max_size=300).flatmap(encodings),
    prose.flatmap(encodings),
    documents().flatmap(encodings),
    with_nuls(),
    st.sampled_from(
        [b"", b"   \n", b"\xff\xfe", b"\xfe\xff\x00", b"\xef\xbb\xbf", b"\xff\xfe\x00\xd8", b"12\n"]
    ),
)
# A file that must be indexed whatever else the corpus holds: UTF-8 text ending in a plain sentence.
good_bytes = st.builds(lambda s: (s + "\n\n" + PROSE + "\n").encode("utf-8"), prose).filter(
    lambda data: b"\x00" not in data
)
corpus_file = st.one_of(file_bytes.map(lambda data: (data, False)), good_bytes.map(lambda data: (data, True)))


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@settings(max_examples=60, deadline=None, database=None)
@given(
    files=st.lists(corpus_file, min_size=1, max_size=5),
    layout=st.lists(st.sampled_from(["", "sub/", "a b/ü/"]), min_size=5, max_size=5),
    suffixes=st.lists(st.sampled_from([".txt", ".md", ".TXT", ".Md"]), min_size=5, max_size=5),
)
def test_random_bytes_index_ends_with_a_documented_exit_code(
    runner: CliRunner, files: list[tuple[bytes, bool]], layout: list[str], suffixes: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        sources = []
        for i, (data, _) in enumerate(files):
            source = f"{layout[i]}file{i}{suffixes[i]}"
            path = corpus / source
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            sources.append(source)
        args = ["index", "--corpus", str(corpus), "--index", str(Path(tmp) / "index"), "--model", "hash"]
        result = runner.invoke(app, [*args, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr)
    assert "Traceback" not in result.output
    must_index = {source for source, (_, good) in zip(sources, files, strict=True) if good}
    if result.exit_code == 0:
        summary = json.loads(result.stdout)
        assert summary["documents"] >= 1 and summary["passages"] >= summary["documents"]
        skipped = {s["source"] for s in summary["skipped"]}
        assert summary["new"] + len(skipped) == len(sources), summary
        assert all(s["reason"].strip() for s in summary["skipped"])
        assert not must_index & skipped, summary["skipped"]
    else:
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0].rstrip()), result.stderr
        assert not must_index, "exit 1 (nothing indexed) although a plain UTF-8 text file was given"


# ---------------------------------------------------------------------------------------------
# Random strings as queries and passage ids, in-process through the CLI, on a small hash index.


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("fuzz-index")
    corpus = root / "corpus"
    for name, text in SPEECH.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, root / "index", embedder=HashingEmbedder(64))
    # --corpus points nowhere: a missing index must never trigger a build with the real model.
    yield root / "index", root / "no-corpus"


# What Python makes of argv bytes that are not UTF-8: lone surrogates (surrogateescape).
argv_bytes = st.binary(max_size=40).map(os.fsdecode)

query_text = st.one_of(
    st.text(st.characters(), max_size=60),
    argv_bytes,
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(VOCABULARY), argv_bytes),
    st.text(st.characters(codec="ascii"), max_size=60),
    st.lists(
        st.sampled_from([*VOCABULARY, "-k", "--json", "-", "--", '"', "*", "NEAR(", "AND", "OR", "NOT"]),
        max_size=8,
    ).map(" ".join),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=20),
)


def assert_cli_contract(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr


@settings(max_examples=100, deadline=None, database=None)
@given(
    query=query_text,
    mode=st.sampled_from(["hybrid", "dense", "lexical"]),
    k=st.integers(-2, 50),
    separator=st.booleans(),
    as_json=st.booleans(),
)
def test_random_queries_never_crash(
    runner: CliRunner,
    small_index: tuple[Path, Path],
    query: str,
    mode: str,
    k: int,
    separator: bool,
    as_json: bool,
) -> None:
    index, corpus = small_index
    options = ["--index", str(index), "--corpus", str(corpus), "--mode", mode, "-k", str(k)]
    options += ["--json"] if as_json else []
    args = ["search", *options, *(["--", query] if separator else [query])]
    result = runner.invoke(app, args)
    assert_cli_contract(result)
    if separator and k >= 1 and result.exit_code == 0 and as_json:
        body = json.loads(result.stdout)
        assert len(body["results"]) <= k
        assert all(ch.isprintable() for ch in body["query"])


@settings(max_examples=50, deadline=None, database=None)
@given(
    passage_id=st.one_of(
        st.text(st.characters(), max_size=30),
        argv_bytes,
        st.builds(lambda d, b: f"{d}:1{b}", st.sampled_from(["alpha", "beta", "nope"]), argv_bytes),
        st.builds(
            lambda d, n: f"{d}:{n}",
            st.sampled_from(["alpha", "beta", "sub/gamma", "nope", ""]),
            st.integers(-3, 10**6),
        ),
    ),
    command=st.sampled_from(["similar", "show"]),
    number=st.integers(-2, 20),
)
def test_random_passage_ids_never_crash(
    runner: CliRunner, small_index: tuple[Path, Path], passage_id: str, command: str, number: int
) -> None:
    index, corpus = small_index
    option = ["-k", str(number)] if command == "similar" else ["-C", str(number)]
    result = runner.invoke(
        app, [command, "--index", str(index), "--corpus", str(corpus), *option, "--", passage_id]
    )
    assert_cli_contract(result)
