"""Fixtures for the Discord tests."""

import pytest

from tests.bot.harness import run_scenario
from tests.postgres import fresh_database


@pytest.fixture
def run(tmp_path, seed_index, embedder, corpus_copy):
    """`run(scenario, **settings)`: the bot against the fake Discord, on a copy of the seed."""
    def go(scenario, **kwargs):
        return run_scenario(scenario, workdir=tmp_path, seed_index=seed_index,
                            embedder=embedder, corpus=corpus_copy, **kwargs)
    return go


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request: pytest.FixtureRequest) -> str | None:
    """Where a store keeps its state: None (its SQLite file) or a fresh PostgreSQL database,
    so that each store's behaviour tests run on both."""
    if request.param == "sqlite":
        return None
    return fresh_database(request.getfixturevalue("postgres_url"))
