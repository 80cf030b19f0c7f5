"""Figures for continuous improvement across help desk, tickets and change requests (read-only)."""
