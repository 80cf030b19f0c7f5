"""Text classifiers (TF-IDF + embeddings, calibrated confidence) shared by ticket triage and requirement types."""
