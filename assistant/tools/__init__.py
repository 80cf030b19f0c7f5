"""Domain operations that the chains, the API, the CLI and the UI call."""
