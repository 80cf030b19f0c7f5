"""Who may do what: API keys (store), roles and capabilities (models)."""
