"""AISearch: per-project semantic search over a site, fed by crawls and pushed pages.

Routes live under `/api/v3/organisations/{organisation}/projects/{project}/ai-search`
(spelt `organisations` and outside `/ai`, as the reference has them). A project is
set up by its first `enable`, which needs a `baseUrl`; enabling an enabled project
is a 409. Before set-up every route but status and enable is a 404; while disabled,
search, chat, crawls and ingest are a 409. Ingest validation failures are 422.

The reference documents no success bodies; the simulator's are:
* status: `{project, enabled, baseUrl, crawlerConfig, enabledAt, pageCount, lastJob}`;
  enable / disable: `{success, message, ...status}`.
* search: `{query, results: [{url, title, snippet, score, tags, topics}], count}`;
  chat: `{answer, sessionId, sources: [{url, title, score}], model, usage}`.
* crawls: `{crawls: [job], count}`; trigger / get: `{job}`, where job is `{jobId, type,
  crawlerUuid, status, startedAt, completedAt, pagesFound, pagesIndexed, pagesFailed}`;
  crawl pages: `{jobId, pages: [{url, statusCode, processingStatus, title, error}], count}`.
* pages: `{pages: [page], count, nextCursor, hasMore}`; ingest: `{jobId, indexed,
  created, updated, message}`; delete pages: `{deleted, urls}`; purge: `{deleted, message}`.
* settings: `{publicAccess, rateLimits}` (PUT merges each object, answers `{success, settings}`);
  top queries: `{range, queries: [{query, count}], total}`; usage: `{range,
  searchRequests, chatRequests, crawlJobs, ingestJobs, pagesIndexed}`.
"""

from __future__ import annotations

import fnmatch
import re
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..core.errors import ApiError, bad_request, found_or_404, not_found
from ..core.requests import WireModel, organisation_data, parse_body, parse_query, simulator_state
from ..core.routing import Endpoint
from ..engine.catalog import DEFAULT_CHAT_MODEL
from ..engine.chat import ChatPrompt, generate
from ..services.ai_search import IndexedPage, Job, SearchProject, SearchProjects
from ..services.models import require_model
from ..services.paging import page
from ..services.wire import parse_body_422

PREFIX = "/api/v3/organisations/{organisation}/projects/{project}/ai-search"
_URL = r"^https?://[^\s/]+\S*$"
_RANGE = re.compile(r"^(\d{1,4})([dh])$")


class EnableSearch(WireModel):
    base_url: str | None = Field(None, pattern=_URL)
    crawler_config: dict[str, Any] | None = None


class SearchQuery(WireModel):
    query: str = Field(min_length=1)
    limit: int = Field(10, ge=1, le=50)
    min_score: float = Field(0.0, ge=0, le=1)


class SearchChat(WireModel):
    message: str = Field(min_length=1)
    session_id: str | None = None
    context_url: str | None = Field(None, pattern=_URL)
    max_context_chunks: int = Field(5, ge=1, le=20)


class TriggerCrawl(WireModel):
    crawler_uuid: str = Field(validation_alias="crawler_uuid", pattern=r"^[0-9a-fA-F-]{36}$")


class PushedPage(WireModel):
    url: str = Field(pattern=_URL)
    title: str = Field(min_length=1)
    content: str = Field(min_length=1)
    content_type: str = "text/html"
    fetched_at: str | None = None
    pre_processed: bool = False
    summary: str | None = None
    tags: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)


class IngestPages(WireModel):
    job_id: str | None = None
    pages: list[PushedPage] = Field(min_length=1)


class DeletePages(WireModel):
    urls: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)


class UpdateSettings(WireModel):
    public_access: dict[str, Any] | None = None
    rate_limits: dict[str, Any] | None = None


class ListCrawls(WireModel):
    limit: int = Field(20, ge=1, le=50)


class ListCrawlPages(WireModel):
    limit: int = Field(50, ge=1, le=200)
    status_code: int | None = None
    processing_status: str | None = None


class ListPages(WireModel):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None
    search: str | None = None


class Window(WireModel):
    range: str = "30d"

    def start(self, now: datetime) -> datetime:
        match = _RANGE.match(self.range)
        if match is None:
            raise bad_request("range", "must be a number of days or hours, e.g. 30d or 24h")
        amount = int(match.group(1))
        return now - (timedelta(days=amount) if match.group(2) == "d" else timedelta(hours=amount))


class TopQueries(Window):
    limit: int = Field(10, ge=1, le=100)


def search_route(method: str, path: str, endpoint: Endpoint, operation_id: str) -> list[Route]:
    """The AI Search operation `method {PREFIX}{path}`."""
    return [Route(PREFIX + path, endpoint, methods=[method], name=operation_id)]


def _project(request: Request) -> SearchProject:
    return organisation_data(request).get(SearchProjects)[request.path_params["project"]]


def _set_up(request: Request) -> SearchProject:
    project = _project(request)
    if project.base_url is None:
        raise not_found("AI Search for project", project.name)
    return project


def _enabled(request: Request) -> SearchProject:
    project = _set_up(request)
    if not project.enabled:
        raise ApiError(409, f"AI Search is disabled for project '{project.name}': enable it first")
    return project


async def status(request: Request) -> Response:
    return JSONResponse(_project(request).status())


async def enable(request: Request) -> Response:
    body = await parse_body(request, EnableSearch, required=False)
    project = _project(request)
    if project.enabled:
        raise ApiError(409, f"AI Search is already enabled for project '{project.name}'")
    base_url = body.base_url or project.base_url
    if base_url is None:
        raise bad_request("baseUrl", "is required to enable AI Search for the first time")
    project.base_url, project.enabled, project.enabled_at = base_url, True, simulator_state(request).now()
    if body.crawler_config is not None:
        project.crawler_config = body.crawler_config
    return JSONResponse({"success": True, "message": f"AI Search enabled for project '{project.name}'", **project.status()})


async def disable(request: Request) -> Response:
    project = _set_up(request)
    project.enabled = False
    return JSONResponse({"success": True, "message": f"AI Search disabled for project '{project.name}'", **project.status()})


async def search(request: Request) -> Response:
    body = await parse_body(request, SearchQuery)
    project = _enabled(request)
    project.log_query(simulator_state(request).now(), body.query, "search")
    hits = project.search(body.query, body.limit, body.min_score)
    results = [
        {
            "url": p.url,
            "title": p.title,
            "snippet": p.summary or p.content[:200],
            "score": score,
            "tags": p.tags,
            "topics": p.topics,
        }
        for score, p in hits
    ]
    return JSONResponse({"query": body.query, "results": results, "count": len(results)})


async def chat(request: Request) -> Response:
    """A RAG answer: the simulated chat model, given the best-matching pages as context."""
    body = await parse_body(request, SearchChat)
    project = _enabled(request)
    project.log_query(simulator_state(request).now(), body.message, "chat")
    hits = project.search(body.message, body.max_context_chunks, 0.0)
    if body.context_url in project.pages and all(p.url != body.context_url for _, p in hits):
        hits = [(1.0, project.pages[body.context_url]), *hits][: body.max_context_chunks]
    context = "\n\n".join(f"{p.title} ({p.url}): {p.content}" for _, p in hits)
    model = require_model(DEFAULT_CHAT_MODEL, "chat")
    reply = generate(
        ChatPrompt(
            model=model,
            messages=[{"role": "user", "content": body.message}],
            system_prompt=f"Answer from these pages:\n{context}",
        )
    )
    return JSONResponse(
        {
            "answer": reply.text,
            "sessionId": body.session_id or str(uuid.uuid4()),
            "sources": [{"url": p.url, "title": p.title, "score": score} for score, p in hits],
            "model": model.id,
            "usage": reply.usage(),
        }
    )


async def list_crawls(request: Request) -> Response:
    limit = parse_query(request, ListCrawls).limit
    jobs = [job.to_json() for job in reversed(_set_up(request).jobs.values())][:limit]
    return JSONResponse({"crawls": jobs, "count": len(jobs)})


async def trigger_crawl(request: Request) -> Response:
    body = await parse_body(request, TriggerCrawl)
    job = _enabled(request).crawl(body.crawler_uuid, simulator_state(request).now())
    return JSONResponse({"job": job.to_json()})


def _job(request: Request) -> Job:
    job_id = request.path_params["jobId"]
    return found_or_404(_set_up(request).jobs.get(job_id), "Crawl job", job_id)


async def get_crawl(request: Request) -> Response:
    return JSONResponse({"job": _job(request).to_json()})


async def crawl_pages(request: Request) -> Response:
    query = parse_query(request, ListCrawlPages)
    job = _job(request)
    results = [
        r
        for r in job.results
        if (query.status_code is None or r["statusCode"] == query.status_code)
        and (query.processing_status is None or r["processingStatus"] == query.processing_status)
    ][: query.limit]
    return JSONResponse({"jobId": job.id, "pages": results, "count": len(results)})


async def list_pages(request: Request) -> Response:
    query = parse_query(request, ListPages)
    wanted = (query.search or "").lower()
    pages = [p for p in _set_up(request).pages.values() if wanted in p.url.lower() or wanted in p.title.lower()]
    shown, next_cursor = page(pages, query.limit, query.cursor)
    return JSONResponse(
        {
            "pages": [p.to_json() for p in shown],
            "count": len(shown),
            "nextCursor": next_cursor,
            "hasMore": next_cursor is not None,
        }
    )


async def ingest_pages(request: Request) -> Response:
    body = await parse_body_422(request, IngestPages)
    project = _enabled(request)
    now = simulator_state(request).now()
    if body.job_id is None:
        job = project.new_job("ingest", now)
    else:
        job = found_or_404(project.jobs.get(body.job_id), "Crawl job", body.job_id)
    created = sum(
        project.index(job, IndexedPage(p.url, p.title, p.content, p.content_type, p.summary, p.tags, p.topics, job.id, now))
        for p in body.pages
    )
    updated = len(body.pages) - created
    return JSONResponse(
        {
            "jobId": job.id,
            "indexed": len(body.pages),
            "created": created,
            "updated": updated,
            "message": f"{len(body.pages)} page(s) indexed",
        }
    )


async def delete_pages(request: Request) -> Response:
    body = await parse_body(request, DeletePages)
    if not body.urls and not body.patterns:
        raise bad_request("urls", "name the pages to remove: urls, patterns (glob, e.g. https://example.com/blog/*) or both")
    project = _set_up(request)
    doomed = [
        url for url in project.pages if url in body.urls or any(fnmatch.fnmatchcase(url, pattern) for pattern in body.patterns)
    ]
    for url in doomed:
        del project.pages[url]
    return JSONResponse({"deleted": len(doomed), "urls": doomed})


async def purge_index(request: Request) -> Response:
    project = _set_up(request)
    deleted = len(project.pages)
    project.pages.clear()
    return JSONResponse({"deleted": deleted, "message": f"Index of project '{project.name}' purged"})


async def get_settings(request: Request) -> Response:
    return JSONResponse(_set_up(request).settings)


async def update_settings(request: Request) -> Response:
    body = await parse_body(request, UpdateSettings)
    project = _set_up(request)
    for name, changes in (("publicAccess", body.public_access), ("rateLimits", body.rate_limits)):
        project.settings[name].update(changes or {})
    return JSONResponse({"success": True, "settings": project.settings})


async def top_queries(request: Request) -> Response:
    window = parse_query(request, TopQueries)
    project = _set_up(request)
    start = window.start(simulator_state(request).now())
    counts = Counter(text for moment, text, _ in project.queries if moment >= start)
    queries = [{"query": text, "count": count} for text, count in counts.most_common(window.limit)]
    return JSONResponse({"range": window.range, "queries": queries, "total": sum(counts.values())})


async def usage(request: Request) -> Response:
    window = parse_query(request, Window)
    project = _set_up(request)
    start = window.start(simulator_state(request).now())
    kinds = Counter(kind for moment, _, kind in project.queries if moment >= start)
    jobs = Counter(job.kind for job in project.jobs.values() if job.started_at >= start)
    return JSONResponse(
        {
            "range": window.range,
            "searchRequests": kinds["search"],
            "chatRequests": kinds["chat"],
            "crawlJobs": jobs["crawl"],
            "ingestJobs": jobs["ingest"],
            "pagesIndexed": len(project.pages),
        }
    )


ROUTES = [
    *search_route("GET", "", status, "aiSearchStatus"),
    *search_route("POST", "/enable", enable, "aiSearchEnable"),
    *search_route("POST", "/disable", disable, "aiSearchDisable"),
    *search_route("POST", "/search", search, "aiSearchSearch"),
    *search_route("POST", "/chat", chat, "aiSearchChat"),
    *search_route("GET", "/crawls", list_crawls, "aiSearchListCrawls"),
    *search_route("POST", "/crawls", trigger_crawl, "aiSearchTriggerCrawl"),
    *search_route("GET", "/crawls/{jobId}", get_crawl, "aiSearchGetCrawl"),
    *search_route("GET", "/crawls/{jobId}/pages", crawl_pages, "aiSearchGetCrawlPages"),
    *search_route("GET", "/pages", list_pages, "aiSearchListPages"),
    *search_route("POST", "/pages", ingest_pages, "aiSearchIngestPages"),
    *search_route("DELETE", "/pages", delete_pages, "aiSearchDeletePages"),
    *search_route("DELETE", "/index", purge_index, "aiSearchPurgeIndex"),
    *search_route("GET", "/settings", get_settings, "aiSearchGetSettings"),
    *search_route("PUT", "/settings", update_settings, "aiSearchUpdateSettings"),
    *search_route("GET", "/top-queries", top_queries, "aiSearchTopQueries"),
    *search_route("GET", "/usage", usage, "aiSearchUsage"),
]
