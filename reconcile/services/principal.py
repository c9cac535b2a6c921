"""Who is calling: the authenticated user, as the use cases see it."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("ADMIN", "CLIENT", "ANALYST", "AFFILIATE")


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: str
    client_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"

    @property
    def reads_everything(self) -> bool:
        return self.role in ("ADMIN", "ANALYST")


SYSTEM = Principal(user_id=0, role="ADMIN")
