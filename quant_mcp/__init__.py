"""quant-mcp: an MCP server for the Quant AI API."""

__version__ = "0.1.0"
