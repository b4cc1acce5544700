"""Deterministic text embeddings whose cosine similarity means something.

Each word is hashed to a dimension (feature hashing), so texts that share words
point the same way and a vector-collection query ranks documents by real word
overlap. The same text always gives the same vector.
"""

from __future__ import annotations

import hashlib
import math
import re

EMBEDDING_DIMENSIONS = (256, 512, 1024, 8192)


def embed(text: str, dimensions: int, normalize: bool = True) -> list[float]:
    vector = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()):
        vector[int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "big") % dimensions] += 1.0
    if normalize:
        length = math.sqrt(sum(value * value for value in vector))
        if length:
            vector = [value / length for value in vector]
    return vector


def cosine_similarity(left: list[float], right: list[float]) -> float:
    """Cosine of the angle between two vectors, clamped to [0, 1]; 0 when either is zero."""
    dot = sum(a * b for a, b in zip(left, right, strict=True))
    norms = math.sqrt(sum(a * a for a in left)) * math.sqrt(sum(b * b for b in right))
    return max(0.0, min(1.0, dot / norms)) if norms else 0.0
