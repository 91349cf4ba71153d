"""Credits, the ledger, plan rate limits, storage quota and Idempotency-Key, through the handlers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from gallery_storage import fill_storage

from galleria.accounts.repository import AccountsRepository
from galleria.domain.teams import GIB, Plan

GENERATE = "/api/v1/generate-image"
ASYNC = {"prompt": "A lighthouse at dawn", "model": "local/procedural", "async": True}


def _credits(team) -> int:
    return AccountsRepository().get_team(team.team_id).credits


def _ledger(stack, team, **query):
    return stack.request("GET", "/api/v1/account/ledger", key=team.key, query=query or None)


def test_the_ledger_records_each_charge_and_refund_with_its_job(stack, team, monkeypatch) -> None:
    from galleria.generation import worker as worker_module
    from galleria.providers.base import ProviderError

    # Given one job that succeeds and one whose images all fail
    ok = stack.request("POST", GENERATE, key=team.key, json_body={**ASYNC, "numImages": 2}).json()["jobId"]
    stack.run_workers()

    class Broken:
        def generate(self, request):
            raise ProviderError("the provider refused")

    monkeypatch.setattr(worker_module, "provider_for", lambda model: Broken())
    failed = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]
    stack.run_workers()

    # Then the ledger lists, newest first: the refund, the failed job's charge, the first charge,
    # and the team's starting credits
    entries = _ledger(stack, team).json()["entries"]
    assert [(e["kind"], e["credits"], e["jobId"]) for e in entries] == [
        ("refund", 5, failed),
        ("charge", -5, failed),
        ("charge", -10, ok),
        ("grant", 1000, None),
    ]
    assert _credits(team) == 1000 - 10
    # and the entries add up to the balance
    assert sum(e["credits"] for e in entries) == _credits(team)


def test_the_ledger_pages_by_cursor(stack, team) -> None:
    for _ in range(3):
        stack.request("POST", GENERATE, key=team.key, json_body=ASYNC)
    first = _ledger(stack, team, limit="2").json()
    assert len(first["entries"]) == 2 and first["nextCursor"]
    rest = _ledger(stack, team, limit="2", cursor=first["nextCursor"]).json()
    assert len(rest["entries"]) == 2 and rest["nextCursor"] is None
    assert rest["entries"][-1]["kind"] == "grant"  # the starting credits come first in time
    jobs = [e["jobId"] for e in first["entries"] + rest["entries"][:1]]
    assert len(set(jobs)) == 3 and jobs == sorted(jobs, reverse=True)


def test_granted_credits_appear_in_the_ledger(stack, team) -> None:
    AccountsRepository().add_credits(team.team_id, 250)
    entry = _ledger(stack, team).json()["entries"][0]
    assert (entry["kind"], entry["credits"], entry["jobId"]) == ("grant", 250, None)


def test_a_team_sees_only_its_own_ledger(stack, team, other_team) -> None:
    job_id = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()["jobId"]
    theirs = _ledger(stack, other_team).json()["entries"]
    assert [(e["kind"], e["jobId"]) for e in theirs] == [("grant", None)]
    # A cursor from the first team's ledger opens nothing of it for the second team
    cursor = _ledger(stack, team, limit="1").json()["nextCursor"]
    assert job_id not in {e["jobId"] for e in _ledger(stack, other_team, cursor=cursor).json()["entries"]}


def test_the_plan_rate_limit_answers_429_with_retry_after_and_charges_nothing(
    stack, make_team, monkeypatch
) -> None:
    _pin_the_rate_clock(monkeypatch)
    free = make_team(plan=Plan.FREE, credits=1000)
    for _ in range(10):
        assert stack.request("POST", GENERATE, key=free.key, json_body=ASYNC).status == 202
    balance = _credits(free)

    limited = stack.request("POST", GENERATE, key=free.key, json_body=ASYNC)

    assert limited.status == 429
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["retry-after"] == "30"  # the rest of the minute
    assert "10" in limited.json()["error"]
    assert _credits(free) == balance


def _pin_the_rate_clock(monkeypatch) -> float:
    """Stop the rate limiter's clock 30 s into the current minute: its window is a fixed clock
    minute, so a burst timed on the real clock could straddle two windows."""
    import time
    from functools import partial

    from galleria.accounts.rate_limits import RateLimiter
    from galleria.generation import service

    now = time.time() // 60 * 60 + 30
    monkeypatch.setattr(service, "RateLimiter", partial(RateLimiter, now=lambda: now))
    return now


def test_pro_allows_60_requests_a_minute_then_answers_429_without_charging(
    stack, make_team, monkeypatch
) -> None:
    _pin_the_rate_clock(monkeypatch)
    pro = make_team(plan=Plan.PRO, credits=1000)
    for _ in range(60):
        assert stack.request("POST", GENERATE, key=pro.key, json_body=ASYNC).status == 202
    assert _credits(pro) == 1000 - 60 * 5

    limited = stack.request("POST", GENERATE, key=pro.key, json_body=ASYNC)

    assert limited.status == 429
    assert limited.json()["code"] == "rate_limited"
    assert "60 generation requests per minute" in limited.json()["error"]
    assert limited.headers["retry-after"] == "30"  # the rest of the minute
    assert _credits(pro) == 1000 - 60 * 5
    assert len(_ledger(stack, pro, limit="100").json()["entries"]) == 60 + 1  # the charges and the grant


def test_enterprise_allows_600_requests_a_minute(stack, make_team, monkeypatch) -> None:
    from galleria.accounts.rate_limits import RateLimiter

    now = _pin_the_rate_clock(monkeypatch)
    big = make_team(plan=Plan.ENTERPRISE, credits=1000)
    # 599 requests already counted in this minute (by the limiter itself, not 599 HTTP calls)
    limiter = RateLimiter(now=lambda: now)
    for _ in range(599):
        limiter.take(big.team_id, 10_000)

    assert stack.request("POST", GENERATE, key=big.key, json_body=ASYNC).status == 202  # the 600th
    limited = stack.request("POST", GENERATE, key=big.key, json_body=ASYNC)  # the 601st

    assert limited.status == 429 and limited.json()["code"] == "rate_limited"
    assert "600 generation requests per minute" in limited.json()["error"]
    assert limited.headers["retry-after"] == "30"
    assert _credits(big) == 1000 - 5


def test_dry_runs_do_not_count_against_the_rate_limit(stack, make_team) -> None:
    free = make_team(plan=Plan.FREE, credits=1000)
    for _ in range(12):
        assert (
            stack.request("POST", GENERATE, key=free.key, json_body={**ASYNC, "dryRun": True}).status == 200
        )
    assert stack.request("POST", GENERATE, key=free.key, json_body=ASYNC).status == 202


def test_rate_limits_are_per_team(stack, make_team) -> None:
    busy, quiet = make_team(plan=Plan.FREE), make_team(plan=Plan.FREE)
    for _ in range(10):
        stack.request("POST", GENERATE, key=busy.key, json_body=ASYNC)
    assert stack.request("POST", GENERATE, key=busy.key, json_body=ASYNC).status == 429
    assert stack.request("POST", GENERATE, key=quiet.key, json_body=ASYNC).status == 202


def test_a_full_gallery_answers_413_before_charging(stack, make_team) -> None:
    free = make_team(plan=Plan.FREE, credits=100)
    fill_storage(free.team_id, GIB - 1024)

    response = stack.request("POST", GENERATE, key=free.key, json_body=ASYNC)

    assert response.status == 413
    body = response.json()
    assert body["code"] == "storage_quota_exceeded"
    assert body["used"] == GIB - 1024 and body["limit"] == GIB
    assert _credits(free) == 100


def test_pro_storage_quota_is_50_gb(stack, make_team) -> None:
    pro = make_team(plan=Plan.PRO, credits=100)
    fill_storage(pro.team_id, 2 * GIB)  # past the free plan's 1 GB, far from pro's 50
    assert stack.request("POST", GENERATE, key=pro.key, json_body=ASYNC).status == 202

    fill_storage(pro.team_id, 50 * GIB - 1024)
    response = stack.request("POST", GENERATE, key=pro.key, json_body=ASYNC)

    assert response.status == 413
    body = response.json()
    assert body["code"] == "storage_quota_exceeded"
    assert body["used"] == 50 * GIB - 1024 and body["limit"] == 50 * GIB
    assert _credits(pro) == 100 - 5  # the first request only


def test_a_full_gallery_can_still_generate_images_it_does_not_keep(stack, make_team) -> None:
    free = make_team(plan=Plan.FREE, credits=100)
    fill_storage(free.team_id, GIB + 1)
    response = stack.request("POST", GENERATE, key=free.key, json_body={**ASYNC, "saveToGallery": False})
    assert response.status == 202


def test_enterprise_storage_is_unlimited(stack, make_team) -> None:
    big = make_team(plan=Plan.ENTERPRISE, credits=100)
    fill_storage(big.team_id, 500 * GIB)
    assert stack.request("POST", GENERATE, key=big.key, json_body=ASYNC).status == 202


def test_an_idempotency_key_returns_the_first_answer_and_charges_once(stack, team) -> None:
    headers = {"Idempotency-Key": "order-1234"}
    first = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC, headers=headers)
    again = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC, headers=headers)

    assert first.status == again.status == 202
    assert again.json() == first.json()
    assert _credits(team) == 1000 - 5
    assert stack.run_workers() == 1


def test_a_sync_answer_is_replayed_with_its_images(stack, team, monkeypatch) -> None:
    monkeypatch.setenv("SYNC_WAIT_SECONDS", "5")
    from galleria.config import get_settings

    get_settings.cache_clear()
    headers = {"Idempotency-Key": "sync-1"}
    body = {"prompt": "A lighthouse at dawn", "model": "local/procedural"}
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(stack.request, "POST", GENERATE, key=team.key, json_body=body, headers=headers)
        while stack.run_workers() == 0:
            pass
        first = pending.result()
    again = stack.request("POST", GENERATE, key=team.key, json_body=body, headers=headers)

    assert first.status == 200 and again.status == 200
    assert again.json() == first.json() and again.json()["images"][0]["galleryId"]
    assert _credits(team) == 1000 - 5


def test_the_same_key_with_another_body_is_refused(stack, team) -> None:
    headers = {"Idempotency-Key": "order-1"}
    stack.request("POST", GENERATE, key=team.key, json_body=ASYNC, headers=headers)
    other = stack.request(
        "POST", GENERATE, key=team.key, json_body={**ASYNC, "numImages": 3}, headers=headers
    )
    assert other.status == 422 and other.json()["code"] == "idempotency_key_reused"
    assert _credits(team) == 1000 - 5


def test_idempotency_keys_are_scoped_to_the_team(stack, team, other_team) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    mine = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC, headers=headers).json()
    theirs = stack.request("POST", GENERATE, key=other_team.key, json_body=ASYNC, headers=headers).json()
    assert mine["jobId"] != theirs["jobId"]
    assert _credits(other_team) == 1000 - 5


def test_a_failed_request_is_not_replayed(stack, make_team) -> None:
    poor = make_team(credits=0)
    headers = {"Idempotency-Key": "retry-me"}
    assert stack.request("POST", GENERATE, key=poor.key, json_body=ASYNC, headers=headers).status == 402
    AccountsRepository().add_credits(poor.team_id, 5)
    assert stack.request("POST", GENERATE, key=poor.key, json_body=ASYNC, headers=headers).status == 202


@pytest.mark.parametrize("value", ["", "has space", "x" * 256, "caf\u00e9"])
def test_a_malformed_idempotency_key_is_a_400(stack, team, value) -> None:
    response = stack.request(
        "POST", GENERATE, key=team.key, json_body=ASYNC, headers={"Idempotency-Key": value}
    )
    assert response.status == 400
    assert "Idempotency-Key" in response.json()["error"]
    assert _credits(team) == 1000


def test_without_a_key_each_request_is_a_new_job(stack, team) -> None:
    first = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()
    second = stack.request("POST", GENERATE, key=team.key, json_body=ASYNC).json()
    assert first["jobId"] != second["jobId"]
    assert _credits(team) == 1000 - 10
