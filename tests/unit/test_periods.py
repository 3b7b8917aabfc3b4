from __future__ import annotations

from dataclasses import replace

import pytest

from incidentlog.domain.errors import ValidationError
from incidentlog.domain.records import Period
from incidentlog.domain.when import parse_local, to_utc_text
from incidentlog.services import Services

pytestmark = pytest.mark.both_engines  # tests/conftest.py: on SQLite and PostgreSQL

CAMPAIGN = Period(name="Campaign of 17 Oct 2023 – 4 Feb 2024",
                  start=parse_local("2023-10-17", "Asia/Baghdad"),
                  end=parse_local("2024-02-04", "Asia/Baghdad"), color="#d62728")


def test_periods_are_stored_listed_updated_and_audited(services: Services) -> None:
    stored = services.periods.create(CAMPAIGN).record
    assert stored.start == CAMPAIGN.start and stored.end == CAMPAIGN.end
    assert stored.end is not None
    assert to_utc_text(stored.end.interval()[1]) == "2024-02-04T21:00:00Z"  # both days included
    services.periods.update(replace(stored, name="Campaign after 7 October"))
    assert [p.name for p in services.periods.list()] == ["Campaign after 7 October"]
    actions = [e.action for e in services.incident_query.history(stored.meta.uid or "")]
    assert actions == ["create", "update"]
    services.periods.delete(stored.meta.uid or "")
    assert services.periods.list() == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": " "}, "name"),
    ({"end": parse_local("2023-10-01", "UTC")}, "end"),
    ({"color": "red"}, "color"),
    ({"start": None}, "start"),
])
def test_bad_periods_are_refused(services: Services, changes: dict[str, object],
                                 field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.periods.create(replace(CAMPAIGN, **changes))
    assert field in caught.value.fields
