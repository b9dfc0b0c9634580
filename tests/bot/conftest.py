"""Fixtures for the Discord tests."""

import pytest

from tests.bot.harness import run_scenario


@pytest.fixture
def run(tmp_path, seed_index, embedder, corpus_copy):
    """`run(scenario, **settings)`: the bot against the fake Discord, on a copy of the seed."""
    def go(scenario, **kwargs):
        return run_scenario(scenario, workdir=tmp_path, seed_index=seed_index,
                            embedder=embedder, corpus=corpus_copy, **kwargs)
    return go
