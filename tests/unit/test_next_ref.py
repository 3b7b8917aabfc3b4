"""The next free ref of a country and year, past 9999 too, in a constant number of queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event

from incidentlog.domain.enums import TimePrecision
from incidentlog.domain.records import Incident
from incidentlog.domain.when import Moment
from incidentlog.services import Services
from incidentlog.store.records import next_ref


def _create(services: Services, ref: str) -> None:
    services.incidents.create(Incident(
        title=ref, ref=ref, country="IQ",
        occurred=Moment.from_local(datetime(2024, 1, 20), TimePrecision.DAY, "Asia/Baghdad"),
    ))


def test_past_9999_the_next_ref_is_found_without_walking_every_number(
    services: Services,
) -> None:
    for number in (9998, 9999, *range(10_000, 10_040)):
        _create(services, f"IQ-2024-{number:04d}")
    _create(services, "IQ-2024-0005b")  # typed by hand
    statements: list[str] = []
    with services.database.read() as connection:
        event.listen(connection, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        assert next_ref(connection, "IQ", 2024) == "IQ-2024-10040"
        assert next_ref(connection, "SY", 2024) == "SY-2024-0001"
    assert len(statements) <= 4, statements  # one lookup and one check of the ref, each


def test_a_ref_typed_by_hand_does_not_restart_the_numbers(services: Services) -> None:
    for ref in ("IQ-2024-0001", "IQ-2024-0002", "IQ-2024-0002-bis"):
        _create(services, ref)
    with services.database.read() as connection:
        assert next_ref(connection, "IQ", 2024) == "IQ-2024-0003"
