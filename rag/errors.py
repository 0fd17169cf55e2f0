"""The few domain errors a user can see.

Each error carries a Chinese message for people (``str(err)``) and an
English ``detail`` for logs. The CLI prints the message and exits non-zero;
the web app shows it in the page.
"""

from __future__ import annotations


class PlanqaError(Exception):
    """Base class: ``message`` is shown to users, ``detail`` goes to logs."""

    exit_code = 1

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message


class UnreadableFileError(PlanqaError):
    """A file could not be read or decoded as a document."""


class IndexMissingError(PlanqaError):
    """No index where one was expected."""


class IndexMismatchError(PlanqaError):
    """The index was built by another model, format or chunker: rebuild it."""


class StaleIndexError(PlanqaError):
    """The corpus changed since the index was built."""


class ConfigError(PlanqaError):
    """A setting is wrong (model path, manifest, ...)."""


class BadQuestionError(PlanqaError):
    """An empty or over-long question."""


class LLMError(PlanqaError):
    """The LLM backend failed (connection, timeout, HTTP error, bad or cut-off reply)."""
