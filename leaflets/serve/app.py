"""The counter's web app: Starlette routes over the entries, the index and the render pool.

Pages are server-rendered Jinja (autoescaped) and work without JavaScript;
``templates/serve/static/counter.js`` adds results as you type, keyboard
selection and the --watch reload. Every response carries a strict
Content-Security-Policy (scripts from this server only, no inline code),
no referrer, no framing, and ``Cache-Control: no-store``.

Patient fields are taken from POST bodies only and go straight to a render
worker; nothing here logs, stores or echoes them.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from datetime import date
from typing import Any
from urllib.parse import quote, unquote

import pikepdf
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leaflets.project.options import BuildOptions
from leaflets.project.paper import PAGE_SIZES
from leaflets.project.project import default_resource_dir
from leaflets.project.templating import Templates
from leaflets.serve.counter import Counter
from leaflets.serve.patient import (
    CopyOptions,
    FieldProblem,
    has_patient_fields,
    read_options,
    read_patient,
)
from leaflets.serve.pool import RenderJob
from leaflets.serve.printer import PrintError, send_to_printer
from leaflets.serve.translations import bilingual_partners, name_in, own_name

log = logging.getLogger("leaflets.serve")

MAX_FORM_BYTES = 64_000
"""A patient form is a few kB at most; larger bodies are refused before they are read."""
MAX_BASKET = 60
_BASKET_COOKIE = "basket"
_PAGE = re.compile(r"^(?P<id>.+)/page-(?P<page>[1-9][0-9]{0,3})\.png$")
_SUSPICIOUS = re.compile(r"%2f|%5c|%00|\\", re.IGNORECASE)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class SecurityHeaders:
    """Adds the security headers to every response, and ``Cache-Control: no-store`` where none is set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(SECURITY_HEADERS)]
                headers += SECURITY_HEADERS
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def web_templates(counter: Counter) -> Jinja2Templates:
    """The pages' templates: the project's own Jinja environment (its templates/serve/ first, then the
    built-in ones), so they are rendered with the same autoescaping and the same guards as leaflets.
    What they translate (``_()``) is in the project's language, the pharmacy's own."""
    templates = Templates(counter.project)
    templates.use_language(counter.project.config.lang)
    return Jinja2Templates(env=templates.environment)


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """A page of templates/serve/, with what every page shows (the basket, the --watch reload script)."""
    counter: Counter = request.app.state.counter
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("basket", read_basket(request, counter))
    context.setdefault("watching", counter.watching)
    return templates.TemplateResponse(request, f"serve/{name}", context, status_code=status)


# -- search ---------------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    """GET /: the search box, with results for ``?q=`` when the browser sends the form without JavaScript."""
    if has_patient_fields(request.query_params):
        return refused_in_url(request)
    counter: Counter = request.app.state.counter
    query = request.query_params.get("q", "")[:200]
    hits = counter.index.search(query) if query.strip() else []
    return page(request, "home.html", q=query, hits=hits, total=len(counter.sources))


async def api_search(request: Request) -> Response:
    """GET /api/search?q=: the page's results as JSON, in the same order, for scripts and the page's own typing-ahead."""
    counter: Counter = request.app.state.counter
    query = request.query_params.get("q", "")[:200]
    hits = counter.index.search(query) if query.strip() else []
    results = [{"id": hit.id, "title": hit.title, "lang": counter.language(hit.id), "url": leaflet_url(hit.id)} for hit in hits]
    return JSONResponse({"results": results})


def leaflet_url(identifier: str) -> str:
    """The leaflet page of an entry id, quoted: ids are file paths and may hold spaces or ``#``."""
    return "/leaflet/" + quote(identifier)


# -- one leaflet ----------------------------------------------------------------------------------


async def leaflet(request: Request) -> Response:
    """``/leaflet/ID`` (the page), ``/leaflet/ID.pdf`` (GET plain, POST patient's copy), page images."""
    counter: Counter = request.app.state.counter
    rest = request.path_params["rest"]
    raw = request.scope.get("raw_path", b"").decode("latin-1")
    if _SUSPICIOUS.search(raw) or any(part in ("", ".", "..") for part in rest.split("/")):
        return not_found(request)
    if request.method == "GET" and has_patient_fields(request.query_params):
        return refused_in_url(request)
    if rest.endswith(".pdf"):
        identifier = rest[: -len(".pdf")]
        if identifier not in counter.sources:
            return not_found(request)
        if request.method == "POST":
            return await patient_copy(request, identifier)
        return await plain_copy(request, identifier)
    if request.method != "GET":
        return not_found(request) if rest not in counter.sources else Response(status_code=405, headers={"Allow": "GET"})
    match = _PAGE.match(rest)
    if match and match["id"] in counter.sources:
        return await page_image(request, match["id"], int(match["page"]))
    if rest not in counter.sources:
        return not_found(request)
    return await leaflet_page(request, rest)


def languages(counter: Counter, identifier: str) -> dict[str, list[str]]:
    """The languages a leaflet can be printed in (its own first, then its translations'), each with the
    languages a bilingual edition of it can be made with (those whose linked entry the renderer finds)."""
    family = counter.family(identifier)
    own_first = sorted(family, key=lambda sibling: sibling.id != identifier)
    project_lang = counter.project.config.lang
    return {s.lang: bilingual_partners(counter.sources[s.id], s.lang, family, project_lang) for s in own_first}


def shown_id(counter: Counter, identifier: str, lang: str) -> str:
    """The id printed for ``lang``: the entry itself, or its translation into ``lang``."""
    return next((sibling.id for sibling in counter.family(identifier) if sibling.lang == lang), identifier)


def copy_options(request: Request, fields: Any, identifier: str) -> tuple[CopyOptions | None, list[FieldProblem]]:
    """Paper, large print, language and bilingual from ``fields``, checked against what this entry offers."""
    counter: Counter = request.app.state.counter
    return read_options(fields, counter.project.config.paper, languages(counter, identifier))


def build_options(counter: Counter, options: CopyOptions) -> BuildOptions:
    """What the plain leaflet is built with: the options of the build cache, bilingual edition included."""
    return counter.options(options.paper, options.large_print, options.bilingual)


async def leaflet_page(request: Request, identifier: str) -> Response:
    """GET /leaflet/ID: the leaflet as it prints (page images), its options and the patient form."""
    counter: Counter = request.app.state.counter
    choices = languages(counter, identifier)
    options, problems = read_options(request.query_params, counter.project.config.paper, choices)
    if options is None:
        return page(request, "problem.html", 400, problems=problems, back=leaflet_url(identifier))
    shown = shown_id(counter, identifier, options.lang)
    source = counter.sources[shown]
    rendered = await counter.plain_pdf(source, build_options(counter, options))
    if rendered.data is None:
        return render_failed(request, shown, rendered.error)
    pages = rendered.pages or await asyncio.to_thread(count_pages, rendered.data)
    query = (f"paper={options.paper}&large_print={'1' if options.large_print else ''}&lang={quote(options.lang)}"
             f"&bilingual={quote(options.bilingual or '')}")
    family = counter.family(identifier)
    reader = counter.project.config.lang
    return page(
        request, "leaflet.html",
        id=identifier, title=counter.title(shown), url=leaflet_url(identifier), options=options,
        papers=list(PAGE_SIZES), pages=pages, query=query,
        languages=[(sibling.lang, own_name(sibling.lang)) for sibling in family],
        partners=[(lang, name_in(lang, reader)) for lang in choices[options.lang]], reader=reader,
        family=[sibling.id for sibling in family], shown=shown,
        printer=counter.project.config.printer, today=date.today().isoformat(),
        in_basket=shown in read_basket(request, counter), source=source.relative.as_posix(),
    )


def count_pages(data: bytes) -> int:
    """Pages in a PDF (one served from the build cache, whose page count was not kept)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


async def page_image(request: Request, identifier: str, number: int) -> Response:
    """GET /leaflet/ID/page-N.png: one page of the plain leaflet, so the preview is the PDF itself, not an HTML look-alike."""
    counter: Counter = request.app.state.counter
    options, problems = copy_options(request, request.query_params, identifier)
    if options is None:
        return page(request, "problem.html", 400, problems=problems, back=leaflet_url(identifier))
    source = counter.sources[shown_id(counter, identifier, options.lang)]
    image = await counter.page_image(source, build_options(counter, options), number)
    if image is None:
        return not_found(request)
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-cache"})


async def plain_copy(request: Request, identifier: str) -> Response:
    """GET /leaflet/ID.pdf: the plain leaflet (no patient data), from the build cache when it is current."""
    counter: Counter = request.app.state.counter
    options, problems = copy_options(request, request.query_params, identifier)
    if options is None:
        return page(request, "problem.html", 400, problems=problems, back=leaflet_url(identifier))
    shown = shown_id(counter, identifier, options.lang)
    rendered = await counter.plain_pdf(counter.sources[shown], build_options(counter, options))
    if rendered.data is None:
        return render_failed(request, shown, rendered.error)
    return pdf_response(rendered.data, download_name(shown, build_options(counter, options)), attachment=False)


async def patient_copy(request: Request, identifier: str) -> Response:
    """POST /leaflet/ID.pdf: the patient's copy, rendered in memory; downloaded, or printed with ``lp``.

    An unexpected error is reported by its type only: its message might quote what was typed,
    and the server's own error handler would log it with a traceback.
    """
    try:
        return await _patient_copy(request, identifier)
    except Exception as exc:  # noqa: BLE001
        log.error("internal error while making a patient's copy of %s: %s", identifier, type(exc).__name__)
        return render_failed(request, identifier, f"internal error: {type(exc).__name__}")


async def _patient_copy(request: Request, identifier: str) -> Response:
    counter: Counter = request.app.state.counter
    refusal = refuse_form(request)
    if refusal is not None:
        return refusal
    async with request.form(max_files=0, max_fields=20) as form:
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
    action = fields.get("action", "")
    options, option_problems = copy_options(request, fields, identifier)
    box, problems = read_patient(fields)
    problems = option_problems + problems
    if problems or options is None:
        return page(request, "problem.html", 400, problems=problems, back=leaflet_url(identifier))
    shown = shown_id(counter, identifier, options.lang)
    source = counter.sources[shown]
    rendered = await counter.patient_pdf(
        RenderJob(source.path, source.relative, options.paper, options.large_print, box, bilingual=options.bilingual))
    if rendered.data is None:
        return render_failed(request, shown, rendered.error)
    if action == "print":
        printer = counter.project.config.printer
        if not printer:
            return page(request, "printed.html", 409, printer="", error="no-printer", job="", back=leaflet_url(identifier))
        try:
            job = await asyncio.to_thread(send_to_printer, rendered.data, printer, counter.title(shown))
        except PrintError as exc:
            return page(request, "printed.html", 502, printer=printer, error=str(exc), job="", back=leaflet_url(identifier))
        return page(request, "printed.html", printer=printer, error="", job=job, back=leaflet_url(identifier))
    return pdf_response(rendered.data, download_name(shown, build_options(counter, options)), attachment=True)


def refuse_form(request: Request) -> Response | None:
    """Refuse bodies too large to be a form, and posts from other sites (a page elsewhere must not print here)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return page(request, "problem.html", 413, problems=[FieldProblem("form", "too-long", MAX_FORM_BYTES)], back="/")
    origin = request.headers.get("origin")
    if (request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")
            or (origin and origin != "null" and origin.split("://", 1)[-1] != request.headers.get("host", ""))):
        return page(request, "problem.html", 403, problems=[FieldProblem("form", "other-site")], back="/")
    return None


def download_name(identifier: str, options: BuildOptions) -> str:
    """The file name a download gets: the medicine's file name only, never anything typed; the suffix the
    build gives the same edition (``-large``, ``+en``)."""
    stem = identifier.rsplit("/", 1)[-1]
    return f"{stem}{options.name_suffix}.pdf"


def pdf_response(data: bytes, filename: str, attachment: bool) -> Response:
    """A PDF named after the medicine only (never a patient), never stored by the browser or a proxy."""
    disposition = "attachment" if attachment else "inline"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })


# -- the basket: several leaflets as one booklet --------------------------------------------------


def read_basket(request: Request, counter: Counter) -> list[str]:
    """The ids in the basket cookie that still name an entry, each once, at most MAX_BASKET."""
    raw = request.cookies.get(_BASKET_COOKIE, "")
    ids = [unquote(part) for part in raw.split(",") if part]
    return [identifier for identifier in dict.fromkeys(ids) if identifier in counter.sources][:MAX_BASKET]


async def basket(request: Request) -> Response:
    """GET /basket lists the picked leaflets; POST adds, removes or clears (a cookie: nothing is kept on the server)."""
    counter: Counter = request.app.state.counter
    if request.method == "GET":
        ids = read_basket(request, counter)
        items = [(identifier, counter.title(identifier)) for identifier in ids]
        return page(request, "basket.html", items=items, papers=list(PAGE_SIZES), paper=counter.project.config.paper)
    refusal = refuse_form(request)
    if refusal is not None:
        return refusal
    async with request.form(max_files=0, max_fields=5) as form:
        add, remove, clear = form.get("add"), form.get("remove"), form.get("clear")
        back = form.get("back")
    ids = read_basket(request, counter)
    if isinstance(add, str) and add in counter.sources and add not in ids:
        ids.append(add)
    if isinstance(remove, str):
        ids = [identifier for identifier in ids if identifier != remove]
    if clear:
        ids = []
    target = back if isinstance(back, str) and back.startswith("/") and not back.startswith("//") else "/basket"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(_BASKET_COOKIE, ",".join(quote(i, safe="") for i in ids[:MAX_BASKET]),
                        httponly=True, samesite="strict", max_age=8 * 3600)
    return response


async def basket_pdf(request: Request) -> Response:
    """GET /basket.pdf: the basket's leaflets as one booklet, each in its own language."""
    counter: Counter = request.app.state.counter
    ids = read_basket(request, counter)
    if not ids:
        return RedirectResponse("/basket", status_code=303)
    in_basket = dict.fromkeys([*(counter.language(i) for i in ids), counter.project.config.lang], list[str]())
    options, problems = read_options(request.query_params, counter.project.config.paper, in_basket)
    if options is None:
        return page(request, "problem.html", 400, problems=problems, back="/basket")
    rendered = await counter.booklet(ids, counter.options(options.paper, options.large_print))
    if rendered.data is None:
        return page(request, "failed.html", 500, title="", id="", error=rendered.error or "", what="booklet")
    return pdf_response(rendered.data, "booklet.pdf", attachment=True)


# -- --watch: tell open previews that something changed --------------------------------------------


async def events(request: Request) -> Response:
    """GET /events (with --watch): server-sent events naming the entries that changed, so open previews reload."""
    counter: Counter = request.app.state.counter
    if not counter.watching:
        return not_found(request)
    queue = counter.subscribe()

    async def stream() -> Any:
        try:
            yield "retry: 1000\n\n"
            while True:
                try:
                    ids = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: changed\ndata: {json.dumps(ids)}\n\n"
        finally:
            counter.unsubscribe(queue)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


# -- error pages ----------------------------------------------------------------------------------


def not_found(request: Request) -> Response:
    """The 404 page: an unknown id or a path trick, with nothing read."""
    return page(request, "not_found.html", 404)


def refused_in_url(request: Request) -> Response:
    """Patient fields in a URL: refused, so they never sit in logs and browser history as a working link."""
    return page(request, "problem.html", 400, problems=[FieldProblem("url", "in-url")], back="/")


def render_failed(request: Request, identifier: str, error: str | None) -> Response:
    """The 500 page naming the entry and its file, so staff can tell the author; the server stays up."""
    counter: Counter = request.app.state.counter
    return page(request, "failed.html", 500, id=identifier, title=counter.title(identifier),
                source=str(counter.sources[identifier].path), error=error or "", what="leaflet")


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors: our 404 page, else the bare status (no framework page, no traceback)."""
    status = getattr(exc, "status_code", 500)
    if status == 404:
        return not_found(request)
    return Response(status_code=status)


def create_app(counter: Counter, lifespan: Any = None) -> Starlette:
    """The counter's routes over ``counter``, every response wrapped in the security headers."""
    static = default_resource_dir() / "templates" / "serve" / "static"
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/api/search", api_search),
            Route("/leaflet/{rest:path}", leaflet, methods=["GET", "POST"]),
            Route("/basket", basket, methods=["GET", "POST"]),
            Route("/basket.pdf", basket_pdf),
            Route("/events", events),
            Route("/favicon.ico", lambda _request: Response(status_code=204)),
            Mount("/static", StaticFiles(directory=str(static)), name="static"),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.counter = counter
    app.state.templates = web_templates(counter)
    app.add_middleware(SecurityHeaders)
    return app
