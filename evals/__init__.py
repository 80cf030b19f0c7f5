"""Evaluation harness: benchmarks of retrieval, answers, triage and classification."""
