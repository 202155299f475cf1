"""Message contracts: envelope and payload models, JSON Schema and AsyncAPI export."""
