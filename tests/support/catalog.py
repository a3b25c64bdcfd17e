"""Catalog TRs against the fake in process, for the generator tests: one session, every page, decoded."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.support.fake import call_tr, issue_token, make_client, unlimited
from tr_catalog import CATALOG, decode

Row = dict[str, Any]
Session = tuple[TestClient, str]


def open_session() -> Session:
    """A fake without a rate limit and a token for it."""
    client, _ = make_client(unlimited())
    return client, issue_token(client)


def ask(session: Session, api_id: str, body: dict[str, str]) -> dict[str, Any]:
    """The raw answer of ``api_id`` (whatever its return code)."""
    client, token = session
    answer: dict[str, Any] = call_tr(client, token, api_id, body, group=CATALOG[api_id].group).json()
    return answer


def top(session: Session, api_id: str, body: dict[str, str]) -> Row:
    """The top-level fields of ``api_id``'s answer, decoded as the catalog says (code 0 asserted)."""
    answer = ask(session, api_id, body)
    assert answer["return_code"] == 0, answer
    return {f.name: decode(answer[f.name], f.encoding) for f in CATALOG[api_id].top}


def rows(session: Session, api_id: str, body: dict[str, str], pages: int = 100) -> list[Row]:
    """The rows of up to ``pages`` pages of ``api_id``, decoded (code 0 asserted on each page)."""
    return _pages(session, api_id, body, pages)[0]


def all_rows(session: Session, api_id: str, body: dict[str, str], *, max_pages: int = 500) -> list[Row]:
    """Every row of every page of ``api_id``, decoded; fails when paging has not ended after ``max_pages``."""
    found, ended = _pages(session, api_id, body, max_pages)
    assert ended, "paging did not end"
    return found


def _pages(session: Session, api_id: str, body: dict[str, str], pages: int) -> tuple[list[Row], bool]:
    client, token = session
    tr = CATALOG[api_id]
    assert tr.list_key
    found: list[Row] = []
    cont, key = None, None
    for _ in range(pages):
        response = call_tr(client, token, api_id, body, group=tr.group, cont_yn=cont, next_key=key)
        assert response.json()["return_code"] == 0, response.text
        found += [{f.name: decode(r[f.name], f.encoding) for f in tr.rows} for r in response.json()[tr.list_key]]
        if response.headers["cont-yn"] != "Y":
            return found, True
        cont, key = "Y", response.headers["next-key"]
    return found, False
