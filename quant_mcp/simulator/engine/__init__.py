"""The deterministic stand-ins for the AI itself: models, replies, embeddings, images, tools.

Nothing here knows about HTTP; the same input always gives the same output.
"""
