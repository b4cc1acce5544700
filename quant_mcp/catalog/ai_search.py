"""AI Search: a semantic index of a project's pages, with search and RAG chat over it.

Each Quant project can have AI Search switched on; its index fills from crawler runs or from
pages you push, and answers searches and chat questions from that content. These routes sit
under the project, not under ``/ai``, and are spelt ``organisations`` even in v3. The
reference documents no answer of this group, so every result here is free-form.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from quant_mcp.catalog.base import QUERY, PathId, Route, Text, ToolArguments, Toolset, WireModel, undocumented

AI_SEARCH = "/api/v3/organisations/{organisation}/projects/{project}/ai-search"

Range = Annotated[str | None, QUERY, Field(description="e.g. 7d or 30d (the default).")]


class ProjectArguments(ToolArguments):
    project: PathId  # the project's machine name


class ChatArguments(ProjectArguments):
    message: Text
    session_id: PathId | None = None
    context_url: str | None = None
    max_context_chunks: int | None = Field(
        None, ge=1, le=20, description="Most indexed chunks to ground the answer on, up to 20."
    )


class ListCrawlsArguments(ProjectArguments):
    limit: Annotated[int | None, QUERY, Field(ge=1, le=50)] = None


class TriggerCrawlArguments(ProjectArguments):
    crawler_uuid: PathId = Field(alias="crawler_uuid")


class CrawlArguments(ProjectArguments):
    job_id: PathId


class CrawlPagesArguments(CrawlArguments):
    limit: Annotated[int | None, QUERY, Field(ge=1)] = None
    status_code: Annotated[int | None, QUERY, Field(ge=100, le=599)] = None
    processing_status: Annotated[str | None, QUERY] = None


class EnableArguments(ProjectArguments):
    base_url: str | None = Field(None, description="Required unless the project has one.")
    crawler_config: dict[str, Any] | None = None


class ListPagesArguments(ProjectArguments):
    limit: Annotated[int | None, QUERY, Field(ge=1, le=200)] = None
    cursor: Annotated[str | None, QUERY] = None
    search: Annotated[str | None, QUERY] = None


class IndexPage(WireModel):
    url: Text
    title: str
    content: str = Field(description="The page's text (or HTML, see contentType).")
    content_type: str | None = None
    fetched_at: str | None = None
    pre_processed: bool | None = Field(None, description="true: `content` is already clean text; skip extraction.")
    summary: str | None = None
    tags: list[str] | None = None
    topics: list[str] | None = None


class IngestPagesArguments(ProjectArguments):
    pages: list[IndexPage] = Field(min_length=1)
    job_id: str | None = None


class DeletePagesArguments(ProjectArguments):
    urls: list[str] | None = None
    patterns: list[str] | None = Field(None, description="URL patterns; matching pages are removed.")

    @model_validator(mode="after")
    def _something(self) -> DeletePagesArguments:
        if not self.urls and not self.patterns:
            raise ValueError("give `urls`, `patterns` or both")
        return self


class SearchArguments(ProjectArguments):
    query: Text
    limit: int | None = Field(None, ge=1, le=50)
    min_score: float | None = None


class SettingsArguments(ProjectArguments):
    public_access: dict[str, Any] | None = None
    rate_limits: dict[str, Any] | None = None


class TopQueriesArguments(ProjectArguments):
    range: Range = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100)] = None


class UsageArguments(ProjectArguments):
    range: Range = None


OPERATIONS = [
    undocumented(
        Toolset.AI_SEARCH,
        "get_ai_search_status",
        "Get AI Search status",
        Route("GET", AI_SEARCH),
        ProjectArguments,
        "Whether AI Search is on for a project, and its index state.",
        "aiSearchStatus",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "chat_with_ai_search",
        "Chat with AI Search",
        Route("POST", AI_SEARCH + "/chat"),
        ChatArguments,
        ("Ask a question answered from a project's indexed pages (RAG); pass the session id back for follow-ups."),
        "aiSearchChat",
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "list_ai_search_crawls",
        "List AI Search crawls",
        Route("GET", AI_SEARCH + "/crawls"),
        ListCrawlsArguments,
        "A project's recent crawl and ingest jobs.",
        "aiSearchListCrawls",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "start_ai_search_crawl",
        "Start AI Search crawl",
        Route("POST", AI_SEARCH + "/crawls"),
        TriggerCrawlArguments,
        "Run one of a project's crawlers to refresh its index.",
        "aiSearchTriggerCrawl",
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "get_ai_search_crawl",
        "Get AI Search crawl",
        Route("GET", AI_SEARCH + "/crawls/{jobId}"),
        CrawlArguments,
        "One crawl or ingest job's status and counts.",
        "aiSearchGetCrawl",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "list_ai_search_crawl_pages",
        "List AI Search crawl pages",
        Route("GET", AI_SEARCH + "/crawls/{jobId}/pages"),
        CrawlPagesArguments,
        "One job's per-page results, e.g. the failed ones.",
        "aiSearchGetCrawlPages",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "disable_ai_search",
        "Disable AI Search",
        Route("POST", AI_SEARCH + "/disable"),
        ProjectArguments,
        "Turn AI Search off for a project.",
        "aiSearchDisable",
        destructive=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "enable_ai_search",
        "Enable AI Search",
        Route("POST", AI_SEARCH + "/enable"),
        EnableArguments,
        "Turn AI Search on for a project, with the site's `baseUrl` to index.",
        "aiSearchEnable",
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "purge_ai_search_index",
        "Purge AI Search index",
        Route("DELETE", AI_SEARCH + "/index"),
        ProjectArguments,
        "Empty a project's AI Search index, permanently.",
        "aiSearchPurgeIndex",
        destructive=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "list_ai_search_pages",
        "List AI Search pages",
        Route("GET", AI_SEARCH + "/pages"),
        ListPagesArguments,
        "The pages in a project's index, searchable and paged.",
        "aiSearchListPages",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "ingest_ai_search_pages",
        "Push pages to AI Search",
        Route("POST", AI_SEARCH + "/pages"),
        IngestPagesArguments,
        "Push pages (url, title, content) into a project's index instead of crawling.",
        "aiSearchIngestPages",
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "delete_ai_search_pages",
        "Delete AI Search pages",
        Route("DELETE", AI_SEARCH + "/pages"),
        DeletePagesArguments,
        "Remove pages from a project's index by URL or pattern.",
        "aiSearchDeletePages",
        destructive=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "search_ai_search_index",
        "Search AI Search index",
        Route("POST", AI_SEARCH + "/search"),
        SearchArguments,
        "Semantic search over a project's indexed pages.",
        "aiSearchSearch",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "get_ai_search_settings",
        "Get AI Search settings",
        Route("GET", AI_SEARCH + "/settings"),
        ProjectArguments,
        "A project's AI Search access and rate-limit settings.",
        "aiSearchGetSettings",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "update_ai_search_settings",
        "Update AI Search settings",
        Route("PUT", AI_SEARCH + "/settings"),
        SettingsArguments,
        "Change a project's AI Search access and rate-limit settings.",
        "aiSearchUpdateSettings",
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "get_ai_search_top_queries",
        "Get AI Search top queries",
        Route("GET", AI_SEARCH + "/top-queries"),
        TopQueriesArguments,
        "What visitors search for most, in a time window.",
        "aiSearchTopQueries",
        read_only=True,
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "get_ai_search_usage",
        "Get AI Search usage",
        Route("GET", AI_SEARCH + "/usage"),
        UsageArguments,
        "AI Search usage in a time window.",
        "aiSearchUsage",
        read_only=True,
        idempotent=True,
    ),
]
