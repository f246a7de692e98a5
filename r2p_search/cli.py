"""The `r2p-search` command: parse, call the core, print.

Results go to stdout (text, or JSON with --json); progress, notices and errors go to stderr.
Exit codes: 0 success, 1 a problem the user can fix (one line on stderr), 2 bad usage,
130 interrupted.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from . import config
from .errors import REBUILD_HINT, CorpusError, IndexMissingError, QualityError, QueryError, R2PError
from .request import GroupBy, Mode, SearchRequest, check_k
from .timeline import By
from .vectors import AUTO_MIN_PASSAGES, KINDS

app = typer.Typer(
    name="r2p-search",
    help=(
        "Semantic search over documents on the Responsibility to Protect: UN speeches, "
        "reports and statements.\n\n"
        "Build the index once with `r2p-search index`, then ask questions with "
        '`r2p-search search "what about Syria"`.'
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # `r2p-search search ... | head -1` closes the pipe once it has its line: the reader got
        # what it asked for, so this is success (rich's own handler exits 1). Later writes go
        # nowhere.
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.file.fileno())
        raise SystemExit(0)


out = _Console(highlight=False, soft_wrap=False)
err = _Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


def _print_json(obj: Any) -> None:
    # Not through rich: it would read "[sic]" in a document as markup and ":warning:" as an emoji.
    from .present import dumps

    sys.stdout.write(dumps(obj) + "\n")


def _fail(message: str, code: int = 1) -> None:
    # One line, whatever the message: no tracebacks or multi-line dumps for user mistakes.
    from .present import safe

    err.print(f"[red]error:[/red] {escape(' '.join(safe(message).split()))}", soft_wrap=True)
    raise typer.Exit(code)


def handles_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except R2PError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted; the index on disk is the one from before this run", 130)
        except BrokenPipeError:
            # `r2p-search search ... | head` closes the pipe early; that is not an error.
            sys.stderr.close()
            raise typer.Exit(0) from None

    return wrapper  # type: ignore[return-value]


def _say_language(languages: Iterable[str]) -> None:
    """The model reads English: say so on stderr of questions in another language, once a language."""
    from .language import notice

    for code in dict.fromkeys(languages):
        message = notice(code)
        if message:
            err.print(escape(message))


@contextlib.contextmanager
def _rich_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    if total == 0:
        yield lambda n: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("[cyan]{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(description, total=total, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            speed = progress.tasks[0].speed
            if speed:
                progress.update(task, rate=f"{speed:,.0f}/s")

        yield advance


CorpusOpt = Annotated[
    Path | None,
    typer.Option(
        "--corpus",
        help="Folder of documents (.txt, .md, .pdf, .docx, .html). [default: ./corpus or $R2P_CORPUS]",
    ),
]
IndexOpt = Annotated[
    Path | None,
    typer.Option("--index", help="Index folder. [default: ./index or $R2P_INDEX]"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (fields: docs/commands.md).")]
TopK = Annotated[int, typer.Option("-k", "--top-k", help="How many passages to return.")]
VectorKind = StrEnum("VectorKind", {kind: kind for kind in KINDS})  # type: ignore[misc]


def _paths(corpus: Path | None, index: Path | None) -> tuple[Path, Path]:
    paths = corpus or config.default_corpus(), index or config.default_index()
    for path in paths:
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError:
            shown = str(path).encode("utf-8", "replace").decode()
            raise R2PError(f"folder name {shown!r} is not valid UTF-8; rename it") from None
    return paths


def _build(
    corpus: Path,
    index: Path,
    model: str | None,
    full: bool,
    ocr: bool | None = None,
    vectors: str | None = None,
    ray: str | None = None,
) -> Any:
    from .indexer import build_index

    return build_index(
        corpus,
        index,
        model=model,
        full=full,
        ocr=ocr,
        vectors=vectors,
        ray=ray,
        progress=_rich_progress,
        notify=lambda message: err.print(escape(message)),
    )


@app.command()
@handles_errors
def index(
    corpus: CorpusOpt = None,
    index: IndexOpt = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help=(
                "sentence-transformers model name or local path. [default: the index's model, "
                f"or {config.DEFAULT_MODEL} bundled offline]. A different model rebuilds fully."
            ),
        ),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-embed everything, not just changes.")] = False,
    ocr: Annotated[
        bool | None,
        typer.Option(
            "--ocr/--no-ocr",
            help="Read PDFs without a text layer (scans) with Tesseract, a few seconds a page; "
            "needs the tesseract program. [default: as the index was built; off for a new index]",
            show_default=False,
        ),
    ] = None,
    vectors: Annotated[
        VectorKind | None,
        typer.Option(
            "--vectors",
            help="How questions search the vectors: exact scans them all; ivf and hnsw build an "
            "approximate index, its recall against the exact scan measured and shown by status; "
            f"auto is exact below {AUTO_MIN_PASSAGES:,} passages, ivf from there. Changing it "
            "re-embeds nothing. [default: as the index was built; auto for a new index]",
            show_default=False,
        ),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Read, split and embed the new and changed files on a Ray cluster: `local` starts "
            "one on this machine, `HOST:PORT` or `ray://HOST:10001` joins a running one. The index "
            "is the same as without it. Needs `pip install 'r2p-search[cluster]'` (docs/cluster.md).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build or update the index from the corpus. Only new and changed files are embedded.

    Reads .txt, .md, .pdf, .docx, .html and .htm files; every other file is named in the summary,
    with the reason it was not indexed.
    """
    from .present import render_report

    corpus_dir, index_dir = _paths(corpus, index)
    report = _build(corpus_dir, index_dir, model, full, ocr, vectors.value if vectors else None, ray)
    if as_json:
        _print_json(report.to_json())
    else:
        render_report(out, report)


def _printable(line: str) -> bool:
    return any(ch.isprintable() and not ch.isspace() for ch in line)


def _read_queries(path: Path) -> list[str]:
    from .evaluate import read_lines

    lines = read_lines(path, "queries file")
    # A line of nothing but control characters is as blank as an empty one.
    queries = [line.strip() for line in lines if _printable(line) and not line.lstrip().startswith("#")]
    if not queries:
        raise QueryError(f"queries file {path} has no queries (one per line)")
    return queries


def _index_command(corpus: Path | str | None, index: Path | None) -> str:
    """The `r2p-search index` command that builds the index these options name."""
    import shlex

    words = ["r2p-search", "index"]
    for option, path in (("--corpus", corpus), ("--index", index)):
        if path is not None:
            words += [option, shlex.quote(str(path))]
    return " ".join(words)


def _no_index(index_dir: Path, corpus: Path | None, index: Path | None) -> IndexMissingError:
    """No index where the options say: with the command that builds one, a corpus it would find,
    unless the path holds something else (a corpus given as --index), where no build may go."""
    from .errors import IndexPathError
    from .store import check_index_path

    try:
        check_index_path(index_dir)
    except IndexPathError as exc:
        return IndexMissingError(f"no index at {index_dir}: {exc}")
    corpus_dir = corpus or config.default_corpus()
    if corpus_dir.is_dir():
        return IndexMissingError(f"no index at {index_dir}; build one with: {_index_command(corpus, index)}")
    return IndexMissingError(
        f"no index at {index_dir}, and no corpus folder at {corpus_dir} to build one from; build one "
        f"with: {_index_command('FOLDER', index)}"
    )


def _open_index(
    corpus: Path | None,
    index: Path | None,
    model: str | None = None,
    preload: bool = False,
    build: bool = False,
) -> Any:
    """The index the options name. With `build`, one missing at the default place is built first;
    anywhere else a missing index is an error: a mistyped --index must not start a long build
    (nor leave a folder behind)."""
    from .search import Index
    from .store import MANIFEST

    corpus_dir, index_dir = _paths(corpus, index)
    if not (index_dir / MANIFEST).exists():
        if not build or index is not None:
            raise _no_index(index_dir, corpus, index)
        if not corpus_dir.is_dir():
            raise IndexMissingError(
                f"no index at {index_dir}, and no corpus folder at {corpus_dir} to build one from "
                "(use --index and --corpus)"
            )
        err.print(
            f"No index at {escape(str(index_dir))} yet: building it from {escape(str(corpus_dir))} first."
        )
        report = _build(corpus_dir, index_dir, model, False)
        err.print(f"Indexed {report.documents} documents, {report.passages} passages.")
    return Index.open(index_dir, model=model, preload=preload)


ModeOpt = Annotated[
    Mode,
    typer.Option(
        "--mode",
        help="hybrid: meaning and exact words, fused; dense: meaning only; lexical: BM25 words only.",
    ),
]
PerDocOpt = Annotated[int | None, typer.Option("--per-doc", help="At most N passages from one document.")]
CountryOpt = Annotated[
    list[str] | None,
    typer.Option("--country", help="Only documents of this country: name, alias or ISO code. Repeatable."),
]
YearOpt = Annotated[int | None, typer.Option("--year", help="Only documents of this year.")]
YearsOpt = Annotated[
    str | None, typer.Option("--years", help="Only documents of these years: 2005..2015, 2011.. or ..1999.")
]
DocOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--doc", help="Only this document: its id (e.g. 2011/SYR_66_2011) or file name. Repeatable."
    ),
]
SymbolOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--symbol",
        help="Only the document with this UN symbol (A/66/874, S/RES/1973 (2011)); a joint symbol's "
        "parts each find it. Repeatable.",
    ),
]
OrganOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--organ",
        help="Only documents of this UN organ, as their symbol names it: General Assembly (GA), Security "
        "Council (SC), Economic and Social Council (ECOSOC), Human Rights Council (HRC), Secretariat "
        "(SG); General Debate speeches count as General Assembly. Repeatable.",
    ),
]
LiteralOpt = Annotated[
    bool,
    typer.Option(
        "--literal",
        help="Take the query as words only. Otherwise years it names (in 2019, since 2011) scope the "
        "search and countries it names are favoured.",
    ),
]


class Format(StrEnum):
    """How `search` prints its results."""

    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"


FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        help="text: for reading; json: as --json; csv: a header row, then a row per passage; markdown: "
        "a list of citations, passage ids and short quotes, to paste into notes. [default: text]",
        show_default=False,
    ),
]


def _output_format(chosen: Format | None, as_json: bool) -> Format:
    if as_json and chosen not in (None, Format.json):
        raise typer.BadParameter(f"--json prints JSON: give it or --format {chosen}, not both")
    return Format.json if as_json else chosen or Format.text


def _export(results: list[Any], chosen: Format) -> None:
    """Results as CSV or Markdown on stdout; what was understood, and empty results, said on stderr."""
    from .export import csv_text, markdown

    for result in results:
        about = f"{result.query}: " if len(results) > 1 else ""
        understood = result.plan.describe()
        if understood:
            err.print(f"[dim]{escape(about)}understood: {escape(understood)}[/dim]")
        if not result.hits:
            err.print(f"[dim]{escape(about)}No passages found.[/dim]")
    found = [result.to_json() for result in results]
    sys.stdout.write(csv_text(found) if chosen == Format.csv else markdown(found, headings=len(results) > 1))


@app.command()
@handles_errors
def search(
    query: Annotated[str | None, typer.Argument(help="What to look for, in plain language.")] = None,
    queries: Annotated[
        Path | None,
        typer.Option("--queries", help="File with one query per line; answers all in one process."),
    ] = None,
    k: TopK = config.DEFAULT_TOP_K,
    mode: ModeOpt = Mode.hybrid,
    per_doc: PerDocOpt = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each hit's dense and lexical ranks and scores.")
    ] = False,
    corpus: CorpusOpt = None,
    index: IndexOpt = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Refuse to search unless the index was built with this model."),
    ] = None,
    as_json: JsonOpt = False,
    country: CountryOpt = None,
    year: YearOpt = None,
    years: YearsOpt = None,
    doc: DocOpt = None,
    symbol: SymbolOpt = None,
    organ: OrganOpt = None,
    literal: LiteralOpt = False,
    group_by: Annotated[
        GroupBy | None,
        typer.Option(
            "--group-by",
            help="country: the best passage of each speaker: each country, and the Secretary-General "
            "or organ where no country speaks.",
        ),
    ] = None,
    output: FormatOpt = None,
) -> None:
    """Rank passages by how well they answer QUERY (or each line of --queries FILE).

    A question that names years ("in 2019", "since 2011", "between 2008 and 2010") is searched in
    those years; countries it names ("Chile", "the Ivory Coast") are favoured; a UN document
    symbol it names ("A/66/874 early warning") keeps the search to that document, and a symbol
    alone ("A/66/874", "A/66/874 para 11", "A/66/PV.11, p. 7") lists its paragraphs. What was
    understood is printed first; --literal turns this off. Builds the index first if there is none
    at the default place (./index or $R2P_INDEX); says when the corpus changed since it was built.
    """
    from .present import render_search
    from .query import scope_from_options

    if (query is None) == (queries is None):
        raise typer.BadParameter("give either a QUERY or --queries FILE")
    chosen = _output_format(output, as_json)
    check_k(k)
    scope = scope_from_options(country, year, years, doc, symbol, organ)
    batch = _read_queries(queries) if queries is not None else [query or ""]
    requests = [
        SearchRequest(
            query=q,
            k=k,
            mode=mode,
            scope=scope,
            per_doc=per_doc,
            group_by=group_by,
            explain=explain,
            literal=literal,
        )
        for q in batch
    ]
    with _open_index(corpus, index, model, preload=mode != Mode.lexical, build=True) as idx:
        say_if_behind = _behind_soon(idx.store.manifest, index)
        results = idx.answer(requests)
    say_if_behind()
    _say_language(result.plan.understood.language for result in results)
    for result in results:
        # In CSV and Markdown, stdout is the export alone: the notes go to stderr as in text.
        _say_notes(result, chosen == Format.json, many=len(results) > 1, weak=result.weak)
    if chosen in (Format.csv, Format.markdown):
        _export(results, chosen)
        return
    for result in results:
        if chosen == Format.json:
            _print_json(result.to_json())
        else:
            render_search(out, result, explain=explain, title=len(results) > 1)


def _behind_soon(manifest: Any, index: Path | None, more: str = "") -> Callable[[], None]:
    """Compare the corpus with what the index recorded of it, on a thread, beside the question's
    own work (a walk of the folder and a stat per file); the function returned says on stderr
    when the index is behind its corpus."""
    import threading

    from .indexer import corpus_changes

    found: list[int | None] = []

    def check() -> None:
        with contextlib.suppress(OSError):
            found.append(corpus_changes(manifest))

    thread = threading.Thread(target=check, name="r2p-corpus-check", daemon=True)
    thread.start()

    def say() -> None:
        thread.join()
        changed = found[0] if found else None
        if changed:
            recorded = Path(manifest.corpus.path)
            corpus = None if recorded == config.default_corpus().resolve() else recorded
            files = "1 file" if changed == 1 else f"{changed:,} files"
            command = _index_command(corpus, index)
            err.print(
                escape(f"{files} added, changed or removed since the index was built: run {command}{more}"),
                soft_wrap=True,
            )

    return say


def _say_notes(result: Any, as_json: bool, many: bool, weak: bool = False) -> None:
    """What a reader of the hits should know of how the question was taken, on stderr: a
    `result` (a search's or a timeline's) cut short, or `weak`."""
    from .request import MAX_QUERY_CHARS

    which = f"{result.query[:40]!r}{'...' if len(result.query) > 40 else ''}: " if many else ""
    if result.truncated_from:
        err.print(
            escape(
                f"{which}the query was cut to its first {MAX_QUERY_CHARS:,} characters (of "
                f"{result.truncated_from:,}); the rest was not searched"
            ),
            soft_wrap=True,
        )
    if weak and not as_json:  # --json says it in the result ("weak")
        err.print(
            escape(f"{which}nothing matched well: these are the nearest passages, but none is close"),
            soft_wrap=True,
        )


@app.command()
@handles_errors
def timeline(
    query: Annotated[str, typer.Argument(help="The topic, in plain language.")],
    by: Annotated[
        By, typer.Option("--by", help="year (a bar per year) or country (a row per country).")
    ] = By.year,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Cosine at which a passage counts on its meaning alone "
            "[default: calibrated for each question over the index].",
            show_default=False,
        ),
    ] = None,
    country: CountryOpt = None,
    year: YearOpt = None,
    years: YearsOpt = None,
    symbol: SymbolOpt = None,
    organ: OrganOpt = None,
    literal: LiteralOpt = False,
    corpus: CorpusOpt = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How strongly a topic is present in each year: the share of documents with a passage on it.

    Every passage is scored (not only the top few). A passage speaks to the topic when its cosine
    stands out from the question's scores over the whole index (or reaches --threshold), or when
    its text holds the topic's words. Bars show the share of each year's documents with such a
    passage, with the best passage of the year.
    """
    from .language import detect
    from .present import render_timeline
    from .query import scope_from_options
    from .timeline import timeline as build_timeline

    scope = scope_from_options(country, year, years, None, symbol, organ)
    with _open_index(corpus, index, None, preload=True) as idx:
        result = build_timeline(idx, query, by=by, scope=scope, literal=literal, threshold=threshold)
    _say_language([detect(query)])
    _say_notes(result, as_json, many=False)
    if as_json:
        _print_json(result.to_json())
    else:
        render_timeline(out, result)


@app.command()
@handles_errors
def similar(
    passage_id: Annotated[
        str | None,
        typer.Argument(
            help='A passage id as printed by search (DOC:12), or a citation: "A/66/874 para 11".',
            metavar="PASSAGE_ID",
            show_default=False,
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text",
            help='A text of your own instead of a passage, such as a paragraph of a draft; "-" reads it '
            "from stdin.",
        ),
    ] = None,
    k: TopK = config.DEFAULT_TOP_K,
    per_doc: PerDocOpt = None,
    other_speakers: Annotated[
        bool,
        typer.Option(
            "--other-speakers",
            help="Leave out PASSAGE_ID's own speaker: its country's other speeches (each passage "
            "carries its country's name, so they come first otherwise).",
        ),
    ] = False,
    country: CountryOpt = None,
    year: YearOpt = None,
    years: YearsOpt = None,
    doc: DocOpt = None,
    symbol: SymbolOpt = None,
    organ: OrganOpt = None,
    corpus: CorpusOpt = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Passages most similar in meaning to PASSAGE_ID (the passage itself left out), or to a text
    of your own with --text: what was said like a paragraph of your draft.

    Passages the text quotes whole are left out, as the passage itself is. --other-speakers
    hears other voices on the same point.
    """
    from .present import render_hits
    from .query import scope_from_options
    from .request import clean_text

    if (passage_id is None) == (text is None):
        raise typer.BadParameter('give either a PASSAGE_ID or --text "..." (--text - reads stdin)')
    if other_speakers and text is not None:
        raise typer.BadParameter("--other-speakers goes with a PASSAGE_ID: a text of your own has no speaker")
    check_k(k)
    scope = scope_from_options(country, year, years, doc, symbol, organ)
    if text is not None:
        text = clean_text(_read_stdin() if text == "-" else text)  # checked before an index is opened
    with _open_index(corpus, index, preload=text is not None) as idx:
        if text is not None:
            result = idx.like_text(text, k, per_doc, scope)
        else:
            result = idx.more_like(passage_id or "", k, per_doc, scope, other_speakers)
    if as_json:
        _print_json(result.to_json())
    else:
        render_hits(out, result.text, result.hits)


def _read_stdin() -> str:
    if sys.stdin is None:
        raise QueryError("no standard input to read the text from")
    if sys.stdin.isatty():
        err.print("Reading the text from standard input: end it with Ctrl-D.")
    # Bytes that are not UTF-8 are replaced rather than refused: a draft pasted from a word
    # processor is still worth matching.
    return sys.stdin.buffer.read().decode("utf-8", errors="replace")


@app.command()
@handles_errors
def show(
    passage_id: Annotated[
        str,
        typer.Argument(help='A passage id as printed by search (DOC:12), or a citation: "A/66/874 para 11".'),
    ],
    context: Annotated[
        int, typer.Option("--context", "-C", help="Neighbouring passages to show on each side.")
    ] = 0,
    corpus: CorpusOpt = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print one passage, with its citation and optionally its neighbours."""
    from .present import render_context

    with _open_index(corpus, index) as idx:
        shown = idx.show(passage_id, context)
    if shown.also:
        # Many files can carry one symbol (a report as PDF and as Word): say which one is shown.
        err.print(
            escape(
                f"also carrying that symbol: {', '.join(shown.also)}; showing {shown.target.doc_id} "
                "(give a passage id to choose)"
            )
        )
    if as_json:
        _print_json(shown.to_json())
    else:
        render_context(out, shown.passages, shown.target.passage_id)


@app.command()
@handles_errors
def status(corpus: CorpusOpt = None, index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Corpus and index side by side: counts, model, and files new, changed or removed since.

    With no corpus at the default place (./corpus or $R2P_CORPUS), the index alone.
    """
    from .indexer import corpus_status
    from .present import render_status
    from .store import MANIFEST

    corpus_dir, index_dir = _paths(corpus, index)
    if index is not None and not (index_dir / MANIFEST).exists():
        raise _no_index(index_dir, corpus, index)
    result = corpus_status(corpus_dir, index_dir)
    if corpus is not None and result.corpus_problem:
        # Named by hand, a missing corpus is a mistake; missing at the default place, the index
        # is reported alone.
        raise CorpusError(result.corpus_problem)
    if as_json:
        _print_json(result.to_json())
    else:
        render_status(out, result, _index_command(corpus, index))


@app.command()
@handles_errors
def verify(index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Check the whole index: checksums of every file, SQLite and BM25 integrity, counts.

    Reads every byte (searches only check what changed since the build). Exit 0 when the index
    is sound, 1 when something is wrong, with what to do.
    """
    from .present import render_checks
    from .store import MANIFEST, verify_index

    _, index_dir = _paths(None, index)
    if not (index_dir / MANIFEST).exists():
        raise _no_index(index_dir, None, index)
    result = verify_index(index_dir)
    if as_json:
        _print_json(result.to_json())
    else:
        render_checks(out, result.checks)
    if not result.ok:
        _fail(f"index at {index_dir} is damaged; {REBUILD_HINT}")


@app.command()
@handles_errors
def serve(
    index: IndexOpt = None,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on; anything but 127.0.0.1 opens it to the network."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            min=1,
            help="Server processes on the port, each with the index open: more answer more "
            "questions at once. [default: one per core]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the search page and the HTTP API (/api/search, /api/docs) from the index.

    Loads the model and the index once; a new build committed by `r2p-search index` is served
    within a few seconds, without a restart. Read-only. Stops on Ctrl-C or SIGTERM.
    """
    from .web import default_processes
    from .web import serve as run_server

    _, index_dir = _paths(None, index)
    _say_if_behind(index_dir, index, "; the new build is served without a restart")
    run_server(
        index_dir,
        host,
        port,
        notify=lambda message: err.print(escape(message)),
        processes=processes or default_processes(),
    )


@app.command()
@handles_errors
def mcp(index: IndexOpt = None) -> None:
    """Serve the index to AI assistants over the Model Context Protocol, on stdin and stdout.

    Tools: search, similar, show, timeline; each returns what the command's --json prints.
    """
    from .mcp_server import run as run_mcp

    _, index_dir = _paths(None, index)
    _say_if_behind(index_dir, index, "; the new build is served without a restart")
    run_mcp(index_dir)


def _say_if_behind(index_dir: Path, index: Path | None, more: str) -> None:
    """A server says once, when it starts, that its index is behind its corpus: not per request."""
    from .store import read_manifest

    with contextlib.suppress(R2PError):  # no index, or a damaged one: the server says so itself
        manifest = read_manifest(index_dir)
        if manifest is not None:
            _behind_soon(manifest, index, more)()


def main() -> None:
    """The console command. Skips the interpreter's teardown, which costs a cold question time
    (freeing the model, the vectors and hundreds of modules) after the answer is printed."""
    code: int | str | None = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    atexit._run_exitfuncs()  # what a normal exit would run first still runs
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe loses nothing that could be saved
            stream.flush()
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    os._exit(code or 0)


@app.command("eval")
@handles_errors
def eval_(
    queries_file: Annotated[
        Path, typer.Argument(help="Query set: JSON Lines with query and relevant spans.")
    ],
    mode: Annotated[
        list[Mode] | None,
        typer.Option("--mode", help="Mode(s) to score: hybrid, dense, lexical. [default: all three]"),
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Results per query; recall is measured at this depth.")] = 20,
    corpus: CorpusOpt = None,
    index: IndexOpt = None,
    min_mrr: Annotated[
        float | None,
        typer.Option("--min-mrr", help="Exit 1 if the first mode's MRR@10 is below this (for CI)."),
    ] = None,
    as_json: JsonOpt = False,
    literal: LiteralOpt = False,
) -> None:
    """Score retrieval on a query set: MRR@10, nDCG@10, hit@1, hit@10 and recall@k per mode.

    Lists the queries with no relevant passage in the top 10. The file format: docs/quality.md.
    """
    from .evaluate import Evaluation, evaluate, load_queries
    from .present import render_eval

    queries = load_queries(queries_file)
    modes = mode or list(Mode)
    check_k(k)
    with _open_index(corpus, index) as idx:
        summaries = [
            evaluate(queries, lambda qs, n, m=m: idx.search_many(qs, n, mode=m, literal=literal), m, k)
            for m in modes
        ]
    if as_json:
        _print_json(Evaluation(len(queries), summaries).to_json())
    else:
        render_eval(out, summaries)
    first = summaries[0]
    if min_mrr is not None and first.metric("mrr@10") < min_mrr:
        raise QualityError(
            f"{first.mode} MRR@10 is {first.metric('mrr@10'):.3f}, below the required {min_mrr:.3f}"
        )
