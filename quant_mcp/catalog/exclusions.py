"""Reference operations that are deliberately not tools, each with the reason.

Every operation of the Quant AI reference is either served by exactly one catalog tool (its
operationId is in that Operation's ``operation_ids``) or listed here; the surface coverage
test holds both lists to the vendored reference.

The legacy ``/organisations/{organisation}/ai/...`` operations are *not* listed here: they
are the same tools on the other route family. The seed tools carry them as
``legacy_route`` and name them in ``operation_ids``; QUANT_API_ROUTES=legacy selects them.
"""

from __future__ import annotations

_OPENAI_COMPATIBLE = (
    "OpenAI-compatible route (/oai/v1) for OpenAI SDKs; it duplicates the native {tool} tool, which "
    "also carries Quant's own options, so a second tool would only make agents choose between twins"
)

EXCLUDED: dict[str, str] = {
    "oaiChatCompletions": _OPENAI_COMPATIBLE.format(tool="chat / chat_stream"),
    "oaiEmbeddings": _OPENAI_COMPATIBLE.format(tool="create_embeddings"),
    "oaiListModels": _OPENAI_COMPATIBLE.format(tool="list_models"),
    "oaiGetModel": _OPENAI_COMPATIBLE.format(tool="get_model"),
}
