"""The help desk: conversations, answers, feedback and content gaps (store: conversations, messages, feedback)."""
