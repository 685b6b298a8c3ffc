"""Briefs made and kept: on demand (`produce`) and on the clock (`produce_scheduled`, called by the worker)."""

from __future__ import annotations

import datetime
import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from govkpi.accounts.roles import Role
from govkpi.brief.assemble import NATIONAL, BriefRefused, EveryUnitReader, assemble, scope_unit
from govkpi.brief.document import Brief
from govkpi.brief.models import Format, Report, Schedule
from govkpi.brief.renderers import render
from govkpi.core.periods import PeriodType, parse_period, period_of
from govkpi.evaluation.engine import OFFICIAL_CURSOR, SCORES_OFFICIAL_CURSOR
from govkpi.evaluation.models import Cursor
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message, notify
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.reads.official import Calendar
from govkpi.reads.scope import scope_key
from govkpi.reads.visibility import Viewer

SCHEDULED_FORMATS = (Format.PDF, Format.DOCX, Format.XLSX)
# Who is sent the national briefs: the national level's leaders and administrators (read-only viewers and unit
# administrators at the Government's root), not every clerk with a membership there.
BRIEF_RECIPIENT_ROLES = (Role.VIEWER, Role.UNIT_ADMIN)
# The engine's cursors holding the day (ordinal) up to which it has judged periods as official: results, scores.
ENGINE_CURSORS = (OFFICIAL_CURSOR, SCORES_OFFICIAL_CURSOR)


def viewer_for(user: AbstractBaseUser | None) -> Viewer:
    """The viewer a brief is built for: the user's, or (no user: the scheduled briefs) a national reader."""
    return EveryUnitReader() if user is None else Viewer(user)


def build(scope: str, period: str, fmt: str, lang: str, as_of: datetime.datetime,
          user: AbstractBaseUser | None) -> tuple[Brief, bytes]:
    """The brief and its file, stored nowhere (the command line writes it where it is told)."""
    brief = assemble(scope, period, as_of, viewer_for(user))
    return brief, render(brief, fmt, lang)


def produce(scope: str, period: str, fmt: str, lang: str, as_of: datetime.datetime | None,
            user: AbstractBaseUser | None, schedule: str = "") -> Report:
    """Make the brief and keep it with its as-of moment (default: now, to the second)."""
    as_of = (as_of or timezone.now()).replace(microsecond=0)
    viewer = viewer_for(user)
    brief = assemble(scope, period, as_of, viewer)
    content = render(brief, fmt, lang)
    report = Report(scope=scope or NATIONAL, period=brief.period, format=fmt, language=lang, as_of=as_of,
                    produced_at=timezone.now(), produced_by=user if user is not None and user.pk else None,
                    readers=scope_key(viewer), schedule=schedule, size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(), demo=brief.demo)
    report.file.save(f"{report.filename}", ContentFile(content), save=False)
    report.save()
    return report


def may_download(user: AbstractBaseUser, report: Report, viewer: Viewer | None = None) -> bool:
    """A stored brief goes to a user who reads its scope with the same view of the data as its producer had (or
    reads the whole country): a brief holds provisional figures of the units its producer could read."""
    viewer = viewer or Viewer(user)
    try:
        unit = scope_unit(report.scope)
    except BriefRefused:
        return False
    if not viewer.may_read(unit):
        return False
    mine = scope_key(viewer)
    return mine == "all" or mine == report.readers


def visible_reports(user: AbstractBaseUser, limit: int = 200) -> list[Report]:
    """The stored briefs the user may download, newest first (of the latest `limit`)."""
    viewer = Viewer(user)
    return [r for r in Report.objects.select_related("produced_by")[:limit] if may_download(user, r, viewer)]


# -- on the clock ---------------------------------------------------------------------------------------------

def due_periods(now: datetime.datetime) -> list[tuple[str, str]]:
    """(schedule, period) of the national briefs due at `now`: the latest month official by the calendar, and the
    latest quarter whose last month is; each only once the engine has judged it as official (its cursors have
    passed the period's end), so a brief is never made of the figures of before the period turned official."""
    calendar = Calendar(today=timezone.localtime(now).date())
    month = parse_period(calendar.last_official_month())
    quarter = period_of(PeriodType.QUARTERLY, month.end)
    if quarter.end != month.end:
        quarter = quarter.previous()
    judged = min(Cursor.objects.filter(name__in=ENGINE_CURSORS).values_list("last_event_id", flat=True),
                 default=0) if Cursor.objects.filter(name__in=ENGINE_CURSORS).count() == len(ENGINE_CURSORS) else 0
    return [(schedule, period.id) for schedule, period in ((Schedule.MONTHLY, month), (Schedule.QUARTERLY, quarter))
            if period.end.toordinal() <= judged]


def recipients() -> list[AbstractBaseUser]:
    root = OrgUnit.objects.get(code=GOVERNMENT_CODE)
    return list(get_user_model().objects.filter(is_active=True, memberships__unit=root,
                                                memberships__role__in=BRIEF_RECIPIENT_ROLES).distinct().order_by("pk"))


def produce_scheduled(now: datetime.datetime) -> list[Report]:
    """Make the monthly and quarterly national briefs due at `now` that are not made yet (each schedule, period
    and format at most once, whoever runs this and however often), and tell the recipients once per brief."""
    made = []
    for schedule, period in due_periods(now):
        for fmt in SCHEDULED_FORMATS:
            if Report.objects.filter(schedule=schedule, scope=NATIONAL, period=period, format=fmt).exists():
                continue
            try:
                with transaction.atomic():
                    made.append(produce(NATIONAL, period, fmt, "vi", now, None, schedule=schedule))
            except IntegrityError:  # another worker made it meanwhile
                continue
        _announce(schedule, period)
    return made


def _announce(schedule: str, period: str) -> None:
    """One notification per scheduled brief (keyed by its PDF), sent again to nobody who had it."""
    report = Report.objects.filter(schedule=schedule, scope=NATIONAL, period=period, format=Format.PDF).first()
    if report is None:
        return
    parsed = parse_period(period)
    notify(Message(kind=Kind.BRIEF_READY, key=f"brief:{report.pk}",
                   title_vi=f"Báo cáo giao ban toàn quốc {parsed.label_vi} đã sẵn sàng",
                   title_en=f"The national meeting brief for {parsed.label_en} is ready",
                   body_vi="Tải về bản PDF, DOCX hoặc XLSX tại trang Báo cáo giao ban.",
                   body_en="Download it as PDF, DOCX or XLSX from the Meeting briefs page.",
                   link=f"/briefs/{report.pk}/", unit=OrgUnit.objects.get(code=GOVERNMENT_CODE),
                   data={"schedule": schedule, "period": period, "reports": list(
                       Report.objects.filter(schedule=schedule, scope=NATIONAL, period=period)
                       .order_by("format").values_list("pk", flat=True))}), recipients())
