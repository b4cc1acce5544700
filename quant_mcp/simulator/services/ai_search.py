"""AI Search state: one project's switch, index, crawl/ingest jobs, settings and query log.

The index holds pages by URL, each embedded with the deterministic embeddings of
the vector DB, so a search ranks pages by real word overlap. The simulated crawler
needs no network: a run "fetches" `CRAWL_PATHS` under the project's base URL at
once, with made-up but stable content; `gone` answers 404 and is not indexed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..core.state import timestamp
from ..engine.embeddings import cosine_similarity, embed

DIMENSIONS = 256
CRAWL_PATHS = ("", "about", "services", "pricing", "contact", "gone")
_GONE = "gone"


@dataclass
class IndexedPage:
    url: str
    title: str
    content: str
    content_type: str
    summary: str | None
    tags: list[str]
    topics: list[str]
    job_id: str
    indexed_at: datetime
    embedding: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.embedding = embed(f"{self.title} {self.content}", DIMENSIONS)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "title": self.title,
            "contentType": self.content_type,
            "summary": self.summary,
            "tags": self.tags,
            "topics": self.topics,
            "jobId": self.job_id,
            "indexedAt": timestamp(self.indexed_at),
        }


@dataclass
class Job:
    """A crawler run (`crawl`) or a batch of pushed pages (`ingest`), with a result per page."""

    id: str
    kind: str
    started_at: datetime
    crawler_uuid: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)  # {url, statusCode, processingStatus, title, error}

    def to_json(self) -> dict[str, Any]:
        failed = sum(1 for result in self.results if result["processingStatus"] == "failed")
        return {
            "jobId": self.id,
            "type": self.kind,
            "crawlerUuid": self.crawler_uuid,
            "status": "completed",  # simulated jobs finish as they start
            "startedAt": timestamp(self.started_at),
            "completedAt": timestamp(self.started_at),
            "pagesFound": len(self.results),
            "pagesIndexed": len(self.results) - failed,
            "pagesFailed": failed,
        }


def default_settings() -> dict[str, dict[str, Any]]:
    return {
        "publicAccess": {"enabled": False, "allowedOrigins": []},
        "rateLimits": {"searchPerMinute": 60, "chatPerMinute": 20},
    }


@dataclass
class SearchProject:
    name: str
    enabled: bool = False
    base_url: str | None = None  # set by the first enable: a project without it was never set up
    crawler_config: dict[str, Any] = field(default_factory=dict)
    enabled_at: datetime | None = None
    pages: dict[str, IndexedPage] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=default_settings)
    queries: list[tuple[datetime, str, str]] = field(default_factory=list)  # (when, normalised text, "search" | "chat")

    def status(self) -> dict[str, Any]:
        last = next(reversed(self.jobs.values()), None)
        return {
            "project": self.name,
            "enabled": self.enabled,
            "baseUrl": self.base_url,
            "crawlerConfig": self.crawler_config,
            "enabledAt": timestamp(self.enabled_at) if self.enabled_at else None,
            "pageCount": len(self.pages),
            "lastJob": last.to_json() if last else None,
        }

    def index(self, job: Job, page: IndexedPage) -> bool:
        """Add or replace `page`; True when it was new."""
        created = page.url not in self.pages
        self.pages[page.url] = page
        job.results.append(
            {"url": page.url, "statusCode": 200, "processingStatus": "indexed", "title": page.title, "error": None}
        )
        return created

    def new_job(self, kind: str, now: datetime, crawler_uuid: str | None = None) -> Job:
        job = Job(str(uuid.uuid4()), kind, now, crawler_uuid)
        self.jobs[job.id] = job
        return job

    def crawl(self, crawler_uuid: str, now: datetime) -> Job:
        """One simulated crawler run over `CRAWL_PATHS` under the base URL."""
        assert self.base_url is not None
        job = self.new_job("crawl", now, crawler_uuid)
        site = urlsplit(self.base_url).netloc or self.base_url
        for path in CRAWL_PATHS:
            url = f"{self.base_url.rstrip('/')}/{path}"
            title = f"{path.capitalize() or 'Home'} | {site}"
            if path == _GONE:
                job.results.append(
                    {"url": url, "statusCode": 404, "processingStatus": "failed", "title": None, "error": "HTTP 404 Not Found"}
                )
                continue
            content = f"The {path or 'home'} page of {site}. {site} offers {path or 'everything'} information for its visitors."
            self.index(job, IndexedPage(url, title, content, "text/html", None, [], [path] if path else [], job.id, now))
        return job

    def search(self, text: str, limit: int, min_score: float) -> list[tuple[float, IndexedPage]]:
        """Pages by descending similarity to `text`, at least `min_score` and above zero."""
        target = embed(text, DIMENSIONS)
        scored = sorted(
            ((cosine_similarity(target, page.embedding), page) for page in self.pages.values()), key=lambda pair: -pair[0]
        )
        return [(round(score, 6), page) for score, page in scored if score > 0 and score >= min_score][:limit]

    def log_query(self, now: datetime, text: str, kind: str) -> None:
        self.queries.append((now, " ".join(text.lower().split()), kind))


class SearchProjects(dict[str, SearchProject]):
    """One organisation's AI Search projects by name, made on first use."""

    def __missing__(self, name: str) -> SearchProject:
        self[name] = SearchProject(name)
        return self[name]
