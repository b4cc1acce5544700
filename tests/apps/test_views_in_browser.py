"""Each view in headless Chromium, behind the official AppBridge, fed real results from the simulator.

What is asserted is what a person sees: the numbers shown equal the tool's result, the
transcript shows every message, the images are the ones returned, and the view's own tool
calls (another month, the session read again) reach the server and change what is shown.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
from mcp import Client

from quant_mcp.apps import VIEWS
from tests.apps.conftest import ViewHost

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(180)]

URI = {view.name: view.uri for view in VIEWS}
SMALL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="


def shown(value: int) -> str:
    """How the views print a whole number for an en-US host."""
    return f"{value:,}"


async def chat(client: Client, model: str, text: str) -> None:
    result = await client.call_tool("chat", {"modelId": model, "messages": [{"role": "user", "content": text}]})
    assert not result.is_error, result


# ----------------------------------------------------------------------------- usage


async def test_usage_view_shows_the_tools_numbers_and_other_months(apps_client: Client, view_host: ViewHost):
    for model, turns in (("amazon.nova-lite-v1:0", 3), ("amazon.nova-micro-v1:0", 1)):
        for turn in range(turns):
            await chat(apps_client, model, f"Tell me about the number {turn} in a few words.")
    result = await apps_client.call_tool("get_usage_stats", {})
    usage = result.structured_content
    assert usage["total_requests"] == 4 and len(usage["by_model"]) == 2

    for theme in ("light", "dark"):
        view = await view_host.open(URI["usage"], "get_usage_stats", {}, result, theme=theme)
        await view.locator("#table").wait_for()
        assert await view.locator("#total-requests").text_content() == shown(usage["total_requests"])
        assert await view.locator("#total-tokens").text_content() == shown(usage["total_tokens"])
        rows = view.locator("#table tbody tr")
        assert await rows.count() == len(usage["by_model"])
        for index in range(await rows.count()):
            row = rows.nth(index)
            model = await row.get_attribute("data-model")
            cells = row.locator("td")
            assert await cells.nth(0).text_content() == shown(usage["by_model"][model]["requests"])
            assert await cells.nth(1).text_content() == shown(usage["by_model"][model]["tokens"])
        footer = view.locator("#table tfoot td")
        assert [await footer.nth(0).text_content(), await footer.nth(1).text_content()] == [
            shown(usage["total_requests"]),
            shown(usage["total_tokens"]),
        ]
        assert await view.locator("#chart li").count() == len(usage["by_model"])
        assert await view.locator("html").get_attribute("data-theme") == theme
        await view_host.screenshot(f"usage-{theme}")

    # The host changes its theme while the view is open.
    await view_host.page.evaluate("() => window.bridge.sendHostContextChange({ theme: 'light' })")
    await view.locator("html[data-theme=light]").wait_for()

    # Keyboard: the previous month (nothing used then), through the host, then back.
    this_month = datetime.now(UTC).strftime("%Y-%m")
    await view.locator("#previous").focus()
    await view_host.page.keyboard.press("Enter")
    await view.locator("#empty").wait_for()
    assert await view.locator("#total-requests").text_content() == "0"
    await view.locator("#next").focus()
    await view_host.page.keyboard.press("Enter")
    await view.locator("#table").wait_for()
    assert await view.locator("#total-requests").text_content() == shown(usage["total_requests"])
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    calls = (await view_host.host_state())["calls"]
    assert calls == [
        {"name": "get_usage_stats", "arguments": {"month": last_month}},
        {"name": "get_usage_stats", "arguments": {"month": this_month}},
    ]


async def test_a_host_that_cannot_call_tools_still_gets_the_figures(apps_client: Client, view_host: ViewHost):
    await chat(apps_client, "amazon.nova-micro-v1:0", "Hello there.")
    result = await apps_client.call_tool("get_usage_stats", {})
    view = await view_host.open(URI["usage"], "get_usage_stats", {}, result, capabilities={"logging": {}})
    await view.locator("#table").wait_for()
    assert await view.locator("#total-tokens").text_content() == shown(result.structured_content["total_tokens"])
    await view.locator("#status", has_text="cannot call tools").wait_for()
    assert await view.locator("#previous").is_disabled() and await view.locator("#pick").is_disabled()
    assert (await view_host.host_state())["calls"] == []


# ----------------------------------------------------------------------------- chat session


def _texts(content: str | list[dict]) -> list[str]:
    """A stored message's text as the view shows it: attachment notes and blocks become chips."""
    if isinstance(content, list):
        return [block["text"] for block in content if "text" in block]
    text = re.sub(r"^\[attached [^\]\n]+\]$", "", content, flags=re.MULTILINE).strip()
    return [text] if text else []


async def test_session_view_shows_every_message_and_follows_changes(apps_client: Client, view_host: ViewHost):
    created = await apps_client.call_tool(
        "create_session",
        {"userId": "user-42", "initialMessages": [{"role": "system", "content": "You answer in one short sentence."}]},
    )
    session_id = created.structured_content["sessionId"]
    first = await apps_client.call_tool("chat_in_session", {"sessionId": session_id, "message": "What is a CDN?"})
    assert not first.is_error, first
    second = await apps_client.call_tool(
        "chat_in_session",
        {
            "sessionId": session_id,
            "message": [{"text": "What colour is this picture?"}, {"image": {"format": "png", "source": {"bytes": SMALL_PNG}}}],
        },
    )
    assert not second.is_error, second
    # A turn with a tool's result and a document, as a client running its own tools sends it.
    with_tool = await apps_client.call_tool(
        "chat",
        {
            "modelId": "amazon.nova-lite-v1:0",
            "sessionId": session_id,
            "messages": [
                {"role": "user", "content": "What is the weather in Sydney?"},
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t-1", "name": "get_weather", "input": {"city": "Sydney"}}}],
                },
                {
                    "role": "user",
                    "content": [
                        {"toolResult": {"toolUseId": "t-1", "content": [{"text": "21 C, sunny"}]}},
                        {"document": {"format": "pdf", "name": "forecast", "source": {"bytes": "JVBERi0xLjQK"}}},
                        {"text": "Summarise it."},
                    ],
                },
            ],
        },
    )
    assert not with_tool.is_error, with_tool
    result = await apps_client.call_tool("get_session", {"sessionId": session_id})
    messages = result.structured_content["messages"]
    assert len(messages) == 7

    view = await view_host.open(URI["session"], "get_session", {"sessionId": session_id}, result)
    shown_messages = view.locator("li.message")
    await shown_messages.nth(len(messages) - 1).wait_for()
    assert await shown_messages.count() == len(messages)
    for index, message in enumerate(messages):
        item = shown_messages.nth(index)
        assert await item.get_attribute("data-role") == message["role"]
        assert (await item.locator(".text").all_text_contents()) == _texts(message["content"])
    attachments = view.locator("li.message .chip")
    assert await attachments.all_text_contents() == ["image", "document: forecast · pdf"]
    tool_result = view.locator("li.message details.tool")
    assert await tool_result.locator("summary").text_content() == "Tool result for t-1"
    await tool_result.locator("summary").focus()
    await view_host.page.keyboard.press("Enter")  # opens the details
    assert await tool_result.locator("pre").text_content() == "21 C, sunny"
    assert await tool_result.evaluate("(details) => details.open")
    assert await view.locator('[data-fact="messages"]').text_content() == str(len(messages))

    # Live: another client adds a turn; the view reads the session again through the host.
    third = await apps_client.call_tool("chat_in_session", {"sessionId": session_id, "message": "Thanks, and a POP?"})
    assert not third.is_error, third
    await shown_messages.nth(len(messages) + 1).wait_for(timeout=15_000)
    assert await shown_messages.nth(len(messages)).locator(".text").text_content() == "Thanks, and a POP?"
    assert await shown_messages.count() == len(messages) + 2
    assert "2 new messages" in await view.locator("#status").text_content()
    assert await tool_result.evaluate("(details) => details.open"), "what the reader opened stays open"
    await view_host.screenshot("session-light")
    calls = (await view_host.host_state())["calls"]
    assert calls and all(call == {"name": "get_session", "arguments": {"sessionId": session_id}} for call in calls)

    # Bound to chat_in_session too: its answer names the session and its token total.
    arguments = {"sessionId": session_id, "message": "One more?"}
    fourth = await apps_client.call_tool("chat_in_session", arguments)
    view = await view_host.open(URI["session"], "chat_in_session", arguments, fourth, theme="dark")
    await view.locator("li.message").nth(len(messages) + 3).wait_for()
    assert await view.locator("li.message").count() == len(messages) + 4
    tokens = fourth.structured_content["totalTokens"]
    assert tokens > 0 and await view.locator('[data-fact="tokens"]').text_content() == shown(tokens)
    await view_host.screenshot("session-dark")
    assert await view_host.page.evaluate("() => window.bridge.teardownResource({})") == {}  # the view stops reading


# ----------------------------------------------------------------------------- images


async def test_images_view_shows_each_image_with_its_prompt_and_downloads_it(apps_client: Client, view_host: ViewHost):
    arguments = {
        "textToImageParams": {"text": "A lighthouse at dusk, flat vector illustration", "negativeText": "people"},
        "imageGenerationConfig": {"width": 1024, "height": 768, "numberOfImages": 2, "seed": 4242, "quality": "premium"},
    }
    result = await apps_client.call_tool("generate_image", arguments)
    assert not result.is_error, result
    pictures = [block for block in result.content if block.type == "image"]
    assert len(pictures) == result.structured_content["count"] == 2

    view = await view_host.open(URI["images"], "generate_image", arguments, result, theme="dark")
    images = view.locator("#images img")
    await images.nth(1).wait_for()
    assert await images.count() == len(pictures)
    for index, picture in enumerate(pictures):
        assert await images.nth(index).get_attribute("src") == f"data:{picture.mime_type};base64,{picture.data}"
        assert await images.nth(index).evaluate("(img) => img.complete && img.naturalWidth > 0")
    assert await view.locator("#prompt-text").text_content() == arguments["textToImageParams"]["text"]
    assert await view.locator('[data-param="seed"]').text_content() == "4,242"
    assert await view.locator('[data-param="negativeText"]').text_content() == "people"
    assert await view.locator('[data-param="width"]').text_content() == "1,024"
    assert await view.locator('[data-param="numberOfImages"]').text_content() == "2"
    await view_host.screenshot("images-dark")

    await view.locator("button.download").nth(1).focus()
    await view_host.page.keyboard.press("Enter")
    await view.locator("#status", has_text="image-2.png").wait_for()
    (download,) = (await view_host.host_state())["downloads"]
    (content,) = download["contents"]
    assert content["resource"]["uri"] == "file:///image-2.png"
    assert base64.b64decode(content["resource"]["blob"]) == base64.b64decode(pictures[1].data)
