"""The index as tools for AI assistants: a Model Context Protocol (MCP) server on stdin and stdout.

`r2p-search mcp --index DIR` serves five tools over stdio, each answering with the JSON object
the command of the same name prints with --json:

- search(query, ...): passages that answer a question, best first, with citations;
- similar(passage_id, ...): passages close in meaning to one passage;
- similar_text(text, ...): passages close in meaning to a text of one's own (`similar --text`);
- show(passage_id, ...): one passage, with its neighbours if asked;
- timeline(query, ...): how strongly a topic is present in each year (or country).

To register it with an assistant that reads the usual `mcpServers` configuration:

    {
      "mcpServers": {
        "r2p-search": {
          "command": "r2p-search",
          "args": ["mcp", "--index", "/path/to/index"]
        }
      }
    }

The index is served live: a build that `r2p-search index` commits while the server runs is picked
up within about a second, without a restart; each tool call uses one build from start to end.
Stdout carries JSON-RPC and nothing else; messages go to stderr. See docs/mcp.md.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from . import __version__, api, config
from .errors import R2PError
from .live import LiveIndex

NAME = "r2p-search"

INSTRUCTIONS = """\
Semantic search over a collection of UN documents (speeches, reports, resolutions, meeting \
records). Start with `search`; every hit carries a passage_id such as 2011/SYR_66_2011:3 and a \
citation to quote. Pass a passage_id to `show` (with context for the surrounding paragraphs) or to \
`similar`, and a paragraph of a draft to `similar_text`. A UN document symbol such as A/66/874 can \
be the query, alone or with words. Use `timeline` to see in which years (or countries) a topic \
comes up."""

# Every tool only reads the index, and the same question asks the same build the same thing.
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)

# Argument types, with descriptions the assistant reads in each tool's input schema.
Query = Annotated[
    str,
    Field(
        description="What to look for, in plain language; may name years, countries or a UN "
        "document symbol (A/66/874, S/RES/1973 (2011))."
    ),
]
PassageId = Annotated[
    str,
    Field(
        description="A passage id as returned by search (2011/SYR_66_2011:3), or a citation "
        "such as 'A/66/874 para 11'."
    ),
]
TopK = Annotated[int, Field(description="How many passages to return (at least 1).")]
Mode = Annotated[
    Literal["hybrid", "dense", "lexical"],
    Field(description="hybrid: meaning and exact words, fused; dense: meaning only; lexical: words only."),
]
Country = Annotated[
    str | list[str] | None,
    Field(description="Only documents of this country (or these countries): name, alias or ISO code."),
]
Year = Annotated[int | None, Field(description="Only documents of this year.")]
Years = Annotated[
    str | None, Field(description="Only documents of these years: '2005..2015', '2011..' or '..1999'.")
]
Symbol = Annotated[
    str | list[str] | None,
    Field(description="Only the document(s) with this UN symbol, such as A/66/874."),
]
Organ = Annotated[
    str | list[str] | None,
    Field(
        description="Only documents of this UN organ, as their symbol names it: General Assembly (GA), "
        "Security Council (SC), Economic and Social Council (ECOSOC), Human Rights Council (HRC), "
        "Secretariat (SG); General Debate speeches count as General Assembly."
    ),
]
Doc = Annotated[
    str | list[str] | None,
    Field(description="Only this document: its id (2011/SYR_66_2011) or file name."),
]
PerDoc = Annotated[int | None, Field(description="At most this many passages from one document.")]
GroupBy = Annotated[
    Literal["country"] | None,
    Field(
        description="'country': the best passage of each speaker (each country; the "
        "Secretary-General or organ where no country speaks)."
    ),
]
LiteralQuery = Annotated[
    bool,
    Field(
        description="Take the query as words only; otherwise years it names scope the search and "
        "countries it names are favoured."
    ),
]
Explain = Annotated[bool, Field(description="Add each hit's dense and lexical ranks and scores.")]
Context = Annotated[int, Field(description="Neighbouring passages to include on each side.")]
By = Annotated[
    Literal["year", "country"], Field(description="year: one bucket per year; country: one per country.")
]
Threshold = Annotated[
    float | None,
    Field(
        description="Cosine (-1..1) at which a passage counts on its meaning alone; "
        "by default one calibrated for the question over the whole index."
    ),
]


def build_server(live: LiveIndex) -> MCPServer[None]:
    """The server and its tools; `live` is started when the server starts and closed when it stops."""

    @contextlib.asynccontextmanager
    async def lifespan(_: MCPServer[None]) -> AsyncIterator[None]:
        # By now the transport holds a private copy of stdout and has pointed descriptor 1 at
        # stderr. What Python still holds in its own stdout buffer, or is printed from here on,
        # goes to stderr too: flushed at exit, once descriptor 1 is the wire again, it would
        # land in the middle of the protocol.
        sys.stdout.flush()
        with contextlib.redirect_stdout(sys.stderr):
            await anyio.to_thread.run_sync(live.start)  # loads the model: keep the event loop free
            try:
                yield None
            finally:
                await anyio.to_thread.run_sync(live.close)

    server: MCPServer[None] = MCPServer(
        NAME,
        title="R2P search",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        # INFO would log a line on stderr for every request; warnings and crashes are enough.
        log_level="WARNING",
    )

    def answer(ask: Callable[..., dict[str, Any]], *args: Any, **options: Any) -> dict[str, Any]:
        try:
            with live.lease() as index:
                return ask(index, *args, **options)
        except R2PError as exc:
            # The user's mistake, in the words the command line would use: the assistant reads
            # it and can correct the call. Anything else is a bug and is logged with its traceback.
            raise ToolError(str(exc)) from None

    @server.tool(annotations=READ_ONLY)
    def search(
        query: Query,
        k: TopK = config.DEFAULT_TOP_K,
        mode: Mode = "hybrid",
        country: Country = None,
        year: Year = None,
        years: Years = None,
        symbol: Symbol = None,
        organ: Organ = None,
        doc: Doc = None,
        per_doc: PerDoc = None,
        group_by: GroupBy = None,
        literal: LiteralQuery = False,
        explain: Explain = False,
    ) -> dict[str, Any]:
        """Search the documents: the k passages that best answer `query`, best first.

        Returns what `r2p-search search --json` prints: {"query", "understood" (the countries,
        years, documents and symbols the query was read as naming, the text searched, and the
        language the query seems written in: the model reads English),
        "fusion", "results"}. Each result has rank, score, passage_id (like
        "2011/SYR_66_2011:3"), doc_id, title, date, source, paragraph, page, text, window (the
        passage with its neighbours), citation (quote it), meta (country, year, symbol, ...) and
        best_sentence.

        Years ("in 2019", "since 2011") in the query scope the search and countries it names are
        favoured, unless literal is true. A UN document symbol works as a query: "A/66/874" lists
        that document's paragraphs, "A/66/874 early warning" searches within it. Pass a
        passage_id to `show` to read it in context, or to `similar` for passages like it.
        """
        return answer(
            api.search,
            query,
            k=k,
            mode=mode,
            country=country,
            year=year,
            years=years,
            symbol=symbol,
            organ=organ,
            doc=doc,
            per_doc=per_doc,
            group_by=group_by,
            literal=literal,
            explain=explain,
        )

    @server.tool(annotations=READ_ONLY)
    def similar(
        passage_id: PassageId,
        k: TopK = config.DEFAULT_TOP_K,
        per_doc: PerDoc = None,
        country: Country = None,
        year: Year = None,
        years: Years = None,
        symbol: Symbol = None,
        organ: Organ = None,
        doc: Doc = None,
        other_speakers: Annotated[
            bool,
            Field(description="Leave out the passage's own speaker: its country's other speeches."),
        ] = False,
    ) -> dict[str, Any]:
        """Passages closest in meaning to one passage (that passage left out), best first.

        `passage_id` is an id from a search result, like "2011/SYR_66_2011:3", or a citation
        such as "A/66/874 para 11". Returns what `r2p-search similar --json` prints:
        {"passage_id", "text" (the passage they are like), "results"}, the results shaped as in
        `search`. Each passage carries its country's name, so its country's other speeches come
        first unless `other_speakers` leaves them out.
        """
        filters = {"country": country, "year": year, "years": years, "symbol": symbol, "organ": organ}
        return answer(
            api.similar, passage_id, k=k, per_doc=per_doc, doc=doc, other_speakers=other_speakers, **filters
        )

    @server.tool(annotations=READ_ONLY)
    def similar_text(
        text: Annotated[str, Field(description="A paragraph of one's own, such as a draft's.")],
        k: TopK = config.DEFAULT_TOP_K,
        per_doc: PerDoc = None,
        country: Country = None,
        year: Year = None,
        years: Years = None,
        symbol: Symbol = None,
        organ: Organ = None,
        doc: Doc = None,
    ) -> dict[str, Any]:
        """Passages closest in meaning to a text you give, best first: precedents for a draft.

        Passages the text quotes whole are left out. Returns what `r2p-search similar --text TEXT
        --json` prints: {"passage_id": null, "text", "results"}, the results shaped as in `search`,
        each with a passage_id such as "2011/SYR_66_2011:3" to pass to `show`.
        """
        filters = {"country": country, "year": year, "years": years, "symbol": symbol, "organ": organ}
        return answer(api.similar, k=k, per_doc=per_doc, text=text, doc=doc, **filters)

    @server.tool(annotations=READ_ONLY)
    def show(passage_id: PassageId, context: Context = 0) -> dict[str, Any]:
        """One passage in full, with its citation and, if `context` > 0, its neighbours.

        `passage_id` is an id from a search result, like "2011/SYR_66_2011:3", or a citation
        such as "A/66/874 para 11". Returns what `r2p-search show --json` prints:
        {"passage_id", "passages" (in document order, each shaped as a search result, the one
        asked for marked "target": true), "also" (other documents carrying the symbol a citation
        named)}.
        """
        return answer(api.show, passage_id, context=context)

    @server.tool(annotations=READ_ONLY)
    def timeline(
        query: Query,
        by: By = "year",
        threshold: Threshold = None,
        country: Country = None,
        year: Year = None,
        years: Years = None,
        symbol: Symbol = None,
        organ: Organ = None,
        literal: LiteralQuery = False,
    ) -> dict[str, Any]:
        """How strongly a topic is present in each year (or country), over every passage.

        Returns what `r2p-search timeline --json` prints: {"query", "by", "threshold",
        "presence", "understood", "buckets"}; each bucket has key, label, documents,
        matching_documents (documents with a passage on the topic: at or above the threshold, or
        holding the topic's words, as "presence" says), share, passages and best (the best
        passage, shaped as a search result, with its passage_id like "2011/SYR_66_2011:3").
        """
        return answer(
            api.timeline,
            query,
            by=by,
            threshold=threshold,
            country=country,
            year=year,
            years=years,
            symbol=symbol,
            organ=organ,
            literal=literal,
        )

    return server


def run(index_dir: Path) -> None:
    """Serve the index at `index_dir` over stdio until the client closes stdin."""
    live = LiveIndex(index_dir)  # says on stderr when a new build is served or one cannot be
    # Ctrl-C in a terminal is how a person stops the server by hand: not an error worth a message.
    with contextlib.suppress(KeyboardInterrupt):
        build_server(live).run("stdio")
