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


def all_rows(session: Session, api_id: str, body: dict[str, str], *, max_pages: int = 500) -> list[Row]:
    """Every row of every page of ``api_id``, each value decoded as the catalog says (code 0 asserted)."""
    client, token = session
    tr = CATALOG[api_id]
    assert tr.list_key
    rows: list[Row] = []
    cont, key = None, None
    for _ in range(max_pages):
        response = call_tr(client, token, api_id, body, group=tr.group, cont_yn=cont, next_key=key)
        assert response.json()["return_code"] == 0, response.text
        rows += [{f.name: decode(r[f.name], f.encoding) for f in tr.rows} for r in response.json()[tr.list_key]]
        if response.headers["cont-yn"] != "Y":
            return rows
        cont, key = "Y", response.headers["next-key"]
    raise AssertionError("paging did not end")
