"""Households, visits and the services given in each visit.

No citizen ID numbers anywhere: a household is its address and the name of its head, enough for a member to
find it again and for a leader to count it. Free text is masked before it is stored (see records.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.models import Area, Base, Team, User


class Household(Base):
    """A household in an area; `address_key` is the folded address used to recognise it when typed again.

    `last_outcome` and `last_visit_at` are those of the household's latest visit that is not deleted (None
    without one). Database triggers keep them (migration visits_0002), whatever writes a visit, so the app
    never sets them: "households waiting for a follow-up" is then an indexed count instead of a pass over
    every visit of a province.
    """

    __tablename__ = "households"
    __table_args__ = (
        Index("ix_households_area_address", "area_id", "address_key"),
        Index("ix_households_area_last_outcome", "area_id", "last_outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    address: Mapped[str] = mapped_column(String(300))
    address_key: Mapped[str] = mapped_column(String(300))
    head_name: Mapped[str] = mapped_column(String(200), default="")
    head_key: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    last_visit_at: Mapped[datetime | None]

    area: Mapped[Area] = relationship()


class Visit(Base):
    """One visit by a member to a household. Deleting sets `deleted_at`: reports skip it, the audit keeps it.

    `service_list` repeats the visit's service codes as ",cks,dvc,vneid," (sorted, comma on both sides), kept by
    database triggers on `visit_services` (migration visits_0002), never written by the app: a report counts
    services from the same index entries as everything else instead of joining a row per service.
    """

    __tablename__ = "visits"
    __table_args__ = (
        # Covers the reports of an area (every column they read), so they never visit the table's rows.
        Index(
            "ix_visits_area_report",
            "area_id",
            "created_at",
            "household_id",
            "outcome",
            "people_helped",
            "deleted_at",
            "service_list",
        ),
        Index("ix_visits_created", "created_at"),  # the days not yet rolled up, for every area at once
        Index("ix_visits_member_created", "member_id", "created_at"),
        Index("ix_visits_team_created", "team_id", "created_at"),
        Index("ix_visits_household_created", "household_id", "created_at", "id"),  # a household's latest visit
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    people_helped: Mapped[int] = mapped_column(default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    service_list: Mapped[str] = mapped_column(String(200), default="", server_default="")

    member: Mapped[User] = relationship()
    team: Mapped[Team | None] = relationship()
    area: Mapped[Area] = relationship()
    household: Mapped[Household] = relationship()
    services: Mapped[list[VisitService]] = relationship(
        cascade="all, delete-orphan", order_by="VisitService.service_code", lazy="selectin"
    )

    @property
    def service_codes(self) -> list[str]:
        return [item.service_code for item in self.services]


class VisitService(Base):
    """A service given during a visit (one row per kind, so reports count kinds with SQL)."""

    __tablename__ = "visit_services"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(16), primary_key=True)
