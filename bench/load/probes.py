"""Plain HTTP reads of the servers under load, with the standard library.

The runner reads the fake's admin API and our ``/readyz`` and ``/metrics`` between locust
runs; a failed read is a status to report (``(0, None)``), not a crash of the whole run.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def http_json(url: str, body: dict[str, Any] | None = None, timeout_s: float = 5.0) -> tuple[int, Any]:
    """GET (or POST ``body`` as JSON) and decode the answer; errors come back as (status, None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


def http_text(url: str, timeout_s: float = 5.0) -> str:
    """The body of a GET as text; errors propagate (``/metrics`` must be readable once the server is up)."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        text: str = response.read().decode("utf-8")
        return text
