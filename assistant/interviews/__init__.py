"""Consultants' interviews: sessions and turns (store), transcripts, extraction, guides, type classifier, specification."""
