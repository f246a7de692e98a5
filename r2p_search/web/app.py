"""Routes of `r2p-search serve`: the HTTP API under /api/, and the page at /.

The API answers with exactly the JSON the CLI's --json prints (`api.py` builds it, the result
types serialise it). Errors are JSON too, `{"error": "..."}`: a bad parameter is 400, an unknown
passage or route 404, a body too large 413, no usable index 503; never a stack trace. The page
renders results on the server, so a search works without JavaScript and its URL can be shared.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from .. import __version__, api, config
from ..documents.un import ORGANS
from ..errors import (
    IndexCorruptError,
    IndexMissingError,
    ModelError,
    PassageNotFoundError,
    QueryError,
    R2PError,
)
from ..export import csv_text
from ..live import LiveIndex
from ..request import SearchRequest
from . import html

HERE = Path(__file__).resolve().parent
MAX_BODY = 64 * 1024
"""Bytes of a POST body: a thousand questions fit."""
MAX_QUERY_STRING = 8 * 1024
MAX_QUERIES = 1000

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The API docs page only: Swagger UI sets styles inline.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

SEARCH_PARAMS = {"q", "k", "mode", "country", "year", "years", "doc", "symbol", "organ", "per_doc"}
SEARCH_PARAMS |= {"group_by", "explain", "literal"}
SIMILAR_PARAMS = {"k", "per_doc", "country", "year", "years", "doc", "symbol", "organ", "other_speakers"}
TIMELINE_PARAMS = {"q", "by", "threshold", "country", "year", "years", "symbol", "organ", "literal"}

Text = Annotated[str | None, Query()]
Texts = Annotated[list[str] | None, Query()]
Flag = Annotated[bool, Query()]
Q = Annotated[str | None, Query(description="The question, in plain language, or a UN symbol.")]
K = Annotated[int, Query(description="How many passages to return.")]
Mode = Annotated[str, Query(description="hybrid (meaning and words, fused), dense or lexical.")]
Countries = Annotated[list[str] | None, Query(description="Only these countries: name, alias or ISO code.")]
Year = Annotated[int | None, Query(description="Only this year.")]
Years = Annotated[str | None, Query(description="Only these years: 2005..2015, 2011.. or ..1999.")]
Docs = Annotated[list[str] | None, Query(description="Only these documents, by id or file name.")]
Symbols = Annotated[list[str] | None, Query(description="Only the documents with these UN symbols.")]
Organs = Annotated[list[str] | None, Query(description="Only documents of these UN organs (GA, SC, ...).")]
PerDoc = Annotated[int | None, Query(description="At most this many passages from one document.")]
GroupBy = Annotated[
    str | None,
    Query(
        description="country: the best passage of each speaker (a country, or who speaks where none does)."
    ),
]


def search_request(
    request: Request,
    q: Q = None,
    k: K = config.DEFAULT_TOP_K,
    mode: Mode = "hybrid",
    country: Countries = None,
    year: Year = None,
    years: Years = None,
    doc: Docs = None,
    symbol: Symbols = None,
    organ: Organs = None,
    per_doc: PerDoc = None,
    group_by: GroupBy = None,
    explain: Flag = False,
    literal: Flag = False,
) -> SearchRequest:
    """The search a GET asks for, checked before any index is leased: a bad one is 400, index or not."""
    _known(request, SEARCH_PARAMS)
    return api.search_request(q or "", **_search_options(locals()))


Asked = Annotated[SearchRequest, Depends(search_request)]


def create_app(live: LiveIndex) -> FastAPI:
    """The application over `live`, which it starts and closes with the server."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        live.start()
        try:
            yield
        finally:
            live.close()

    app = FastAPI(
        title="r2p-search",
        version=__version__,
        description="Semantic search over documents on the Responsibility to Protect. Every answer "
        "is the JSON the command line prints with --json.",
        lifespan=lifespan,
        docs_url=None,  # served below from the package, not from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.live = live
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["marked"] = html.marked
    templates.env.globals["url"] = _page_url
    templates.env.globals["organs"] = ORGANS
    templates.env.globals["passage_url"] = lambda kind, pid: f"/{kind}/{quote(pid, safe='/:')}"
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _mount_swagger(app)
    app.add_middleware(_BodyLimit, limit=MAX_BODY)  # inside `guard`, which adds the headers

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Response:
        length = request.headers.get("content-length") or "0"
        if len(request.url.query) > MAX_QUERY_STRING:
            response: Response = _error(414, f"query string over {MAX_QUERY_STRING} bytes")
        elif not length.isdigit():
            response = _error(400, f"bad Content-Length {length[:40]!r}")
        elif int(length) > MAX_BODY:
            response = _error(413, f"request body over {MAX_BODY} bytes")
        else:
            response = await call_next(request)
        _secure(response, request)
        return response

    @app.exception_handler(R2PError)
    async def core_error(request: Request, exc: R2PError) -> Response:
        return _error(
            _status_of(exc), str(exc), page=not _is_api(request), templates=templates, request=request
        )

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        return _error(
            400, _validation_message(exc), page=not _is_api(request), templates=templates, request=request
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return _error(
            exc.status_code, message, page=not _is_api(request), templates=templates, request=request
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Raised past the middleware above: the headers it adds are added here.
        response = _error(500, f"internal error ({type(exc).__name__}); the server log may say more")
        _secure(response, request)
        return response

    # ---- API ---------------------------------------------------------------------------------

    @app.get("/api/search", tags=["api"], summary="Search: what `search --json` prints")
    def api_search(asked: Asked) -> Response:
        with live.lease() as index:
            return _json(index.answer([asked])[0].to_json())

    @app.post("/api/search", tags=["api"], summary='Many questions: {"results": [one search object each]}')
    def api_search_many(
        body: Annotated[
            dict[str, Any],
            Body(
                examples=[{"queries": ["what about Syria", "A/66/874 early warning"], "k": 5}],
                description="queries (a list of strings) and any GET /api/search parameter but q",
            ),
        ],
    ) -> Response:
        queries = body.get("queries")
        if not isinstance(queries, list) or not queries or not all(isinstance(q, str) for q in queries):
            raise QueryError('"queries" must be a non-empty list of strings')
        if len(queries) > MAX_QUERIES:
            raise QueryError(f"at most {MAX_QUERIES} queries in one request, got {len(queries)}")
        unknown = set(body) - (SEARCH_PARAMS - {"q"}) - {"queries"}
        if unknown:
            raise QueryError(f"unknown field {sorted(unknown)[0]!r} in the body")
        options = _search_options({**body, "k": body.get("k", config.DEFAULT_TOP_K)}, typed=False)
        asked = [api.search_request(q, **options) for q in queries]
        with live.lease() as index:
            return _json({"results": [result.to_json() for result in index.answer(asked)]})

    @app.get("/api/similar/{passage_id:path}", tags=["api"], summary="More like this: `similar --json`")
    def api_similar(
        request: Request,
        passage_id: str,
        k: K = config.DEFAULT_TOP_K,
        per_doc: PerDoc = None,
        country: Countries = None,
        year: Year = None,
        years: Years = None,
        doc: Docs = None,
        symbol: Symbols = None,
        organ: Organs = None,
        other_speakers: Annotated[
            bool, Query(description="Leave out the passage's own speaker (its country's other speeches).")
        ] = False,
    ) -> Response:
        _known(request, SIMILAR_PARAMS)
        filters = {
            "country": country,
            "year": year,
            "years": years,
            "doc": doc,
            "symbol": symbol,
            "organ": organ,
        }
        with live.lease() as index:
            return _json(api.similar(index, passage_id, k, per_doc, other_speakers=other_speakers, **filters))

    @app.post("/api/similar", tags=["api"], summary="More like a text of one's own: `similar --text --json`")
    def api_similar_text(
        body: Annotated[
            dict[str, Any],
            Body(
                examples=[{"text": "States must act early to prevent mass atrocities.", "k": 5}],
                description="text (a paragraph of one's own) and any GET /api/similar parameter",
            ),
        ],
    ) -> Response:
        text = body.get("text")
        if not isinstance(text, str):
            raise QueryError('"text" must be a string: the paragraph to find passages like')
        unknown = set(body) - SIMILAR_PARAMS - {"text"}
        if unknown:
            raise QueryError(f"unknown field {sorted(unknown)[0]!r} in the body")
        _check_types(body)
        options = {name: body.get(name) for name in SIMILAR_PARAMS}
        options["k"] = config.DEFAULT_TOP_K if options["k"] is None else options["k"]
        with live.lease() as index:
            return _json(api.similar(index, text=text, **options))

    @app.get("/api/show/{passage_id:path}", tags=["api"], summary="A passage in context: `show --json`")
    def api_show(
        request: Request,
        passage_id: str,
        context: Annotated[int, Query(description="Neighbours each side.")] = 0,
    ) -> Response:
        _known(request, {"context"})
        with live.lease() as index:
            return _json(api.show(index, passage_id, context))

    @app.get("/api/timeline", tags=["api"], summary="A topic over the years: `timeline --json`")
    def api_timeline(
        request: Request,
        q: Q = None,
        by: Annotated[str, Query(description="year or country")] = "year",
        threshold: Annotated[
            float | None,
            Query(description="Cosine at which a passage counts on its meaning alone; default: calibrated."),
        ] = None,
        country: Countries = None,
        year: Year = None,
        years: Years = None,
        symbol: Symbols = None,
        organ: Organs = None,
        literal: Flag = False,
    ) -> Response:
        _known(request, TIMELINE_PARAMS)
        with live.lease() as index:
            found = api.timeline(
                index,
                q or "",
                by=by,
                threshold=threshold,
                country=country,
                year=year,
                years=years,
                symbol=symbol,
                organ=organ,
                literal=literal,
            )
        return _json(found)

    @app.get("/api/status", tags=["api"], summary="The index side of `status --json`")
    def api_status() -> Response:
        status = api.status(live.index_dir)
        status["serving"] = live.generation
        return _json(status)

    @app.get("/api/search.csv", tags=["api"], summary="Search results as CSV (the page's download)")
    def api_search_csv(asked: Asked) -> Response:
        with live.lease() as index:
            found = index.answer([asked])[0].to_json()
        return Response(
            csv_text([found]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="r2p-search.csv"'},
        )

    # ---- page --------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(
        request: Request,
        q: Text = None,
        k: K = config.DEFAULT_TOP_K,
        mode: Mode = "hybrid",
        country: Text = None,
        years: Text = None,
        symbol: Text = None,
        organ: Text = None,
        group_by: Text = None,
        view: Text = None,
    ) -> Response:
        form = _form(q=q or "", k=k, mode=mode, country=country or "", years=years or "", symbol=symbol or "")
        form |= {"organ": organ or "", "group_by": group_by or "", "view": view or ""}
        context: dict[str, Any] = {"form": form, "status": _page_status(live)}
        if q and q.strip():
            scope = {"country": country, "years": years, "symbol": symbol, "organ": organ}
            with live.lease() as index:
                if view == "timeline":
                    by = "country" if group_by == "country" else "year"
                    found = api.timeline_result(index, q, by=by, **scope)
                    timeline = found.to_json()
                    context["timeline"] = html.timeline_chart(timeline)
                    context["timeline_json"] = timeline
                    context["timeline_understood"] = found.understood
                    context["timeline_presence"] = found.presence.describe()
                    filters = {"q": q, "by": by, **scope}
                    context["timeline_url"] = "/api/timeline?" + urlencode(
                        {key: value for key, value in filters.items() if value}
                    )
                else:
                    asked = api.search_request(q, k=k, mode=mode, group_by=group_by or None, **scope)
                    [result] = index.answer([asked])
                    context["result"] = result
            query = {key: value for key, value in form.items() if value and key != "view"}
            context["json_url"] = "/api/search?" + urlencode(_api_query(query))
            context["csv_url"] = "/api/search.csv?" + urlencode(_api_query(query))
        return templates.TemplateResponse(request, "index.html", context)

    @app.get("/passage/{passage_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def passage_page(request: Request, passage_id: str, context: Annotated[int, Query()] = 2) -> Response:
        with live.lease() as index:
            shown = index.show(passage_id, min(context, 20))
        return templates.TemplateResponse(
            request,
            "passage.html",
            {"shown": shown, "context": context, "form": _form(), "status": _page_status(live)},
        )

    @app.get("/similar/{passage_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def similar_page(
        request: Request, passage_id: str, k: K = config.DEFAULT_TOP_K, other_speakers: Flag = False
    ) -> Response:
        with live.lease() as index:
            like = index.more_like(passage_id, k, other_speakers=other_speakers)
        return templates.TemplateResponse(
            request,
            "similar.html",
            {"like": like, "others": other_speakers, "form": _form(), "status": _page_status(live)},
        )

    return app


class _BodyLimit:
    """Refuses a body over `limit` bytes with 413, also one sent in chunks with no declared length."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _error(413, f"request body over {self.limit} bytes")(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _secure(response: Response, request: Request) -> None:
    docs = request.url.path.startswith("/api/docs")
    response.headers["Content-Security-Policy"] = DOCS_CSP if docs else CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"


def _search_options(values: dict[str, Any], typed: bool = True) -> dict[str, Any]:
    """The core's search options from the route's parameters (or a POST body's fields)."""
    options = {name: values.get(name) for name in SEARCH_PARAMS - {"q"}}
    if not typed:
        _check_types(options)
    options["mode"] = options["mode"] or "hybrid"
    for flag in ("explain", "literal"):
        options[flag] = bool(options[flag])
    return options


def _check_types(body: dict[str, Any]) -> None:
    """A JSON body's fields each of its own type, as query strings get checked."""
    for names, check, kind in _BODY_TYPES:
        for name in names:
            value = body.get(name)
            if value is not None and not check(value):
                raise QueryError(f'"{name}" must be {kind}, not {json.dumps(value)}')


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


_BODY_TYPES: list[tuple[tuple[str, ...], Callable[[Any], bool], str]] = [
    (("k", "year", "per_doc"), _whole, "a whole number"),
    (("explain", "literal"), lambda v: isinstance(v, bool), "true or false"),
    (("mode", "years", "group_by"), lambda v: isinstance(v, str), "a string"),
    (("country", "doc", "symbol", "organ"), _texts, "a string or a list of strings"),
]


def _known(request: Request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0]!r}; this route takes {', '.join(sorted(allowed))}")


def _status_of(exc: R2PError) -> int:
    if isinstance(exc, PassageNotFoundError):
        return 404
    if isinstance(exc, QueryError):
        return 400
    if isinstance(exc, IndexMissingError | IndexCorruptError | ModelError):
        return 503
    return 400


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
    return f"{where}: {first.get('msg', 'invalid')}"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _json(obj: Any, status: int = 200) -> Response:
    # The very bytes `--json` prints (json.dumps, not ASCII-escaped), without the newline.
    return Response(json.dumps(obj, ensure_ascii=False), status_code=status, media_type="application/json")


def _error(
    status: int,
    message: str,
    page: bool = False,
    templates: Jinja2Templates | None = None,
    request: Request | None = None,
) -> Response:
    message = " ".join(message.split())
    if page and templates is not None and request is not None:
        live: LiveIndex = request.app.state.live
        names = ("q", "country", "years", "symbol", "organ", "view")
        fields = {key: request.query_params.get(key, "") for key in names}
        context = {"form": _form(**fields), "error": message}
        context["status"] = _page_status(live)
        return templates.TemplateResponse(request, "index.html", context, status_code=status)
    return _json({"error": message}, status)


def _form(**values: Any) -> dict[str, Any]:
    """The search form's fields, empty but for `values`."""
    form: dict[str, Any] = {"q": "", "k": config.DEFAULT_TOP_K, "mode": "hybrid"}
    form |= {key: "" for key in ("country", "years", "symbol", "organ", "group_by", "view")}
    return form | values


def _page_status(live: LiveIndex) -> dict[str, Any]:
    """What the page's footer says of the index; a damaged manifest is said, not raised again."""
    try:
        status = api.status(live.index_dir)
    except R2PError as exc:
        return {"built": False, "problem": str(exc)}
    status["problem"] = live.problem
    return status


def _page_url(form: dict[str, Any], **changes: Any) -> str:
    values = {**form, **changes}
    return "/?" + urlencode({key: value for key, value in values.items() if value not in ("", None)})


def _api_query(form: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(key, value) for key, value in form.items() if key in SEARCH_PARAMS]


def _mount_swagger(app: FastAPI) -> None:
    """The API docs from the swagger-ui-bundle package: everything works offline."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return
    app.mount("/api/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="swagger")

    @app.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> Response:
        return HTMLResponse((HERE / "templates" / "docs.html").read_text(encoding="utf-8"))
