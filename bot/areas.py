"""Administrative areas: importing the tree from CSV, finding areas by code or name, and their sub-areas."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import CTE, Select, select
from sqlalchemy.orm import Session

from bot.errors import OperatorError
from bot.storage.models import Area, AreaLevel
from bot.vocabulary import level_label, parse_level

HEADER = ["code", "name", "level", "parent_code"]
POPULATION = ["households", "adults"]  # optional extra columns of `areas import`, the file of `areas population`
MAX_POPULATION = 100_000_000
_DEPTH = {AreaLevel.PROVINCE: 0, AreaLevel.COMMUNE: 1, AreaLevel.VILLAGE: 2}


class AreaImportError(Exception):
    """The file has problems; nothing was imported. `problems` lists them by line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class AreaRow:
    line: int
    code: str
    name: str
    level: AreaLevel
    parent_code: str
    households: int | None = None
    adults: int | None = None


def parse_areas_csv(text: str) -> list[AreaRow]:
    """Parse and validate a `code,name,level,parent_code[,households,adults]` file, collecting every problem."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header not in (HEADER, HEADER + POPULATION):
        wanted = f"{','.join(HEADER)} (có thể thêm {','.join(POPULATION)})"
        raise AreaImportError([f"dòng 1: tiêu đề phải là {wanted} (đang là {','.join(header)})"])
    rows, problems, seen = [], [], set()
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(f"dòng {line}: cần {len(header)} cột, có {len(cells)}")
            continue
        code, name, level_text, parent = (cell.strip() for cell in cells[:4])
        level = parse_level(level_text)
        figures = _population(line, cells[4:], problems)
        if not code or not name:
            problems.append(f"dòng {line}: thiếu mã hoặc tên")
        elif level is None:
            problems.append(
                f"dòng {line}: cấp '{level_text}' không hợp lệ (tỉnh, xã/phường, thôn/tổ dân phố; "
                "hoặc province, commune, village)"
            )
        elif code in seen:
            problems.append(f"dòng {line}: mã '{code}' bị lặp")
        else:
            seen.add(code)
            name = unicodedata.normalize("NFC", name)
            rows.append(AreaRow(line, code, name, level, parent, *figures))
    if problems:
        raise AreaImportError(problems)
    return rows


def _population(line: int, cells: list[str], problems: list[str]) -> tuple[int | None, int | None]:
    """(households, adults) from the optional columns; an empty cell means "not known"."""
    values: list[int | None] = []
    for name, cell in zip(POPULATION, cells, strict=False):
        text = cell.strip().replace(".", "").replace(" ", "")
        if not text:
            values.append(None)
        elif not text.isdigit() or int(text) > MAX_POPULATION:
            problems.append(f"dòng {line}: {name} phải là số nguyên không âm (đang là '{cell.strip()}')")
            values.append(None)
        else:
            values.append(int(text))
    values += [None] * (len(POPULATION) - len(values))
    return values[0], values[1]


def parse_population_csv(text: str) -> list[tuple[int, str, int | None, int | None]]:
    """Parse a `code,households,adults` file: (line, code, households, adults), every problem at once."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header != ["code", *POPULATION]:
        raise AreaImportError([f"dòng 1: tiêu đề phải là code,{','.join(POPULATION)} (đang là {','.join(header)})"])
    rows, problems = [], []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != 3 or not cells[0].strip():
            problems.append(f"dòng {line}: cần 3 cột code,households,adults và có mã khu vực")
            continue
        households, adults = _population(line, cells[1:], problems)
        rows.append((line, cells[0].strip(), households, adults))
    if problems:
        raise AreaImportError(problems)
    return rows


def set_population(session: Session, rows: list[tuple[int, str, int | None, int | None]]) -> int:
    """Store the figures (an empty cell keeps the figure already known); every code must exist. Returns count."""
    by_code = {area.code: area for area in session.scalars(select(Area).where(Area.code.in_([r[1] for r in rows])))}
    missing = [f"dòng {line}: không có khu vực mã '{code}'" for line, code, _, _ in rows if code not in by_code]
    if missing:
        raise AreaImportError(missing)
    for _line, code, households, adults in rows:
        area = by_code[code]
        area.households = households if households is not None else area.households
        area.adults = adults if adults is not None else area.adults
    session.flush()
    return len(rows)


def import_areas(session: Session, rows: Iterable[AreaRow]) -> tuple[int, int]:
    """Insert new areas and update existing ones (matched by code). Returns (created, updated)."""
    by_code = {area.code: area for area in session.scalars(select(Area))}
    created = updated = 0
    pending = list(rows)
    problems = [p for row in pending if (p := _parent_problem(row, by_code, pending))]
    if problems:
        raise AreaImportError(problems)
    for row in sorted(pending, key=lambda item: _DEPTH[item.level]):
        area = by_code.get(row.code)
        if area is None:
            area = Area(code=row.code, name=row.name, level=row.level)
            session.add(area)
            by_code[row.code] = area
            created += 1
        else:
            updated += 1
        area.name, area.level = row.name, row.level
        area.households = row.households if row.households is not None else area.households
        area.adults = row.adults if row.adults is not None else area.adults
        area.parent = by_code[row.parent_code] if row.parent_code else None
    session.flush()
    return created, updated


def _parent_problem(row: AreaRow, existing: dict[str, Area], rows: list[AreaRow]) -> str | None:
    if row.level is AreaLevel.PROVINCE:
        return f"dòng {row.line}: cấp tỉnh/thành phố không có cấp trên" if row.parent_code else None
    levels = {item.code: item.level for item in rows} | {
        code: area.level for code, area in existing.items() if code not in {r.code for r in rows}
    }
    parent_level = levels.get(row.parent_code)
    if parent_level is None:
        return f"dòng {row.line}: không tìm thấy khu vực cấp trên '{row.parent_code}'"
    if _DEPTH[parent_level] != _DEPTH[row.level] - 1:
        return f"dòng {row.line}: cấp trên của một {level_label(row.level)} phải ở cấp ngay trên nó"
    return None


def area_by_code(session: Session, code: str) -> Area | None:
    return session.scalar(select(Area).where(Area.code == code.strip()))


class UnknownArea(OperatorError):
    """A command was given an area code that names no area."""


def require_area(session: Session, code: str) -> Area:
    """The area a command was given by its code. An unknown code stops the command with the operator's
    message (bot.errors: exit code 2, like any argument it cannot use), so commands need no check of their own."""
    area = area_by_code(session, code)
    if area is None:
        raise UnknownArea(f"Không có khu vực mã {code}. Xem: troly areas list")
    return area


def subtree_ids(session: Session, root_id: int) -> list[int]:
    """The area and every area below it."""
    return list(session.scalars(subtree(root_id)))


def subtree(root_id: int) -> Select[tuple[int]]:
    """The ids of the area and every area below it, as a query to use inside another (`x.in_(subtree(id))`).

    A recursive CTE walking `areas.parent_id` (indexed): the database finds the 1,000 areas of a province in
    about a millisecond, on SQLite and PostgreSQL alike, and a report filters its rows by them in the same
    statement instead of loading the whole tree into Python and sending every id back as a parameter.
    """
    tree = select(Area.id).where(Area.id == root_id).cte(recursive=True)
    tree = tree.union_all(select(Area.id).join(tree, Area.parent_id == tree.c.id))
    return select(tree.c.id)


def subtree_tops(root_id: int) -> CTE:
    """Every area below `root_id` as (id, top): `top` is the direct child of the root it lies under (itself
    for a direct child). Grouping rows by `top` gives the breakdown by sub-area in one statement."""
    first = select(Area.id.label("id"), Area.id.label("top")).where(Area.parent_id == root_id)
    tree = first.cte(recursive=True)
    return tree.union_all(select(Area.id, tree.c.top).join(tree, Area.parent_id == tree.c.id))


def render_tree(areas: Iterable[Area]) -> str:
    """An indented outline of the areas, children under their parent, sorted by code."""
    items = sorted(areas, key=lambda area: area.code)
    children: dict[int | None, list[Area]] = {}
    for area in items:
        children.setdefault(area.parent_id, []).append(area)
    lines: list[str] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for area in children.get(parent_id, []):
            lines.append(f"{'  ' * depth}{area.code}  {area.name}  ({level_label(area.level)})")
            walk(area.id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)
