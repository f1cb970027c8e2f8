"""Roll-ups of visits for the console's figures at province scale (see rollup.py for how they are kept).

Every roll-up row of an area counts its whole subtree (a visit in a village is added to the village, its
commune and its province), so a page reads one row per unit it shows instead of one per area below it.

Only closed days are rolled up: days before yesterday (local time), which members can no longer correct
(/sua and /xoa work for 24 hours). Later days are counted live from `visits`, a small window.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class RollupState(Base):
    """How far the roll-ups go: every local day before `closed_until` is in them."""

    __tablename__ = "visit_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    closed_until: Mapped[date] = mapped_column(Date)


class RollupDay(Base):
    """Visits (every outcome) and people helped (completed visits) per area and local day: the trend."""

    __tablename__ = "visit_rollup_days"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visits: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0)


class RollupMonth(Base):
    """Per area, service and local month: households reached for the first time with the service (completed
    visit), and people helped in completed visits giving it. Cumulative figures are sums over months."""

    __tablename__ = "visit_rollup_months"
    __table_args__ = (Index("ix_visit_rollup_months_month", "month", "area_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    households: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0)


class RollupTotal(Base):
    """Per area (subtree) and service, the sums of `RollupMonth` over every rolled-up month."""

    __tablename__ = "visit_rollup_totals"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    households: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0)


class Reached(Base):
    """The local day a household first had a completed visit giving a service (closed days only)."""

    __tablename__ = "visit_reached"
    __table_args__ = (Index("ix_visit_reached_service_day", "service_code", "first_day"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    first_day: Mapped[date] = mapped_column(Date)


class RollupTally(Base):
    """Per area (subtree), outcome and list of services: visits and people helped over every rolled-up day, as
    `troly report summary` counts them (every outcome). The summary of everything ever reads these few hundred
    rows of its area instead of its million visits; the rows' service lists give the counts per service."""

    __tablename__ = "visit_rollup_tallies"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    service_list: Mapped[str] = mapped_column(String(200), primary_key=True)
    visits: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0)
