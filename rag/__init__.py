"""planqa: questions and plan checks over Chinese government planning documents."""

from __future__ import annotations

__version__ = "0.1.0"
