"""Every TR in the catalog, against the fake: the documented request works, its fields are there and well-formed.

Three checks per TR, all driven by the spec: the example request answers return_code 0
with every declared field present and encoded as declared; a request missing a required
field gets 1511 naming it; and the client's decoder (``kiwoom.operations.catalog``)
understands every value the fake sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.trs import TR_TABLE
from kiwoom.operations.catalog import decode_answer
from tr_catalog import CATALOG, TrDef, matches

pytestmark = pytest.mark.anyio

TRS = sorted(CATALOG)
REQUIRED = [(api_id, name) for api_id in TRS for name in CATALOG[api_id].required]


class Fake:
    def __init__(self, client: httpx2.AsyncClient, token: str) -> None:
        self.client, self.token = client, token

    async def ask(self, tr: TrDef, body: dict[str, str]) -> dict[str, Any]:
        headers = {"api-id": tr.api_id, "authorization": f"Bearer {self.token}"}
        response = await self.client.post(tr.path, json=body, headers=headers)
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[Fake]:
    app = create_app(FakeKiwoomConfig(seed=5, rate_limit_per_s=0))
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://fake") as client,
    ):
        grant = {"grant_type": "client_credentials", "appkey": "fidelity-key", "secretkey": "fidelity-secret"}
        token = (await client.post("/oauth2/token", json=grant)).json()["token"]
        yield Fake(client, token)


def test_the_catalog_holds_every_tr_the_fake_answers() -> None:
    assert sorted(TR_TABLE) == TRS


@pytest.mark.parametrize("api_id", TRS)
async def test_the_documented_request_gets_every_documented_field(fake: Fake, api_id: str) -> None:
    tr = CATALOG[api_id]
    answer = await fake.ask(tr, dict(tr.example))
    assert answer["return_code"] == 0, answer.get("return_msg")
    for f in tr.top:
        assert f.name in answer, f"{api_id}: {f.name} missing"
        assert matches(answer[f.name], f.encoding), f"{api_id}: {f.name}={answer[f.name]!r} is not {f.encoding}"
    if tr.list_key:
        rows = answer[tr.list_key]
        assert isinstance(rows, list)
        assert rows or tr.extra.get("rows_may_be_empty"), f"{api_id}: no rows for the documented request"
        for row in rows:
            for f in tr.rows:
                assert f.name in row, f"{api_id}: {tr.list_key}[].{f.name} missing"
                assert matches(row[f.name], f.encoding), f"{api_id}: {f.name}={row[f.name]!r} is not {f.encoding}"


@pytest.mark.parametrize(("api_id", "field"), REQUIRED)
async def test_a_request_missing_a_required_field_gets_1511_naming_it(fake: Fake, api_id: str, field: str) -> None:
    tr = CATALOG[api_id]
    body = {k: v for k, v in tr.example.items() if k != field}
    answer = await fake.ask(tr, body)
    assert answer["return_code"] != 0
    assert "[1511:" in answer["return_msg"]
    assert field in answer["return_msg"]


@pytest.mark.parametrize("api_id", TRS)
async def test_the_client_decodes_every_value_the_fake_sends(fake: Fake, api_id: str) -> None:
    tr = CATALOG[api_id]
    answer = await fake.ask(tr, dict(tr.example))
    decoded = decode_answer(tr, answer)
    for f in tr.top:
        if str(answer.get(f.name, "")).strip():
            assert decoded["fields"][f.name] is not None, f"{api_id}: {f.name}={answer[f.name]!r} not decoded"
    for raw, row in zip(answer.get(tr.list_key or "", []) or [], decoded["rows"], strict=False):
        for f in tr.rows:
            if str(raw.get(f.name, "")).strip():
                assert row[f.name] is not None, f"{api_id}: {f.name}={raw[f.name]!r} not decoded"
