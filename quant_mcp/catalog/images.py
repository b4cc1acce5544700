"""Image generation with Amazon Nova Canvas: its own toolset, off by default (its schema is large
and most conversations need none). The models are in :mod:`quant_mcp.catalog.inference`."""

from __future__ import annotations

from quant_mcp.catalog.base import V3, Operation, Route, Toolset
from quant_mcp.catalog.inference import GeneratedImages, GenerateImageArguments, _images_summary, images_as_content

OPERATIONS = [
    Operation(
        name="generate_image",
        toolset=Toolset.IMAGES,
        title="Generate an image",
        description=(
            "Create or edit images with Nova Canvas (may take minutes). A new picture: `textToImageParams.text`. "
            "Images come back as image content."
        ),
        route=Route("POST", V3 + "/image-generation"),
        arguments=GenerateImageArguments,
        result=GeneratedImages,
        operation_ids=("imageGeneration",),
        summary=_images_summary,
        media=images_as_content,
        slow=True,
    ),
]
