"""Resource URIs: the views ``quant_mcp.resources`` serves.

Named here, apart from both sides, so that catalog operations can say which view they change
(``Operation.changes``) and the server can register the views, without either importing the
other or every catalog module.
"""

SESSIONS_URI = "quant://sessions"
SESSION_URI = "quant://sessions/{sessionId}"
MODELS_URI = "quant://models"
MODEL_URI = "quant://models/{modelId}"
USAGE_URI = "quant://usage/{month}"
AGENTS_URI = "quant://agents"
AGENT_URI = "quant://agents/{agentId}"
COLLECTIONS_URI = "quant://vector-collections"
COLLECTION_URI = "quant://vector-collections/{collectionId}"
