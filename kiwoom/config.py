"""Settings, read from ``KIWOOM_*`` environment variables (and an optional ``.env``).

Settings are read when a client or server is built, never at import, so tests can set
the environment per test. Which upstream the client talks to follows from them:

============  =========================================  ===========================
mode          chosen when                                upstream
============  =========================================  ===========================
``sandbox``   no keys and no ``KIWOOM_BASE_URL``, or     the fake, in-process
              ``KIWOOM_ENV=sandbox``                      (no sockets, simulated data)
``custom``    ``KIWOOM_BASE_URL`` is set                  that URL (e.g. ``fake-kiwoom``)
``mock``      ``KIWOOM_ENV=mock``                         mockapi.kiwoom.com (모의투자)
``real``      keys set and ``KIWOOM_ENV`` unset or real   api.kiwoom.com
============  =========================================  ===========================
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kiwoom.errors import ConfigurationError
from kiwoom.transport.protocol import MOCK_HOST, REAL_HOST

#: Keys the embedded sandbox accepts; they are not secrets and reach no real server.
SANDBOX_APP_KEY = "sandbox-app-key"
SANDBOX_SECRET_KEY = "sandbox-secret-key"
SANDBOX_ACCOUNT_NO = "5012345611"
SANDBOX_BASE_URL = "http://sandbox.fake-kiwoom"


#: MCP toolsets (``KIWOOM_TOOLSETS``): the default keeps the tool list short for assistants.
TOOLSETS = ("quotes", "charts", "account", "rankings", "flows", "sectors", "etf", "themes", "catalog")
DEFAULT_TOOLSETS = ("quotes", "charts", "account")


class Mode(StrEnum):
    SANDBOX = "sandbox"
    CUSTOM = "custom"
    MOCK = "mock"
    REAL = "real"


class Settings(BaseSettings):
    """Every tunable of the client; defaults are the seed's (30 s timeout, 3 attempts ...)."""

    model_config = SettingsConfigDict(
        env_prefix="KIWOOM_", env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore"
    )

    app_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    account_no: SecretStr | None = None
    env: Literal["sandbox", "mock", "real"] | None = None
    base_url: str | None = None

    timeout: float = Field(
        30.0, gt=0, description="HTTP read/write timeout per request, seconds (seed: 30 s); see connect_timeout_s"
    )
    connect_timeout_s: float = Field(
        5.0, gt=0, description="Bound on opening a TCP/TLS connection: a dead host fails in seconds, not in 30 s"
    )
    close_timeout_s: float = Field(2.0, gt=0, description="Bound on revoking the token when closing")
    token_refresh_margin_s: float = Field(
        600.0, ge=0, description="Issue a new token this long before the old one expires"
    )
    rate_limit_per_s: float = Field(
        1.0, ge=0, description="Client-side pacing per api-id (measured Kiwoom limit); 0 disables"
    )
    rate_limit_burst: int = Field(2, ge=1, description="Requests per api-id allowed back to back")
    page_delay_s: float = Field(0.2, ge=0, description="Pause between continuation pages (Kiwoom's examples)")
    max_pages: int = Field(20, ge=1, description="Upper bound of continuation pages for one call")
    queue_max: int = Field(
        100, ge=1, description="Requests one TR may have queued behind its rate limit in a worker; more are refused"
    )
    batch_quotes: bool = Field(
        True, description="Merge concurrent single-code quote lookups into one ka10095 request (up to 100 codes)"
    )
    batch_gather_s: float = Field(
        0.02, ge=0, le=1, description="How long a batch waits for more codes after the first one joins"
    )
    listing_ttl_s: float = Field(86400.0, gt=0, description="How long the ka10099 stock listing is kept")

    max_retries: int = Field(3, ge=1, le=10, description="Attempts per call, first included (seed: 3)")
    retry_delay: float = Field(1.0, ge=0, description="First backoff delay; doubles each retry (1 s → 2 s → 4 s)")
    retry_jitter: Literal["none", "full", "equal"] = Field("none", description="Randomise backoff delays")
    call_deadline_s: float | None = Field(
        45.0, gt=0, description="Upper bound of one call including retries and waits; then fall back"
    )
    cache_ttl: float = Field(300.0, gt=0, description="Seconds a result stays fresh (seed: 5 minutes)")
    cache_ttl_overrides: dict[str, float] = Field(
        default_factory=lambda: {"get_stock_info": 3600.0, "get_account_info": 30.0, "get_orderbook": 10.0},
        description="Per-operation TTLs (JSON in KIWOOM_CACHE_TTL_OVERRIDES)",
    )
    cache_maxsize: int = Field(2048, ge=1, description="Cached results kept; least recently used go first")
    cache_max_bytes: int = Field(
        64 * 1024 * 1024, ge=1, description="Bytes the cached results may weigh in memory; least recently used go first"
    )
    stale_if_error_s: float = Field(3600.0, ge=0, description="How long past its TTL a result may answer a failure")
    fallback: Literal["sample", "stale-only", "error"] | None = Field(
        None,
        description="When upstream fails: stale then sample data (seed), stale only, or an error; "
        "unset: chosen by the upstream (see fallback_policy)",
    )
    breaker_failures: int = Field(
        5,
        ge=1,
        description="Requests the breaker's window must hold before it judges the failure rate "
        "(so a total outage opens it after this many failed requests)",
    )
    breaker_failure_rate: float = Field(
        0.5, gt=0, le=1, description="Share of the window's requests that, failed, opens the breaker"
    )
    breaker_window_s: float = Field(
        30.0, gt=0, description="Sliding window over which the breaker counts requests and failures"
    )
    breaker_cooldown_s: float = Field(30.0, gt=0, description="How long the open breaker spares upstream")
    ready_token_interval_s: float = Field(
        30.0, ge=0, description="At most one token attempt of the readiness probe per this many seconds"
    )

    rate_limit_margin: float = Field(
        0.9, gt=0, le=1, description="Pace at this fraction of the limit, to absorb network jitter"
    )

    storage: Literal["memory", "redis"] | None = Field(
        None, description="Shared-state backend; redis when KIWOOM_REDIS_URL is set, else memory"
    )
    redis_url: str | None = Field(None, description="e.g. redis://127.0.0.1:6379/0")
    redis_namespace: str = Field("kiwoom", description="Key prefix, so deployments can share a Redis")
    redis_timeout_s: float = Field(1.0, gt=0, description="Bound on every Redis command")
    redis_retry_s: float = Field(5.0, gt=0, description="After a Redis failure, serve from memory this long")
    flight_lease_s: float = Field(
        3.0,
        gt=0,
        description="Lease of the cross-worker flight lock, renewed by its holder while it loads; "
        "a dead holder's lock is taken over after at most this long",
    )
    workers: int = Field(
        1, ge=1, description="Worker processes sharing the app key (set by --workers); alone, each paces at 1/N"
    )
    worker_lease_s: float = Field(
        15.0, gt=0, description="A worker (and token user) counts as live this long unheard; renewed every third"
    )

    sandbox_seed: int = Field(0, description="Seed of the embedded sandbox market")
    toolsets: str = Field(
        ",".join(DEFAULT_TOOLSETS),
        description="MCP toolsets to offer, comma-separated: " + ", ".join(TOOLSETS),
    )

    stream: bool = Field(
        True, description="Real-time quotes over Kiwoom's WebSocket for the live tools; false: REST only"
    )
    stream_idle_timeout_s: float = Field(
        30.0, gt=0, description="Watchdog: reconnect when the socket carried no frame (PING included) this long"
    )
    stream_stale_s: float = Field(
        30.0, gt=0, description="A live tool answers from REST when the stream's last frame is older than this"
    )
    stream_unused_s: float = Field(
        300.0, gt=0, description="REMOVE a code no tool or resource subscription asked for this long"
    )
    stream_first_tick_wait_s: float = Field(
        1.5, ge=0, description="A first live call waits this long for the first tick before answering from REST"
    )
    stream_lease_s: float = Field(
        5.0, gt=0, description="With Redis: the stream leader's lease; another worker takes over after it lapses"
    )

    @field_validator("toolsets")
    @classmethod
    def _known_toolsets(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in TOOLSETS]
        if unknown or not names:
            raise ValueError(f"toolsets are {', '.join(TOOLSETS)} (comma-separated); got {value!r}")
        return ",".join(dict.fromkeys(names))

    def toolset_names(self) -> frozenset[str]:
        """The toolsets the MCP server offers (``KIWOOM_TOOLSETS``)."""
        return frozenset(self.toolsets.split(","))

    def storage_backend(self) -> Literal["memory", "redis"]:
        """``redis`` when asked for or when a Redis URL is set; ``memory`` otherwise."""
        if self.storage is not None:
            if self.storage == "redis" and not self.redis_url:
                raise ConfigurationError("KIWOOM_STORAGE=redis 에는 KIWOOM_REDIS_URL 이 필요합니다")
            return self.storage
        return "redis" if self.redis_url else "memory"

    def fallback_policy(self) -> Literal["sample", "stale-only", "error"]:
        """``KIWOOM_FALLBACK`` when set; else ``stale-only`` for Kiwoom itself, ``sample`` for synthetic upstreams.

        The seed's sample data teaches graceful degradation, and on the sandbox, the fake or a
        lesson it can only be read as practice. From a real or mock account an assistant would
        repeat it as a quote, so there the chain stops at stale data and then fails, unless
        the operator opts in to samples with ``KIWOOM_FALLBACK=sample``.
        """
        if self.fallback is not None:
            return self.fallback
        return "sample" if self.simulated() else "stale-only"

    def ttl_for(self, operation: str) -> float:
        """The cache TTL of ``operation``: its override, else ``cache_ttl``."""
        return self.cache_ttl_overrides.get(operation, self.cache_ttl)

    def mode(self) -> Mode:
        """Which upstream this configuration selects (see the module table)."""
        if self.base_url:
            return Mode.CUSTOM
        if self.env == "sandbox":
            return Mode.SANDBOX
        if self.env in ("mock", "real"):
            return Mode(self.env)
        return Mode.REAL if self.app_key is not None else Mode.SANDBOX

    def upstream_url(self) -> str:
        """Base URL of the selected upstream."""
        mode = self.mode()
        if mode is Mode.CUSTOM:
            assert self.base_url is not None
            return self.base_url.rstrip("/")
        return {Mode.SANDBOX: SANDBOX_BASE_URL, Mode.MOCK: MOCK_HOST, Mode.REAL: REAL_HOST}[mode]

    def explain_mode(self) -> str:
        """The selected mode, its host and the setting that chose it, in Korean.

        A failed connection is only actionable when the operator sees which host was tried
        and why: keys left in a ``.env`` silently select api.kiwoom.com, a stray
        ``KIWOOM_BASE_URL`` overrides ``KIWOOM_ENV``. So the connect-failure log, ``/readyz``
        and ``kiwoom-demo`` say e.g. ``real 모드 (api.kiwoom.com): 키가 설정되어 있고
        KIWOOM_ENV 가 없음``. Only host and port are shown, never credentials in a URL.
        """
        mode = self.mode()
        if mode is Mode.SANDBOX:
            reason = "KIWOOM_ENV=sandbox" if self.env == "sandbox" else "키(KIWOOM_APP_KEY)가 설정되어 있지 않음"
            return f"sandbox 모드 (내장 샌드박스, 프로세스 안): {reason}"
        parts = urlsplit(self.upstream_url())
        host = f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "?")
        if mode is Mode.CUSTOM:
            reason = "KIWOOM_BASE_URL 이 설정됨" + (f" (KIWOOM_ENV={self.env} 보다 우선)" if self.env else "")
        elif self.env is not None:
            reason = f"KIWOOM_ENV={self.env}"
        else:
            reason = "키가 설정되어 있고 KIWOOM_ENV 가 없음"
        return f"{mode.value} 모드 ({host}): {reason}"

    def simulated(self) -> bool:
        """True when the upstream serves synthetic data (the sandbox, or a non-Kiwoom URL)."""
        mode = self.mode()
        if mode is Mode.SANDBOX:
            return True
        if mode is Mode.CUSTOM:
            host = urlsplit(self.upstream_url()).hostname or ""
            return not (host == "kiwoom.com" or host.endswith(".kiwoom.com"))
        return False

    def credentials(self) -> tuple[str, str, str]:
        """(app key, secret key, account number) for the selected mode.

        The sandbox and custom URLs fall back to the sandbox keys; the real and mock hosts
        need real keys and fail early with a message naming the missing variable.
        """
        mode = self.mode()
        app_key = self.app_key.get_secret_value() if self.app_key else ""
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        account = self.account_no.get_secret_value() if self.account_no else ""
        if mode in (Mode.SANDBOX, Mode.CUSTOM):
            return (app_key or SANDBOX_APP_KEY, secret or SANDBOX_SECRET_KEY, account or SANDBOX_ACCOUNT_NO)
        missing = [name for name, value in (("KIWOOM_APP_KEY", app_key), ("KIWOOM_SECRET_KEY", secret)) if not value]
        if missing:
            raise ConfigurationError(f"{mode.value} 모드에는 {', '.join(missing)} 환경 변수가 필요합니다")
        return app_key, secret, account
