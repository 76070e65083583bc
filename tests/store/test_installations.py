"""The installations table and OAuth states: one install per workspace, states used once and not after expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paperboy.models import Installation, Platform
from paperboy.store import Store

pytestmark = pytest.mark.asyncio
NOW = datetime(2025, 1, 16, 12, 0, tzinfo=UTC)


def installed(workspace: str, token: str, enterprise: str = "") -> Installation:
    return Installation(Platform.SLACK, workspace, {"bot_token": token, "team_id": workspace}, NOW, enterprise)


async def test_an_installation_is_found_by_its_workspace(store: Store) -> None:
    await store.installations.save(installed("T1", "xoxb-1"))
    found = await store.installations.find(Platform.SLACK, "T1")
    assert found == installed("T1", "xoxb-1")


async def test_installing_again_replaces_the_token(store: Store) -> None:
    await store.installations.save(installed("T1", "xoxb-old"))
    await store.installations.save(installed("T1", "xoxb-new"))
    assert [i.record["bot_token"] for i in await store.installations.list(Platform.SLACK)] == ["xoxb-new"]


async def test_a_workspace_in_an_organisation_is_found_with_or_without_naming_it(store: Store) -> None:
    await store.installations.save(installed("T1", "xoxb-1", enterprise="E1"))
    assert await store.installations.find(Platform.SLACK, "T1") is not None
    assert await store.installations.find(Platform.SLACK, "T1", "E1") is not None
    assert await store.installations.find(Platform.SLACK, "T1", "") is None


async def test_a_deleted_installation_is_gone(store: Store) -> None:
    await store.installations.save(installed("T1", "xoxb-1"))
    assert await store.installations.delete(Platform.SLACK, "T1")
    assert await store.installations.find(Platform.SLACK, "T1") is None
    assert not await store.installations.delete(Platform.SLACK, "T1")


async def test_a_state_is_consumed_once(store: Store) -> None:
    await store.installations.issue_state("s1", NOW + timedelta(minutes=10), NOW)
    assert await store.installations.consume_state("s1", NOW)
    assert not await store.installations.consume_state("s1", NOW)


async def test_an_expired_state_is_refused(store: Store) -> None:
    await store.installations.issue_state("s1", NOW + timedelta(minutes=10), NOW)
    assert not await store.installations.consume_state("s1", NOW + timedelta(minutes=11))


async def test_a_state_never_issued_is_refused(store: Store) -> None:
    assert not await store.installations.consume_state("forged", NOW)


async def test_no_state_is_written_past_the_cap_of_live_states(store: Store) -> None:
    for i in range(3):
        assert await store.installations.issue_state(f"s{i}", NOW + timedelta(minutes=10), NOW, limit=3)
    assert not await store.installations.issue_state("s3", NOW + timedelta(minutes=10), NOW, limit=3)
    assert not await store.installations.consume_state("s3", NOW)


async def test_expired_states_make_room_under_the_cap(store: Store) -> None:
    for i in range(3):
        await store.installations.issue_state(f"s{i}", NOW + timedelta(minutes=10), NOW, limit=3)
    later = NOW + timedelta(minutes=10)
    assert await store.installations.issue_state("s3", later + timedelta(minutes=10), later, limit=3)
    assert await store.installations.consume_state("s3", later)
    assert not await store.installations.consume_state("s0", later)
