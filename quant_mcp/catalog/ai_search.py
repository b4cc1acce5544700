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

Range = Annotated[str | None, QUERY, Field(description="Time window such as '7d' or '30d' (default 30d).")]


class ProjectArguments(ToolArguments):
    project: PathId = Field(description="Project machine name.")


class ChatArguments(ProjectArguments):
    message: Text = Field(description="The question to answer from the project's content.")
    session_id: PathId | None = Field(None, description="Continue this AI Search conversation.")
    context_url: str | None = Field(None, description="URL of the page the question is asked from, to favour its content.")
    max_context_chunks: int | None = Field(
        None, ge=1, le=20, description="Most indexed chunks to ground the answer on, up to 20."
    )


class ListCrawlsArguments(ProjectArguments):
    limit: Annotated[int | None, QUERY, Field(ge=1, le=50, description="Page size, up to 50.")] = None


class TriggerCrawlArguments(ProjectArguments):
    crawler_uuid: PathId = Field(alias="crawler_uuid", description="UUID of the project's crawler to run.")


class CrawlArguments(ProjectArguments):
    job_id: PathId = Field(description="Ingest or crawl job id, from list_ai_search_crawls.")


class CrawlPagesArguments(CrawlArguments):
    limit: Annotated[int | None, QUERY, Field(ge=1, description="Page size.")] = None
    status_code: Annotated[int | None, QUERY, Field(ge=100, le=599, description="Only pages fetched with this HTTP status.")] = (
        None
    )
    processing_status: Annotated[str | None, QUERY, Field(description="Only pages in this processing status.")] = None


class EnableArguments(ProjectArguments):
    base_url: str | None = Field(
        None, description="The site's base URL to index (required unless the project already has one; 400 without)."
    )
    crawler_config: dict[str, Any] | None = Field(None, description="Crawler settings for the index.")


class ListPagesArguments(ProjectArguments):
    limit: Annotated[int | None, QUERY, Field(ge=1, le=200, description="Page size, up to 200.")] = None
    cursor: Annotated[str | None, QUERY, Field(description="Cursor from the previous page.")] = None
    search: Annotated[str | None, QUERY, Field(description="Only pages whose URL or title contains this text.")] = None


class IndexPage(WireModel):
    url: Text = Field(description="The page's URL (its identity in the index).")
    title: str = Field(description="Page title.")
    content: str = Field(description="The page's text (or HTML, see contentType).")
    content_type: str | None = Field(None, description="MIME type of `content`, e.g. 'text/html'.")
    fetched_at: str | None = Field(None, description="When the content was fetched (ISO 8601).")
    pre_processed: bool | None = Field(None, description="true: `content` is already clean text; skip extraction.")
    summary: str | None = None
    tags: list[str] | None = None
    topics: list[str] | None = None


class IngestPagesArguments(ProjectArguments):
    pages: list[IndexPage] = Field(min_length=1, description="Pages to add or replace in the index.")
    job_id: str | None = Field(None, description="Group this push under an ingest job id.")


class DeletePagesArguments(ProjectArguments):
    urls: list[str] | None = Field(None, description="Exact page URLs to remove.")
    patterns: list[str] | None = Field(None, description="URL patterns; matching pages are removed.")

    @model_validator(mode="after")
    def _something(self) -> DeletePagesArguments:
        if not self.urls and not self.patterns:
            raise ValueError("give `urls`, `patterns` or both")
        return self


class SearchArguments(ProjectArguments):
    query: Text = Field(description="What to search for, in plain words.")
    limit: int | None = Field(None, ge=1, le=50, description="Most results, up to 50.")
    min_score: float | None = Field(None, description="Lowest relevance score to return.")


class SettingsArguments(ProjectArguments):
    public_access: dict[str, Any] | None = Field(None, description="Who may search without a token (public widget settings).")
    rate_limits: dict[str, Any] | None = Field(None, description="Request limits for public access.")


class TopQueriesArguments(ProjectArguments):
    range: Range = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Most queries, up to 100.")] = None


class UsageArguments(ProjectArguments):
    range: Range = None


OPERATIONS = [
    undocumented(
        Toolset.AI_SEARCH,
        "get_ai_search_status",
        "Get AI Search status",
        Route("GET", AI_SEARCH),
        ProjectArguments,
        "Check whether AI Search is on for a project and the state of its index.",
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
        "Ask a question answered from a project's indexed content (retrieval-augmented chat). Pass the "
        "returned session id as `sessionId` to ask follow-ups; `contextUrl` favours the page the user is on.",
        "aiSearchChat",
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "list_ai_search_crawls",
        "List AI Search crawls",
        Route("GET", AI_SEARCH + "/crawls"),
        ListCrawlsArguments,
        "List a project's recent ingest and crawl jobs and their states (`limit` up to 50).",
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
        "Start a run of one of the project's crawlers (`crawler_uuid`) to refresh the AI Search index. "
        "Follow it with get_ai_search_crawl.",
        "aiSearchTriggerCrawl",
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "get_ai_search_crawl",
        "Get AI Search crawl",
        Route("GET", AI_SEARCH + "/crawls/{jobId}"),
        CrawlArguments,
        "Get the status and counts of one ingest or crawl job.",
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
        "List the per-page results of one ingest or crawl job, optionally only pages with a given HTTP "
        "`statusCode` or `processingStatus` (to find what failed).",
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
        "Turn AI Search off for a project: search and chat stop answering.",
        "aiSearchDisable",
        destructive=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "enable_ai_search",
        "Enable AI Search",
        Route("POST", AI_SEARCH + "/enable"),
        EnableArguments,
        "Turn AI Search on for a project, giving the site's `baseUrl` to index (400 without one) and "
        "optionally crawler settings. Fails with 409 if it is already on.",
        "aiSearchEnable",
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "purge_ai_search_index",
        "Purge AI Search index",
        Route("DELETE", AI_SEARCH + "/index"),
        ProjectArguments,
        "Empty a project's whole AI Search index, permanently; search answers nothing until pages are crawled or pushed again.",
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
        "List the pages in a project's AI Search index, optionally filtered by `search` text; page with "
        "`limit` (up to 200) and `cursor`.",
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
        "Push pages into a project's AI Search index yourself (instead of crawling): each needs `url`, "
        "`title` and `content`. A page with a URL already indexed is replaced. Invalid pages give 422.",
        "aiSearchIngestPages",
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "delete_ai_search_pages",
        "Delete AI Search pages",
        Route("DELETE", AI_SEARCH + "/pages"),
        DeletePagesArguments,
        "Remove pages from a project's AI Search index by exact `urls` or URL `patterns`, permanently.",
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
        "Semantic search over a project's indexed pages: returns the best-matching pages and passages for "
        "`query` (`limit` up to 50, `minScore` to cut weak matches). Changes nothing.",
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
        "Read a project's AI Search public-access and rate-limit settings.",
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
        "Change a project's AI Search public-access and rate-limit settings.",
        "aiSearchUpdateSettings",
        idempotent=True,
    ),
    undocumented(
        Toolset.AI_SEARCH,
        "get_ai_search_top_queries",
        "Get AI Search top queries",
        Route("GET", AI_SEARCH + "/top-queries"),
        TopQueriesArguments,
        "The most frequent search queries in a time window (`range`, default 30d; `limit` up to 100): what visitors look for.",
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
        "AI Search usage statistics for a time window (`range`, default 30d).",
        "aiSearchUsage",
        read_only=True,
        idempotent=True,
    ),
]
