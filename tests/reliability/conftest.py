"""The fork server and the data of the SIGKILL tests, shared by their modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.forkserver import Fixture, ForkServer, make_data, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    started = start_server(tmp_path_factory.mktemp("fork-server"))
    yield started
    started.close()


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return make_data(tmp_path_factory.mktemp("crash-data"))
