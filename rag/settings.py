"""Settings read from the environment (a user's shell, ``.env`` of a service, or the CLI).

=========================  ====================================================
PLANQA_BACKEND             extractive (default) | openai | gguf
PLANQA_LLM_BASE_URL        OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1
PLANQA_LLM_MODEL           model name the endpoint serves, e.g. qwen2.5-7b-instruct
PLANQA_LLM_API_KEY         key for the endpoint (OPENAI_API_KEY is read too)
PLANQA_LLM_TIMEOUT         seconds to wait for the model's reply (default 60)
PLANQA_GGUF_MODEL          path of a local .gguf file (backend gguf)
PLANQA_GGUF_THREADS        llama.cpp threads for the local model (default 1)
PLANQA_HOST                interface the web chat binds to (default 127.0.0.1)
PLANQA_PORT                port of the web chat (default 7860)
PLANQA_UI_USER             login name for the web chat (with PLANQA_UI_PASSWORD)
PLANQA_UI_PASSWORD         login password; required to bind other interfaces
PLANQA_API_KEYS            API keys for /v1 and /api, comma-separated (held hashed)
PLANQA_API_KEYS_FILE       file of hashed API keys (``planqa keys add``; default
                           ~/.config/planqa/api_keys)
PLANQA_API_RATE            requests a minute per API key (default 120; 0: no limit)
PLANQA_ADMIN_USER          library login name (HTTP Basic, with PLANQA_ADMIN_PASSWORD):
                           may add, correct, replace, remove and restore documents
PLANQA_ADMIN_PASSWORD      library login password
PLANQA_ADMIN_KEYS          library admin keys (Bearer), comma-separated (held hashed)
=========================  ====================================================

The keys and the password are never logged or shown: :meth:`Settings.describe`
leaves them out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rag.errors import ConfigError

DEFAULT_CORPUS = os.environ.get("PLANQA_CORPUS", "corpus")
DEFAULT_INDEX = os.environ.get("PLANQA_INDEX", "indexes/default")

Backend = Literal["extractive", "openai", "gguf"]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: Backend = "extractive"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    gguf_model: str = ""
    gguf_threads: int = Field(default=1, ge=1, le=256)
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    ui_user: str = ""
    ui_password: str = ""
    api_keys: str = ""
    api_keys_file: str = ""
    api_rate: int = Field(default=120, ge=0)
    admin_user: str = ""
    admin_password: str = ""
    admin_keys: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        raw: dict[str, Any] = {
            "backend": env.get("PLANQA_BACKEND", "extractive"),
            "llm_base_url": env.get("PLANQA_LLM_BASE_URL", ""),
            "llm_model": env.get("PLANQA_LLM_MODEL", ""),
            "llm_api_key": env.get("PLANQA_LLM_API_KEY", env.get("OPENAI_API_KEY", "")),
            "llm_timeout": env.get("PLANQA_LLM_TIMEOUT", "60"),
            "gguf_model": env.get("PLANQA_GGUF_MODEL", ""),
            "gguf_threads": env.get("PLANQA_GGUF_THREADS", "1"),
            "host": env.get("PLANQA_HOST", "127.0.0.1"),
            "port": env.get("PLANQA_PORT", "7860"),
            "ui_user": env.get("PLANQA_UI_USER", ""),
            "ui_password": env.get("PLANQA_UI_PASSWORD", ""),
            "api_keys": env.get("PLANQA_API_KEYS", ""),
            "api_keys_file": env.get("PLANQA_API_KEYS_FILE", ""),
            "api_rate": env.get("PLANQA_API_RATE", "120"),
            "admin_user": env.get("PLANQA_ADMIN_USER", ""),
            "admin_password": env.get("PLANQA_ADMIN_PASSWORD", ""),
            "admin_keys": env.get("PLANQA_ADMIN_KEYS", ""),
        }
        raw.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"配置有误：{exc.errors()[0]['loc'][0]} 的值无效", str(exc)) from exc

    def describe(self) -> str:
        """The backend in words, for the UI and logs (no key)."""
        if self.backend == "openai":
            return f"大模型接口 {self.llm_model} @ {self.llm_base_url}"
        if self.backend == "gguf":
            return f"本地模型 {os.path.basename(self.gguf_model)}"
        return "摘录式回答（内置，无需大模型）"

    def available_backends(self) -> list[Backend]:
        """The backends these settings can run: extractive always, an LLM when it is configured."""
        out: list[Backend] = ["extractive"]
        if self.llm_base_url and self.llm_model:
            out.append("openai")
        if self.gguf_model:
            out.append("gguf")
        return out

    @property
    def login(self) -> tuple[str, str] | None:
        """(user, password) for the web chat, or None when no login is configured."""
        if self.ui_user and self.ui_password:
            return self.ui_user, self.ui_password
        return None
