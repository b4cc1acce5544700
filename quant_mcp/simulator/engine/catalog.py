"""The simulated models: the reference's model ids with their capabilities and prices.

Capabilities follow the reference: Nova Lite and Pro take images, video and
documents; Nova Micro is text-only; Claude takes images only; Titan only embeds;
Nova Canvas only generates images. The list holds every model Quant's own code names
(LIVE-DIALECT.md, "Models seen in Quant's code"); output limits and prices are
Bedrock's published ones, rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ModelKind = Literal["chat", "embeddings", "image"]
MediaType = Literal["image", "video", "document"]

DEFAULT_CHAT_MODEL = "amazon.nova-lite-v1:0"
DEFAULT_EMBEDDING_MODEL = "amazon.titan-embed-text-v2:0"
DEFAULT_IMAGE_MODEL = "amazon.nova-canvas-v1:0"


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    provider: str
    description: str
    kind: ModelKind
    media: frozenset[MediaType]  # content block types a chat model accepts besides text
    context_window: int
    max_output_tokens: int
    input_price: float  # USD per million input tokens
    output_price: float  # USD per million output tokens
    release_date: str
    live_only: bool = False  # named in Quant's code, not in the reference: listed in the live dialect only

    @property
    def is_chat(self) -> bool:
        return self.kind == "chat"


_ALL_MEDIA: frozenset[MediaType] = frozenset({"image", "video", "document"})

MODELS: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in (
        ModelSpec(
            id="amazon.nova-lite-v1:0",
            name="Nova Lite",
            provider="Amazon",
            description="Fast, low-cost multimodal model (text, image, video, document).",
            kind="chat",
            media=_ALL_MEDIA,
            context_window=300_000,
            max_output_tokens=5_000,
            input_price=0.06,
            output_price=0.24,
            release_date="2024-12-03",
        ),
        ModelSpec(
            id="amazon.nova-micro-v1:0",
            name="Nova Micro",
            provider="Amazon",
            description="Text-only model with the lowest latency and cost.",
            kind="chat",
            media=frozenset(),
            context_window=128_000,
            max_output_tokens=5_000,
            input_price=0.035,
            output_price=0.14,
            release_date="2024-12-03",
        ),
        ModelSpec(
            id="amazon.nova-pro-v1:0",
            name="Nova Pro",
            provider="Amazon",
            description="Highly capable multimodal model (text, image, video, document).",
            kind="chat",
            media=_ALL_MEDIA,
            context_window=300_000,
            max_output_tokens=5_000,
            input_price=0.8,
            output_price=3.2,
            release_date="2024-12-03",
        ),
        ModelSpec(
            id="anthropic.claude-3-5-sonnet-20241022-v2:0",
            name="Claude 3.5 Sonnet v2",
            provider="Anthropic",
            description="Anthropic model for text and images.",
            kind="chat",
            media=frozenset({"image"}),
            context_window=200_000,
            max_output_tokens=8_192,
            input_price=3.0,
            output_price=15.0,
            release_date="2024-10-22",
        ),
        *(
            ModelSpec(
                model_id,
                name,
                "Anthropic",
                "Anthropic model for text and images.",
                "chat",
                frozenset({"image"}),
                200_000,
                max_out,
                price_in,
                price_out,
                released,
                live_only=True,
            )
            for model_id, name, max_out, price_in, price_out, released in (
                ("anthropic.claude-sonnet-4-5", "Claude Sonnet 4.5", 64_000, 3.0, 15.0, "2025-09-29"),
                ("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", 8_192, 3.0, 15.0, "2024-06-20"),
                ("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus", 4_096, 15.0, 75.0, "2024-02-29"),
                ("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet", 4_096, 3.0, 15.0, "2024-02-29"),
                ("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", 4_096, 0.25, 1.25, "2024-03-07"),
            )
        ),
        *(
            ModelSpec(
                model_id,
                name,
                provider,
                "Text embeddings.",
                "embeddings",
                frozenset(),
                8_192,
                0,
                price,
                0.0,
                released,
                live_only=True,
            )
            for model_id, name, provider, price, released in (
                ("amazon.titan-embed-text-v1", "Titan Embeddings G1 - Text", "Amazon", 0.1, "2023-09-28"),
                ("cohere.embed-english-v3", "Cohere Embed English v3", "Cohere", 0.1, "2023-11-02"),
                ("cohere.embed-multilingual-v3", "Cohere Embed Multilingual v3", "Cohere", 0.1, "2023-11-02"),
            )
        ),
        ModelSpec(
            id="amazon.titan-embed-text-v2:0",
            name="Titan Text Embeddings V2",
            provider="Amazon",
            description="Text embeddings with 256, 512, 1024 or 8192 dimensions.",
            kind="embeddings",
            media=frozenset(),
            context_window=8_192,
            max_output_tokens=0,
            input_price=0.02,
            output_price=0.0,
            release_date="2024-04-30",
        ),
        ModelSpec(
            id="amazon.nova-canvas-v1:0",
            name="Nova Canvas",
            provider="Amazon",
            description="Image generation and editing.",
            kind="image",
            media=frozenset(),
            context_window=1_024,
            max_output_tokens=0,
            input_price=0.0,
            output_price=0.0,
            release_date="2024-12-03",
        ),
    )
}
