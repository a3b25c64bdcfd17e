"""Access tokens issued by the fake, with expiry on the injected clock.

Tokens are random and opaque, as on the live server; the store remembers which app key
owns each one because rate limits and accounts are per app key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    appkey: str
    issued_at: float
    expires_at: float


class TokenStore:
    """Issue, look up and revoke tokens; a token is valid until ``expires_at`` (exclusive)."""

    def __init__(self) -> None:
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, appkey: str, now: float, lifetime_s: float) -> IssuedToken:
        token = IssuedToken(secrets.token_urlsafe(64), appkey, now, now + lifetime_s)
        self._tokens[token.token] = token
        return token

    def lookup(self, token: str, now: float) -> IssuedToken | None:
        """The live token, or ``None`` if unknown, revoked or expired (expired ones are dropped)."""
        found = self._tokens.get(token)
        if found is None:
            return None
        if now >= found.expires_at:
            del self._tokens[token]
            return None
        return found

    def revoke(self, token: str, appkey: str) -> bool:
        """Revoke ``token`` if ``appkey`` owns it; ``False`` means there was nothing to revoke."""
        found = self._tokens.get(token)
        if found is None or found.appkey != appkey:
            return False
        del self._tokens[token]
        return True

    def clear(self) -> None:
        self._tokens.clear()

    def __len__(self) -> int:
        return len(self._tokens)
