"""The rest of the inference group: images as MCP image content, embeddings, durable executions."""

from __future__ import annotations

import base64

import pytest

from quant_mcp.catalog.inference import images_as_content
from tests.conftest import text_of
from tests.streaming.conftest import SAMPLES, api_requests, chat_arguments

pytestmark = pytest.mark.anyio

INFERENCE_GROUPS = ["inference", "embeddings", "images", "executions"]  # the last three are off by default


async def test_generated_images_come_back_as_image_content_with_metadata(simulator, client_for):
    client = await client_for(toolsets=INFERENCE_GROUPS)

    result = await client.call_tool(
        "generate_image",
        {"textToImageParams": {"text": "A lighthouse at dusk"}, "imageGenerationConfig": {"numberOfImages": 2, "seed": 7}},
    )

    assert not result.is_error, text_of(result)
    text, *images = result.content
    assert text.type == "text" and text.text.startswith("Generated 2 image(s) (image/png)")
    assert [block.type for block in images] == ["image", "image"]
    for index, block in enumerate(images):
        data = base64.b64decode(block.data)
        assert block.mime_type == "image/png" and data.startswith(b"\x89PNG\r\n\x1a\n")
        assert result.structured_content["images"][index] == {"index": index, "mimeType": "image/png", "sizeBytes": len(data)}
    assert result.structured_content["count"] == 2
    assert "iVBOR" not in text.text, "the base64 images are content blocks, not text"
    [record] = api_requests(simulator, "/image-generation")
    assert record.body["taskType"] == "TEXT_IMAGE"  # the default task, sent explicitly


def test_data_urls_and_masks_become_image_blocks_of_their_real_type():
    jpeg = base64.b64encode(SAMPLES["jpeg"][2]).decode()
    png = base64.b64encode(SAMPLES["png"][2]).decode()

    structured, blocks = images_as_content({"images": [f"data:image/jpeg;base64,{jpeg}"], "maskImage": png, "error": "1 blocked"})

    assert [(b.mime_type, b.data) for b in blocks] == [("image/jpeg", jpeg), ("image/png", png)]
    assert structured == {
        "images": [{"index": 0, "mimeType": "image/jpeg", "sizeBytes": len(SAMPLES["jpeg"][2])}],
        "count": 1,
        "maskImage": {"index": 1, "mimeType": "image/png", "sizeBytes": len(SAMPLES["png"][2])},
        "error": "1 blocked",
    }


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({}, "taskType TEXT_IMAGE takes exactly one parameters object, `textToImageParams`"),
        ({"taskType": "BACKGROUND_REMOVAL", "textToImageParams": {"text": "x"}}, "`backgroundRemovalParams`"),
        ({"textToImageParams": {"text": "x"}, "imageGenerationConfig": {"numberOfImages": 9}}, "less than or equal to 5"),
    ],
)
async def test_image_arguments_are_checked_before_any_request(simulator, client_for, arguments, problem):
    client = await client_for(toolsets=INFERENCE_GROUPS)

    result = await client.call_tool("generate_image", arguments)

    assert result.is_error and problem in text_of(result)
    assert api_requests(simulator) == []


async def test_embeddings_for_one_text_and_for_a_batch(simulator, client_for):
    client = await client_for(toolsets=INFERENCE_GROUPS)

    one = await client.call_tool("create_embeddings", {"input": "semantic search", "dimensions": 256})
    batch = await client.call_tool("create_embeddings", {"input": ["first", "second", "third"]})

    assert not one.is_error and not batch.is_error, text_of(one) + text_of(batch)
    vector = one.structured_content["embeddings"]
    assert len(vector) == 256 and all(isinstance(x, float) for x in vector)
    assert text_of(one).startswith("1 vector(s) of 256 dimensions from amazon.titan-embed-text-v2:0")
    vectors = batch.structured_content["embeddings"]
    assert [len(v) for v in vectors] == [1024] * 3
    assert text_of(batch).startswith("3 vector(s) of 1024 dimensions")


async def test_embeddings_refuse_an_empty_batch_without_a_request(simulator, client_for):
    client = await client_for(toolsets=INFERENCE_GROUPS)

    result = await client.call_tool("create_embeddings", {"input": []})

    assert result.is_error and "input" in text_of(result)
    assert api_requests(simulator) == []


async def test_a_durable_execution_is_started_then_polled(simulator, client_for):
    client = await client_for(toolsets=INFERENCE_GROUPS)

    started = await client.call_tool("start_chat_execution", chat_arguments("Take your time."))

    assert not started.is_error, text_of(started)
    queued = started.structured_content
    assert queued["status"] == "queued"
    assert api_requests(simulator, "/chat")[0].body["async"] is True
    # The id as it appears in pollUrl (percent-encoded) works as well as the raw requestId.
    for identifier in (queued["requestId"], queued["pollUrl"].rsplit("/", 1)[1]):
        status = await client.call_tool("get_durable_execution_status", {"identifier": identifier})
        assert not status.is_error, text_of(status)
        assert status.structured_content["status"] == "complete"
        assert "Take your time." in status.structured_content["result"]["response"]["content"]
        assert text_of(status).startswith(f"Execution {queued['requestId']} is complete:")


async def test_an_execution_identifier_cannot_escape_its_path_segment(simulator, client_for):
    client = await client_for(toolsets=INFERENCE_GROUPS)

    for identifier in ("../../sessions", "%2E%2E"):
        result = await client.call_tool("get_durable_execution_status", {"identifier": identifier})
        assert result.is_error and "identifier" in text_of(result)
    assert api_requests(simulator) == []


async def test_a_durable_execution_waits_for_client_tools_and_resumes_with_their_results(simulator, client_for):
    client = await client_for(toolsets=INFERENCE_GROUPS)
    tool = {
        "toolSpec": {
            "name": "get_weather",
            "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
        }
    }
    started = await client.call_tool("start_chat_execution", chat_arguments("Weather in Sydney?", toolConfig={"tools": [tool]}))
    request_id = started.structured_content["requestId"]

    waiting = await client.call_tool("get_durable_execution_status", {"identifier": request_id})
    assert waiting.structured_content["status"] == "waiting_callback", text_of(waiting)
    assert "call submit_tool_callback with callbackId" in text_of(waiting)
    [pending] = waiting.structured_content["pendingTools"]
    callback_id = waiting.structured_content["callbackId"]
    results = [{"toolUseId": pending["toolUseId"], "result": {"temperature": "24C", "conditions": "Sunny"}}]

    submitted = await client.call_tool("submit_tool_callback", {"callbackId": callback_id, "toolResults": results})
    again = await client.call_tool("submit_tool_callback", {"callbackId": callback_id, "toolResults": results})
    finished = await client.call_tool("get_durable_execution_status", {"identifier": request_id})

    assert not submitted.is_error and submitted.structured_content["success"] is True, text_of(submitted)
    assert [r.body for r in api_requests(simulator, "/chat/callback")][0] == {"callbackId": callback_id, "toolResults": results}
    assert again.is_error and "404" in text_of(again)  # a callbackId works once
    assert finished.structured_content["status"] == "complete"
    assert "24C" in finished.structured_content["result"]["response"]["content"]
