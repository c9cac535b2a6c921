"""The API's schema names are the vocabulary's, member for member and in order."""

from __future__ import annotations

from typing import get_args

import pytest

from api import schemas
from reconcile.rules import Level, Status
from reconcile.vocabulary import PLATFORMS, AlertStatus, Role, Severity, values


@pytest.mark.parametrize(("literal", "members"), [
    (schemas.PlatformName, PLATFORMS),
    (schemas.RoleName, values(Role)),
    (schemas.LevelName, values(Severity)),
    (schemas.LevelName, values(Level)),
    (schemas.AlertStatus, values(AlertStatus)),
    (schemas.StatusName, values(Status)),
])
def test_a_schema_literal_lists_the_vocabulary(literal: object, members: tuple[str, ...]) -> None:
    assert set(get_args(literal)) == set(members)
