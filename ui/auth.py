"""Who may call the API: bearer keys, held only as hashes, and a rate limit per key.

Keys come from ``PLANQA_API_KEYS`` (comma-separated, for a service's environment) and from a
keys file (``PLANQA_API_KEYS_FILE``, default ``~/.config/planqa/api_keys``) that
``planqa keys add NAME`` writes: one ``NAME sha256:HEX`` line per key, the key itself shown
once and never stored. A key is random (32 bytes from :mod:`secrets`), so a plain SHA-256 of
it is enough; keys are compared with :func:`hmac.compare_digest`.

The rule is the page's: a server bound beyond 127.0.0.1 answers API requests only with a
valid key (with no key configured, it answers none); on 127.0.0.1 a key is needed once any is
configured, and otherwise the local user may call it without one.

Changing the document library (:class:`AdminGate`) needs a login of its own: the library login
(``PLANQA_ADMIN_USER`` / ``PLANQA_ADMIN_PASSWORD``, HTTP Basic) or an admin key
(``PLANQA_ADMIN_KEYS``, Bearer, held hashed as the API keys are). With neither configured, the
local user of a server on 127.0.0.1 may change it (with an API key when API keys are
configured); a server bound beyond it refuses every change.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import ConfigError
from rag.settings import Settings

KEY_PREFIX = "pq-"
_LINE = re.compile(r"^(?P<name>[\w.@-]{1,64})\s+sha256:(?P<hash>[0-9a-f]{64})$")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def default_keys_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "planqa" / "api_keys"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def read_keys_file(path: Path) -> dict[str, str]:
    """{hash: name} of a keys file; a missing file holds none, a malformed line is an error."""
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            raise ConfigError(
                f"API 密钥文件 {path} 第 {n} 行格式不对（应为“名称 sha256:十六进制摘要”）。",
                f"malformed line {n} in {path}",
            )
        out[m["hash"]] = m["name"]
    return out


def add_key(path: Path, name: str) -> str:
    """Append a new key's hash to the keys file (created with mode 600); return the key."""
    if not re.fullmatch(r"[\w.@-]{1,64}", name):
        raise ConfigError("密钥名称只能用字母、数字、下划线、点、@ 和连字符，最长 64 个字符。", f"bad key name {name!r}")
    if name in read_keys_file(path).values():
        raise ConfigError(f"已有名为 {name} 的密钥；请换一个名称，或先用 `planqa keys remove {name}` 删除。", "duplicate key name")
    key = new_key()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(f"{name} sha256:{hash_key(key)}\n")
    return key


def remove_key(path: Path, name: str) -> bool:
    """Drop the key called ``name`` from the keys file (rewritten atomically); False if none."""
    if name not in read_keys_file(path).values():
        return False
    kept = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.split(" ", 1)[0] != name]
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("".join(ln + "\n" for ln in kept))
    os.replace(tmp, path)
    return True


@dataclass
class Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, at most that many in a burst."""

    per_minute: int
    buckets: dict[str, Bucket] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, who: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self.lock:
            b = self.buckets.get(who)
            if b is None:
                b = self.buckets[who] = Bucket(float(self.per_minute), now)
            b.tokens = min(float(self.per_minute), b.tokens + (now - b.at) * rate)
            b.at = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return 0.0
            return (1.0 - b.tokens) / rate


class Denied(Exception):
    """A request refused: HTTP status, a Chinese message, OpenAI's error type and code."""

    def __init__(self, status: int, message: str, code: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.retry_after = retry_after


@dataclass
class KeyRing:
    """The hashes of the keys that may call the API, and the rule for when one is needed."""

    hashes: dict[str, str]  # hash → key name
    required: bool
    limiter: RateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        path = Path(settings.api_keys_file) if settings.api_keys_file else default_keys_file()
        hashes = read_keys_file(path)
        for n, key in enumerate(k for k in settings.api_keys.split(",") if k.strip()):
            hashes[hash_key(key)] = f"env-{n + 1}"
        required = bool(hashes) or settings.host not in LOOPBACK
        return cls(hashes, required, RateLimiter(settings.api_rate))

    def describe(self) -> str:
        if not self.required:
            return "API 无需密钥（仅本机可访问）"
        if not self.hashes:
            return "API 已关闭：服务对外开放但未配置 API 密钥（planqa keys add 名称）"
        return f"API 需要密钥（已配置 {len(self.hashes)} 个）"

    def check(self, authorization: str | None) -> str:
        """The caller's key name ("" for the local user when no key is needed), or :class:`Denied`."""
        if not self.required:
            return ""
        if not self.hashes:
            raise Denied(
                401, "本服务对外开放，但管理员尚未配置 API 密钥，接口暂不可用（planqa keys add 名称）。", "api_keys_not_configured"
            )
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Denied(401, "缺少 API 密钥：请在请求头中提供 Authorization: Bearer <密钥>。", "missing_api_key")
        digest = hash_key(token)
        name = next((n for h, n in self.hashes.items() if hmac.compare_digest(h, digest)), None)
        if name is None:
            raise Denied(401, "API 密钥无效，请检查后重试。", "invalid_api_key")
        wait = self.limiter.allow(name)
        if wait > 0:
            raise Denied(429, f"请求过于频繁，请 {max(1, round(wait))} 秒后重试。", "rate_limit_exceeded", wait)
        return name


ADMIN_REALM = 'Basic realm="planqa-library", charset="UTF-8"'


@dataclass
class AdminGate:
    """Who may change the document library (see the module doc)."""

    user: str
    password_hash: str  # SHA-256 of the password: compared in constant time, never kept in the clear
    key_hashes: dict[str, str]  # hash → "admin-key-N"
    local: bool  # the server is bound to 127.0.0.1
    keys: KeyRing  # the reading rule, for the local user when no library login is configured

    @classmethod
    def from_settings(cls, settings: Settings, keys: KeyRing) -> AdminGate:
        user = settings.admin_user if settings.admin_user and settings.admin_password else ""
        hashes = {hash_key(k): f"admin-key-{n + 1}" for n, k in enumerate(k for k in settings.admin_keys.split(",") if k.strip())}
        return cls(user, hash_key(settings.admin_password) if user else "", hashes, settings.host in LOOPBACK, keys)

    @property
    def configured(self) -> bool:
        return bool(self.user or self.key_hashes)

    def describe(self) -> str:
        if self.configured:
            return "资料库修改需要管理员登录（PLANQA_ADMIN_USER / PLANQA_ADMIN_KEYS）"
        if self.local:
            return "资料库可由本机用户修改（未配置管理员登录）"
        return "资料库修改已关闭：服务对外开放但未配置管理员登录（PLANQA_ADMIN_USER 与 PLANQA_ADMIN_PASSWORD）"

    def check(self, authorization: str | None) -> str:
        """Who is changing the library (the login name, ``admin-key-N``, or the local user's
        ``本机用户``), or :class:`Denied` (401 asking for the login, 403 when changes are closed)."""
        if not self.configured:
            if not self.local:
                raise Denied(
                    403, "本服务对外开放，但管理员尚未配置资料库登录（PLANQA_ADMIN_USER 与 PLANQA_ADMIN_PASSWORD，"
                    "或 PLANQA_ADMIN_KEYS），资料库不能修改。", "library_changes_disabled",
                )
            name = self.keys.check(authorization)
            return f"key:{name}" if name else "本机用户"
        wait = self.keys.limiter.allow("library-login")  # PLANQA_API_RATE a minute: no password guessing at speed
        if wait > 0:
            raise Denied(429, f"请求过于频繁，请 {max(1, round(wait))} 秒后重试。", "rate_limit_exceeded", wait)
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() == "basic" and token and self.user:
            try:
                user, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", ""
            ok_user = hmac.compare_digest(user.encode("utf-8"), self.user.encode("utf-8"))
            if hmac.compare_digest(hash_key(password), self.password_hash) and ok_user:
                return self.user
            raise Denied(401, "资料库管理员用户名或密码错误。", "invalid_admin_login")
        if scheme.lower() == "bearer" and token:
            digest = hash_key(token)
            admin_key = next((n for h, n in self.key_hashes.items() if hmac.compare_digest(h, digest)), None)
            if admin_key is not None:
                return admin_key
            raise Denied(403, "该密钥不能修改资料库：需要管理员密钥（PLANQA_ADMIN_KEYS）或管理员登录。", "admin_required")
        raise Denied(401, "修改资料库需要管理员登录：请用 HTTP Basic（PLANQA_ADMIN_USER）或 Authorization: Bearer <管理员密钥>。", "admin_login_required")
