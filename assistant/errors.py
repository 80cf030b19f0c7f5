"""Errors raised by the assistant, in one tree.

::

    AssistantError
    ├── ConfigError            bad or missing configuration, unknown plugin name, missing extra
    ├── IngestError            one input file could not be ingested
    │   ├── UnsupportedFormat  no loader for this file type
    │   ├── DocumentParse      the file is corrupt, encrypted or holds no text
    │   ├── TooLarge           the file is over the configured size limit
    │   └── Encoding           the text could not be decoded
    ├── ProviderError          an embedding model, vector store or LLM failed (wraps the SDK error)
    ├── NotFound               a knowledge base, document or record does not exist
    ├── InvalidInput           a request or argument has a bad value
    ├── InvalidTransition      a workflow state change that is not allowed
    ├── PermissionDenied       the caller's role or scope does not allow this
    └── OutputParseError       an LLM reply could not be parsed

Batch operations catch ``IngestError`` per item and report it; single-item calls raise.
Every message says what went wrong and, where it helps, what to do next.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""

    #: short machine-readable code, used by the API's JSON error bodies
    code = "error"


class ConfigError(AssistantError):
    code = "config_error"


class IngestError(AssistantError):
    code = "ingest_error"


class UnsupportedFormat(IngestError):
    code = "unsupported_format"


class DocumentParse(IngestError):
    code = "document_parse"


class TooLarge(IngestError):
    code = "too_large"


class Encoding(IngestError):
    code = "encoding"


class ProviderError(AssistantError):
    code = "provider_error"


class NotFound(AssistantError):
    code = "not_found"


class InvalidInput(AssistantError):
    code = "invalid_input"


class InvalidTransition(AssistantError):
    code = "invalid_transition"


class PermissionDenied(AssistantError):
    code = "permission_denied"


class OutputParseError(AssistantError):
    code = "output_parse_error"
