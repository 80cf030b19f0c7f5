"""Implementation assistant: an offline-first help desk, triage desk and consultant's aide.

Importing this package is cheap: no models load and no clients connect until a service asks.
"""

__version__ = "0.1.0"
