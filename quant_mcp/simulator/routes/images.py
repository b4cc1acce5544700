"""AIInference image generation (Nova Canvas): deterministic small PNGs, base64-encoded."""

from __future__ import annotations

import base64
import json
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request
from ..core.requests import WireModel, parse_body
from ..core.routing import v3
from ..engine.catalog import DEFAULT_IMAGE_MODEL
from ..engine.images import png_image
from ..services.models import require_model

TaskType = Literal[
    "TEXT_IMAGE",
    "COLOR_GUIDED_GENERATION",
    "IMAGE_VARIATION",
    "INPAINTING",
    "OUTPAINTING",
    "BACKGROUND_REMOVAL",
    "VIRTUAL_TRY_ON",
]
# Each task reads its own parameters object.
PARAMS_FIELD = {
    "TEXT_IMAGE": "textToImageParams",
    "COLOR_GUIDED_GENERATION": "colorGuidedGenerationParams",
    "IMAGE_VARIATION": "imageVariationParams",
    "INPAINTING": "inPaintingParams",
    "OUTPAINTING": "outPaintingParams",
    "BACKGROUND_REMOVAL": "backgroundRemovalParams",
    "VIRTUAL_TRY_ON": "virtualTryOnParams",
}


class TextToImageParams(WireModel):
    text: str = Field(min_length=1, max_length=1024)
    negative_text: str | None = Field(None, min_length=1, max_length=1024)


class ImageGenerationConfig(WireModel):
    width: int = Field(1024, ge=1)
    height: int = Field(1024, ge=1)
    quality: Literal["standard", "premium"] = "standard"
    cfg_scale: float = Field(6.5, ge=1.1, le=10)
    seed: int = Field(0, ge=0, le=2147483646)
    number_of_images: int = Field(1, ge=1, le=5)


class ImageGenerationRequest(WireModel):
    task_type: TaskType
    model_id: str = DEFAULT_IMAGE_MODEL
    text_to_image_params: TextToImageParams | None = None
    image_generation_config: ImageGenerationConfig | None = None
    region: Literal["us-east-1", "ap-northeast-1", "eu-west-1"] = "us-east-1"

    def task_parameters(self) -> dict[str, Any]:
        """The parameters object of the requested task (required), as sent."""
        name = PARAMS_FIELD[self.task_type]
        if self.task_type == "TEXT_IMAGE":
            value = self.text_to_image_params.model_dump(exclude_none=True) if self.text_to_image_params else None
        else:
            value = (self.model_extra or {}).get(name)
        if not isinstance(value, dict):
            raise bad_request(name, f"an object is required for taskType {self.task_type}")
        return value


async def image_generation(request: Request) -> Response:
    body = await parse_body(request, ImageGenerationRequest)
    require_model(body.model_id, "image")
    config = body.image_generation_config or ImageGenerationConfig.model_validate({})
    key = json.dumps([body.task_type, body.task_parameters(), config.seed], sort_keys=True)
    images = [
        base64.b64encode(png_image(f"{key}#{index}", config.width, config.height)).decode()
        for index in range(config.number_of_images)
    ]
    return JSONResponse({"images": images})


ROUTES = [*v3("POST", "/image-generation", image_generation, "imageGeneration")]
