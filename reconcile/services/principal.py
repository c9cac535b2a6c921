"""Who is calling: the authenticated user, as the use cases see it."""

from __future__ import annotations

from dataclasses import dataclass

from reconcile.vocabulary import READS_EVERYTHING, Role


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: str
    client_id: int | None = None
    # An affiliate's trust score as authentication read it: the submission quota depends on
    # its bucket, and reading it here saves the request a second query.
    trust_score: float | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def reads_everything(self) -> bool:
        return self.role in READS_EVERYTHING


SYSTEM = Principal(user_id=0, role=Role.ADMIN)
