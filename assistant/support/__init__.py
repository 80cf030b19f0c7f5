"""The support desk: tickets (store), export imports, triage models in use, similar incidents, FAQ drafts."""
