"""The simulated models: the reference's model ids with their capabilities and prices.

Capabilities follow the reference: Nova Lite and Pro take images, video and
documents; Nova Micro is text-only; Claude takes images only; Titan only embeds;
Nova Canvas only generates images.
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

    @property
    def is_chat(self) -> bool:
        return self.kind == "chat"


_ALL_MEDIA: frozenset[MediaType] = frozenset({"image", "video", "document"})

MODELS: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in (
        ModelSpec(
            "amazon.nova-lite-v1:0", "Nova Lite", "Amazon",
            "Fast, low-cost multimodal model (text, image, video, document).",
            "chat", _ALL_MEDIA, 300_000, 5_000, 0.06, 0.24, "2024-12-03",
        ),
        ModelSpec(
            "amazon.nova-micro-v1:0", "Nova Micro", "Amazon",
            "Text-only model with the lowest latency and cost.",
            "chat", frozenset(), 128_000, 5_000, 0.035, 0.14, "2024-12-03",
        ),
        ModelSpec(
            "amazon.nova-pro-v1:0", "Nova Pro", "Amazon",
            "Highly capable multimodal model (text, image, video, document).",
            "chat", _ALL_MEDIA, 300_000, 5_000, 0.8, 3.2, "2024-12-03",
        ),
        ModelSpec(
            "anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", "Anthropic",
            "Anthropic model for text and images.",
            "chat", frozenset({"image"}), 200_000, 8_192, 3.0, 15.0, "2024-10-22",
        ),
        ModelSpec(
            "amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon",
            "Text embeddings with 256, 512, 1024 or 8192 dimensions.",
            "embeddings", frozenset(), 8_192, 0, 0.02, 0.0, "2024-04-30",
        ),
        ModelSpec(
            "amazon.nova-canvas-v1:0", "Nova Canvas", "Amazon",
            "Image generation and editing.",
            "image", frozenset(), 1_024, 0, 0.0, 0.0, "2024-12-03",
        ),
    )
}
