"""The `govkpi` command: demo, serve, and Django's own commands through `manage`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    import django

    django.setup()


def _analyze() -> None:
    """Refresh PostgreSQL's statistics after a command that wrote most of the figures: autovacuum may be off or
    late, and a table it still believes empty or small is planned with scans that grow with history."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def cmd_demo(args: argparse.Namespace) -> int:
    """Create or update the database, load the reference dataset and the demo accounts."""
    _setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django_otp import devices_for_user

    from govkpi.accounts.demo import DEMO_PASSWORD, ensure_demo_accounts
    from govkpi.accounts.enrolment import issue_enrolment_code
    from govkpi.accounts.security import requires_second_factor
    from govkpi.indicators.catalog import REFERENCE_CATALOG, apply_catalog, load_yaml
    from govkpi.tasks.reference import load_reference_tasks
    from govkpi.orgunits.reference import reference_hierarchy
    from govkpi.orgunits.sync import sync_reference_hierarchy

    if settings.PRODUCTION:
        print("govkpi demo: từ chối ở chế độ production. / refused in production mode.", file=sys.stderr)
        return 2
    call_command("migrate", interactive=False, verbosity=0)
    report = sync_reference_hierarchy(reference_hierarchy())
    print(
        f"Đơn vị / units: {report.created} mới/created, {report.updated} cập nhật/updated, "
        f"{report.unchanged} không đổi/unchanged; bí danh/aliases +{report.aliases_created} -{report.aliases_removed}"
    )
    catalog = apply_catalog(load_yaml(REFERENCE_CATALOG))
    if not catalog.ok:
        for problem in catalog.problems:
            print(f"  {problem.where}: {problem.message_vi} / {problem.message_en}", file=sys.stderr)
        return 1
    print(f"Danh mục chỉ tiêu / catalog: {catalog.summary()}")
    from govkpi.datavalues.rules import sync_derived_rules

    print(f"Quy tắc kiểm tra / validation rules: {sync_derived_rules()}")
    created, problems = load_reference_tasks()
    print(f"Nhiệm vụ / tasks: {created} mới/created")
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    from govkpi.datavalues.synthetic import load_synthetic_values
    from govkpi.evaluation.engine import process_pending, recompute

    from govkpi.indicators.databases import load_databases

    print("Cơ sở dữ liệu theo dõi / tracked databases: {} mới/created, {} cập nhật/updated".format(*load_databases()))
    synthetic = load_synthetic_values()
    if synthetic:
        print(f"Số liệu minh họa (tự sinh, không phải số thật) / synthetic demo values (not real): {synthetic}")
    run = recompute() if synthetic else process_pending()  # a second `demo` finds nothing new to evaluate
    _analyze()
    print(f"Kết quả đánh giá / results: {run.cells} ô/cells, {run.changed} thay đổi/changed; "
          f"điểm/scores: {run.scores_changed} thay đổi/changed")
    accounts = ensure_demo_accounts()
    print(f"\nTài khoản demo / demo accounts (mật khẩu / password: {DEMO_PASSWORD}):")
    enrolment: list[tuple[str, str]] = []
    for account, created in accounts:
        mark = "mới/new" if created else "có sẵn/existing"
        print(f"  {account.username:<18} {account.role:<16} {account.unit_code:<6} {account.full_name} [{mark}]")
        user = get_user_model().objects.get(username=account.username)
        if requires_second_factor(user) and not any(devices_for_user(user, confirmed=True)):
            # A first second factor needs a one-time code (never the password alone): the server's shell issues
            # one for an account made now, as `govkpi account enrolment-code USER` would, so that a newcomer
            # signs in at once; a second `govkpi demo` changes nothing and names the command instead.
            enrolment.append((account.username, issue_enrolment_code(user) if created else "—"))
    if enrolment:
        print(f"\nMã đăng ký xác thực hai lớp (dùng một lần, hết hạn sau {settings.ENROLMENT_CODE_MINUTES} phút; "
              f"mã mới: govkpi account enrolment-code USER) / enrolment codes for the second factor (single use, "
              f"expire in {settings.ENROLMENT_CODE_MINUTES} min; a new one: govkpi account enrolment-code USER):")
        for username, code in enrolment:
            print(f"  {username:<18} {code}")
    return 0


def cmd_catalog(args: argparse.Namespace) -> int:
    """Import or export the whole KPI catalog as YAML or XLSX."""
    _setup_django()
    from pathlib import Path

    from govkpi.indicators.catalog import apply_catalog
    from govkpi.indicators.catalog_files import read_catalog_file, write_catalog_file

    path = Path(args.file)
    if args.action == "export":
        write_catalog_file(path)
        print(f"Đã xuất danh mục / catalog written: {path}")
        return 0
    from govkpi.core.tabular import TabularError

    try:
        document = read_catalog_file(path)
    except TabularError as error:  # a workbook over the upload limits (or no workbook): nothing is written
        print(f"{path.name}: {error.message_vi} / {error.message_en}", file=sys.stderr)
        return 1
    report = apply_catalog(document, dry_run=args.dry_run)
    for problem in report.problems:
        print(f"{problem.where}: [{problem.code}] {problem.message_vi} / {problem.message_en}", file=sys.stderr)
    if not report.ok:
        print(f"Từ chối, không ghi gì / refused, nothing written: {len(report.problems)} lỗi/problems", file=sys.stderr)
        return 1
    verb = "Kiểm tra (không ghi) / dry run" if args.dry_run else "Đã nhập / imported"
    if not args.dry_run:
        from govkpi.datavalues.rules import sync_derived_rules

        sync_derived_rules()
    print(f"{verb}: {report.summary()}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """anchor: print the head's SEQ:DIGEST to keep elsewhere. verify: check the hash chain (and, with --expect,
    that the trail still reaches the anchor kept): exit 1 and list every row changed, removed or inserted."""
    _setup_django()
    from govkpi.audit.trail import head_anchor, verify_trail

    if args.action == "anchor":
        anchor = head_anchor()
        if anchor is None:
            print("Nhật ký trống: chưa có mốc / the audit trail is empty: no anchor yet", file=sys.stderr)
            return 1
        print(anchor)
        return 0
    report = verify_trail(expect=args.expect)
    for problem in report.problems:
        print(problem)
    if report.clean:
        print(f"Nhật ký toàn vẹn / audit trail intact: {report.checked} bản ghi/rows")
        return 0
    print(f"Nhật ký bị can thiệp / audit trail tampered: {len(report.problems)} vấn đề/problems "
          f"in {report.checked} rows", file=sys.stderr)
    return 1


def _anchor_argument(text: str) -> object:
    from govkpi.audit.anchor import Anchor

    try:
        return Anchor.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def cmd_opendata(args: argparse.Namespace) -> int:
    """Write every open-data file of what is published now that is missing (again while it changes)."""
    _setup_django()
    from govkpi.portal import opendata_files

    written = opendata_files.build_until_current()
    if written is None:
        if not args.quiet:
            print("Đã có một tiến trình khác đang chờ tạo tệp / another builder is already waiting")
        return 0
    if not args.quiet:
        for path in written:
            print(f"{path.name}: {path.stat().st_size:,} B")
        print(f"Dữ liệu mở / open data: {len(written)} tệp mới/files written, "
              f"phiên bản/version {opendata_files.current_version()}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Create, list or revoke API tokens; `create` prints the token once, on its last line."""
    _setup_django()
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from govkpi.accounts.models import ApiToken
    from govkpi.accounts.tokens import create_token, revoke_token
    from govkpi.orgunits.models import OrgUnit

    if args.action == "revoke":
        token = ApiToken.objects.filter(prefix=args.target).first()
        if token is None:
            print(f"Không có mã / no token with prefix {args.target}", file=sys.stderr)
            return 1
        revoke_token(token)
        print(f"Đã thu hồi / revoked: {token.prefix}")
        return 0
    user = get_user_model().objects.filter(username=args.target).first()
    if user is None:
        print(f"Không có người dùng / no user {args.target}", file=sys.stderr)
        return 1
    if args.action == "list":
        for token in ApiToken.objects.filter(user=user).prefetch_related("units").order_by("created_at"):
            state = "revoked" if token.revoked_at else "active"
            units = ",".join(u.code for u in token.units.all()) or "*"
            print(f"{token.prefix}  {state:<8} units={units} actions={','.join(token.actions) or '*'} "
                  f"expires={token.expires_at or '-'} last_used={token.last_used_at or '-'}  {token.name}")
        return 0
    codes = [c.strip() for c in (args.units or "").split(",") if c.strip()]
    units = list(OrgUnit.objects.filter(code__in=codes))
    missing = set(codes) - {u.code for u in units}
    if missing:
        print(f"Không có đơn vị / unknown units: {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    expires = None
    if args.expires:
        expires = datetime.datetime.combine(datetime.date.fromisoformat(args.expires), datetime.time.max,
                                            tzinfo=timezone.get_current_timezone())
    actions = [a.strip() for a in (args.permissions or "").split(",") if a.strip()]
    try:
        token, text = create_token(user, name=args.name or "", units=units, actions=actions, expires_at=expires)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"Mã truy cập cho / token for {user.username} (prefix {token.prefix}); chỉ hiện một lần / shown once:")
    print(text)
    return 0


def cmd_account(args: argparse.Namespace) -> int:
    """Accounts: issue a one-time enrolment code for a user's first second factor (printed on its last line)."""
    _setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from govkpi.accounts.enrolment import issue_enrolment_code

    user = get_user_model().objects.filter(username=args.username, is_active=True).first()
    if user is None:
        print(f"Không có người dùng / no user {args.username}", file=sys.stderr)
        return 1
    code = issue_enrolment_code(user)  # the server's shell vouches: it already holds the database
    print(f"Mã đăng ký xác thực hai lớp cho / enrolment code for {user.username}; dùng một lần, "
          f"hết hạn sau / single use, expires in {settings.ENROLMENT_CODE_MINUTES} phút/min:")
    print(code)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import a data file (the Excel template, CSV, DHIS2 CSV or dataValueSet JSON) through the one writer."""
    _setup_django()
    from pathlib import Path

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from govkpi.core.tabular import TabularError
    from govkpi.datavalues.dhis2 import PayloadError
    from govkpi.datavalues.files import import_file
    from govkpi.datavalues.writer import Strategy

    actor = None  # the shell user already holds the database: no account narrows the import
    if args.as_user:
        actor = get_user_model().objects.filter(username=args.as_user, is_active=True).first()
        if actor is None:
            print(f"Không có người dùng / no user {args.as_user}", file=sys.stderr)
            return 2
    path = Path(args.file)
    try:
        result, notes = import_file(path.read_bytes(), path.name, actor=actor, channel="csv" if path.suffix.lower()
                                    in (".csv", ".txt") else "excel", max_bytes=settings.DATA_FILE_MAX_BYTES,
                                    strategy=Strategy(args.strategy), atomic=not args.per_value,
                                    dry_run=args.dry_run)
    except (TabularError, PayloadError) as error:
        print(f"{path.name}: {error.message_vi} / {error.message_en}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return 1
    for vi, en in notes:
        print(f"  ({vi} / {en})")
    for conflict in result.conflicts:
        where = f"dòng/row {conflict.row}" if conflict.row is not None else f"#{conflict.index}"
        print(f"{where} [{conflict.field}] {conflict.message_vi} / {conflict.message_en}", file=sys.stderr)
    for warning in result.warnings:
        where = f"dòng/row {warning.row}" if warning.row is not None else f"#{warning.index}"
        print(f"{where} [{warning.field}] (cảnh báo/warning) {warning.message_vi} / {warning.message_en}")
    print(result.summary())
    return 1 if result.status == "ERROR" else 0


def cmd_connector(args: argparse.Namespace) -> int:
    """Pull connectors: add, list, run (one, --due or --all; --follow keeps on), runs (a connector's pulls),
    remove."""
    _setup_django()
    import getpass
    import time

    from govkpi.connectors.models import Connector
    from govkpi.connectors.pull import ConnectorError, due, pull
    from govkpi.connectors.registry import add_connector, remove_connector

    def split(values: list[str] | None) -> list[str]:
        return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]

    def show(run) -> None:  # noqa: ANN001 - a ConnectorRun
        counts = " ".join(f"{name}={figure}" for name, figure in run.counts.items())
        print(f"{run.connector.name}: {run.state} batches={run.batches} {counts}", flush=True)

    try:
        if args.action == "add":
            if not args.name or not args.url:
                raise ConnectorError("bad_arguments", "Cần TÊN và --url.", "NAME and --url are needed.")
            connector = add_connector(args.name, args.url, run_as=args.as_user or "", org_units=split(args.org_unit),
                                      data_sets=split(args.data_set), data_elements=split(args.data_element),
                                      token_env=args.token_env or "", token_file=args.token_file or "",
                                      unit_map=args.map_unit or [], element_map=args.map_element or [],
                                      every_minutes=args.every, overlap_seconds=args.overlap,
                                      added_by=getpass.getuser())
            print(f"Đã thêm / added: {connector.name} <- {connector.url}")
            return 0
        if args.action == "remove":
            remove_connector(args.name or "", removed_by=getpass.getuser())
            print(f"Đã xóa / removed: {args.name}")
            return 0
        if args.action == "list":
            for connector in Connector.objects.select_related("run_as"):
                last = connector.runs.first()
                state = f"{last.state} {last.started_at:%Y-%m-%d %H:%M}" if last else "never run"
                print(f"{connector.name}  {connector.url}  as={connector.run_as.username} "
                      f"units={','.join(connector.org_units)} every={connector.every_minutes}min "
                      f"watermark={connector.watermark or '-'}  last: {state}"
                      f"{'' if connector.enabled else '  (disabled)'}")
            return 0
        if args.action == "runs":
            connector = Connector.objects.filter(name=args.name or "").first()
            if connector is None:
                raise ConnectorError("no_such_connector", f"Không có kết nối «{args.name}».",
                                     f"No connector «{args.name}».")
            for run in connector.runs.all()[:20]:
                counts = " ".join(f"{name}={figure}" for name, figure in run.counts.items())
                print(f"{run.started_at:%Y-%m-%d %H:%M:%S} {run.state:<11} {counts} {run.error}")
            return 0
        # run
        while True:
            if args.name:
                chosen = list(Connector.objects.filter(name=args.name).select_related("run_as"))
                if not chosen:
                    raise ConnectorError("no_such_connector", f"Không có kết nối «{args.name}».",
                                         f"No connector «{args.name}».")
            elif args.all:
                chosen = list(Connector.objects.filter(enabled=True).select_related("run_as"))
            else:
                chosen = due()
            failed = False
            for connector in chosen:
                run = pull(connector, batch_size=args.batch_size, full=args.full,
                           progress=show if args.verbose else None)
                show(run)
                for refusal in run.refused[:args.show_refused]:
                    where = f"dòng/row {refusal['row']}" if refusal.get("row") else f"#{refusal.get('index')}"
                    print(f"  {where} [{refusal.get('field')}] {refusal.get('message')} / "
                          f"{refusal.get('message_en')}", file=sys.stderr)
                if run.error:
                    print(f"  {run.error}", file=sys.stderr)
                failed = failed or run.state != "done"
            if not args.follow:
                return 1 if failed else 0
            time.sleep(60)
    except ConnectorError as error:
        print(f"{error.message_vi} / {error.message_en}", file=sys.stderr)
        return 2


def cmd_tasks(args: argparse.Namespace) -> int:
    """Tasks: roll recurring tasks; import or export a directive's appendix table (Excel)."""
    _setup_django()
    from pathlib import Path

    from govkpi.tasks.actions import roll_recurring_tasks

    if args.action == "roll":
        created = roll_recurring_tasks()
        print(f"Nhiệm vụ định kỳ / recurring tasks: {created} kỳ mới / new occurrences")
        return 0
    from django.contrib.auth import get_user_model

    from govkpi.tasks.appendix import AppendixError, export_appendix, import_appendix
    from govkpi.tasks.models import Directive, Task

    directive = Directive.objects.filter(code=args.directive or "").first()
    if directive is None or not args.file:
        print("Cần --directive MÃ và tệp / --directive CODE and a file are required "
              f"(văn bản / directives: {', '.join(Directive.objects.values_list('code', flat=True))})", file=sys.stderr)
        return 2
    path = Path(args.file)
    if args.action == "export-appendix":
        path.write_bytes(export_appendix(Task.objects.filter(directive=directive, parent__isnull=True)))
        print(f"Đã xuất phụ lục / appendix written: {path}")
        return 0
    actor = None
    if args.as_user:
        actor = get_user_model().objects.filter(username=args.as_user, is_active=True).first()
        if actor is None:
            print(f"Không có người dùng / no user {args.as_user}", file=sys.stderr)
            return 2
    try:
        report = import_appendix(path.read_bytes(), path.name, directive=directive, actor=actor,
                                 atomic=not args.partial, dry_run=args.dry_run)
    except AppendixError as error:
        print(f"{path.name}: {error.message_vi} / {error.message_en}", file=sys.stderr)
        return 1
    for error in report.errors:
        print(str(error), file=sys.stderr)
    for notice in report.notices:
        print(f"  ({notice})")
    print(report.summary())
    return 0 if report.ok or (args.partial and report.created) else 1


def cmd_recompute(args: argparse.Namespace) -> int:
    """Recompute every result from the data; with --verify, compare instead and exit 1 on any difference."""
    _setup_django()
    from govkpi.evaluation.engine import recompute, verify

    if args.verify:
        problems = verify()
        for problem in problems:
            print(problem)
        if problems:
            print(f"Khác với tính lại / differs from a recomputation: {len(problems)}", file=sys.stderr)
            return 1
        print("Kết quả khớp với tính lại từ đầu, số liệu đúng mọi quy tắc kiểm tra / results match a recomputation "
              "from scratch, and the data keeps every validation rule")
        return 0
    run = recompute()
    _analyze()
    print(f"Đã tính lại / recomputed: {run.cells} ô/cells, {run.changed} thay đổi/changed")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Apply the pending change events once, or keep following them (--follow)."""
    _setup_django()
    from govkpi.evaluation.engine import process_pending
    from govkpi.evaluation.runner import follow

    if args.follow:
        import logging
        import signal
        import threading

        from govkpi.events.wakeup import BELL

        # Says when this engine leads or waits for another (operators, and the tests of the leader lock).
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        stop = threading.Event()

        def _end(_signum: int, _frame: object) -> None:  # SIGTERM: finish the pass, give the lock back
            stop.set()
            BELL.ring()

        signal.signal(signal.SIGTERM, _end)
        follow(stop)
        return 0
    run = process_pending(limit=100_000)
    print(f"Sự kiện / events: {run.events}, ô / cells: {run.cells}, thay đổi / changed: {run.changed}")
    return 0


def cmd_methodology(args: argparse.Namespace) -> int:
    """List the composite index's versions, or publish a new one from a JSON file (never edits an old one)."""
    _setup_django()
    import datetime
    import json

    from govkpi.core.strict_json import read_json
    from govkpi.evaluation.models import Methodology
    from govkpi.evaluation.scores import ensure_methodology, publish_methodology

    if args.action == "list":
        ensure_methodology()
        for version in Methodology.objects.order_by("version"):
            print(f"v{version.version}  từ/from {version.in_force_from}  "
                  f"{json.dumps(version.definition['components'])}  {version.notes}")
        return 0
    if not args.file or not args.from_date:
        print("govkpi methodology publish FILE.json --from YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        definition = read_json(Path(args.file).read_bytes())  # a repeated key is refused, not dropped
        version = publish_methodology(definition, datetime.date.fromisoformat(args.from_date), notes=args.notes,
                                      by=args.by)
    except (OSError, ValueError) as error:  # a bad file or definition: nothing is written
        print(f"Không công bố được / not published: {error}", file=sys.stderr)
        return 1
    print(f"Đã công bố / published v{version.version}, hiệu lực từ / in force from {version.in_force_from}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the meeting brief of a scope and period to a file (as a user's view with --as, else a national reader's)."""
    _setup_django()
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from govkpi.brief.assemble import BriefRefused
    from govkpi.brief.produce import build

    user = None
    if args.as_user:
        user = get_user_model().objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            print(f"Không có tài khoản «{args.as_user}» / no such account", file=sys.stderr)
            return 2
    try:
        as_of = datetime.datetime.fromisoformat(args.as_of) if args.as_of else timezone.now().replace(microsecond=0)
    except ValueError:
        print(f"--as-of «{args.as_of}»: YYYY-MM-DDTHH:MM[:SS][+07:00]", file=sys.stderr)
        return 2
    if timezone.is_naive(as_of):
        as_of = timezone.make_aware(as_of)  # a moment without a zone is Viet Nam's time
    try:
        brief, content = build(args.scope, args.period, args.format, args.lang, as_of, user)
    except BriefRefused as refused:
        print(f"{refused.message_vi} / {refused.message_en}", file=sys.stderr)
        return 2
    Path(args.output).write_bytes(content)
    print(f"{args.output}: {len(content):,} B · {brief.period} · as of {as_of.isoformat()}"
          f"{' · có số liệu minh họa / demo figures' if brief.demo else ''}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Write the database, the uploaded files and a manifest to one new file (govkpi.backup)."""
    _setup_django()
    from govkpi.backup.archive import BackupRefused
    from govkpi.backup.operations import create_backup
    from govkpi.backup.report import backup_lines

    try:
        manifest = create_backup(Path(args.file))
    except BackupRefused as error:
        print(f"{error.message_vi} / {error.message_en}", file=sys.stderr)
        return 1
    print("\n".join(backup_lines(Path(args.file), manifest)))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into an empty database, then evaluate, recompute --verify and audit verify: exit 1 when
    refused (nothing changed), 3 when restored but a check failed."""
    _setup_django()
    from govkpi.backup.archive import BackupRefused
    from govkpi.backup.operations import restore_backup, verify_restored
    from govkpi.backup.report import restore_lines, verdict_lines

    try:
        restored = restore_backup(Path(args.file))
    except BackupRefused as error:
        print(f"Từ chối / refused: {error.message_vi} / {error.message_en}", file=sys.stderr)
        return 1
    print("\n".join(restore_lines(Path(args.file), restored)), flush=True)
    verdicts = verify_restored(restored.manifest)
    print("\n".join(verdict_lines(verdicts)))
    return 0 if all(verdict.ok for verdict in verdicts) else 3


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the background jobs (reminders, deliveries, digests, scheduled briefs, recurring tasks) until stopped;
    --once: queue what is due, run the queue empty and exit (for cron, or a look at what a tick does)."""
    if args.tick is not None:
        os.environ["GOVKPI_WORKER_TICK"] = str(args.tick)
    _setup_django()
    import logging

    from govkpi.jobs.worker import run

    # Its start, stalled jobs given back and failures; not every job's start and end (several a tick).
    logging.getLogger("govkpi.jobs").setLevel(logging.INFO)
    logging.getLogger("django_tasks").setLevel(logging.WARNING)
    logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
    run(once=args.once)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the application with uvicorn; the evaluation engine runs once beside the workers (govkpi.server)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    from govkpi.server import serve

    serve(args.host, args.port, args.workers, evaluation=not args.no_evaluation)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    """Run one of Django's management commands."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["govkpi manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govkpi", description="govkpi: KPI của bộ, ngành, địa phương")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="migrate, load the reference dataset and demo accounts (idempotent)")
    demo.set_defaults(func=cmd_demo)

    catalog = sub.add_parser("catalog", help="import or export the KPI catalog (YAML or XLSX)")
    catalog.add_argument("action", choices=["import", "export"])
    catalog.add_argument("file")
    catalog.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    catalog.set_defaults(func=cmd_catalog)

    token = sub.add_parser("token", help="API tokens: create USERNAME, list USERNAME, revoke PREFIX")
    token.add_argument("action", choices=["create", "list", "revoke"])
    token.add_argument("target", help="USERNAME (create, list) or token PREFIX (revoke)")
    token.add_argument("--units", help="comma-separated unit codes the token is limited to")
    token.add_argument("--permissions", help="comma-separated actions (read,enter,approve,…)")
    token.add_argument("--expires", help="last valid day, YYYY-MM-DD")
    token.add_argument("--name", help="what the token is for")
    token.set_defaults(func=cmd_token)

    account = sub.add_parser("account", help="accounts: enrolment-code USERNAME (one-time code for a first "
                                             "second factor)")
    account.add_argument("action", choices=["enrolment-code"])
    account.add_argument("username")
    account.set_defaults(func=cmd_account)

    audit = sub.add_parser("audit", help="the audit trail: anchor (print the head's SEQ:DIGEST to keep elsewhere), "
                                         "verify [--expect SEQ:DIGEST] (check the chain, and that it reaches the anchor)")
    audit.add_argument("action", choices=["anchor", "verify"])
    audit.add_argument("--expect", type=_anchor_argument, metavar="SEQ:DIGEST",
                       help="an anchor printed before: fails when the trail was truncated below it or rewritten")
    audit.set_defaults(func=cmd_audit)

    opendata = sub.add_parser("opendata", help="open data: build (write every file of what is published now "
                                               "that is missing)")
    opendata.add_argument("action", choices=["build"])
    opendata.add_argument("--quiet", action="store_true", help="print nothing (run by the engine)")
    opendata.set_defaults(func=cmd_opendata)

    data = sub.add_parser("import", help="import a data file: Excel template, CSV, DHIS2 CSV or JSON")
    data.add_argument("file")
    data.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    data.add_argument("--as", dest="as_user", metavar="USERNAME", help="import as this user (scope checked)")
    data.add_argument("--strategy", default="CREATE_AND_UPDATE", choices=["CREATE_AND_UPDATE", "CREATE", "UPDATE",
                                                                          "DELETE"])
    data.add_argument("--per-value", action="store_true",
                      help="keep the good rows and report the bad ones (default: all or nothing)")
    data.set_defaults(func=cmd_import)

    connector = sub.add_parser("connector", help="pull connectors: add NAME, list, run [NAME|--due|--all], "
                               "runs NAME, remove NAME (incremental pulls of dataValueSets from a DHIS2 or a govkpi)")
    connector.add_argument("action", choices=["add", "list", "run", "runs", "remove"])
    connector.add_argument("name", nargs="?", help="the connector's name")
    connector.add_argument("--url", help="add: the source's base address, e.g. https://hanoi.example.vn")
    connector.add_argument("--token-env", help="add: the environment variable holding the source's token")
    connector.add_argument("--token-file", help="add: the file holding the source's token")
    connector.add_argument("--as", dest="as_user", metavar="USERNAME",
                           help="add: the local account the values are written as (its roles bound the units)")
    connector.add_argument("--org-unit", action="append", help="add: source unit codes (subtrees), comma-separated")
    connector.add_argument("--data-set", action="append", help="add: source data set codes")
    connector.add_argument("--data-element", action="append", help="add: source data element codes")
    connector.add_argument("--map-unit", action="append", metavar="SOURCE=LOCAL", help="add: a unit code to map")
    connector.add_argument("--map-element", action="append", metavar="SOURCE=LOCAL",
                           help="add: a data element code to map")
    connector.add_argument("--every", type=int, default=60, help="add: minutes between scheduled pulls (60)")
    connector.add_argument("--overlap", type=int, default=300,
                           help="add: seconds pulled again before the watermark (300)")
    connector.add_argument("--due", action="store_true", help="run: the connectors whose time has come (default)")
    connector.add_argument("--all", action="store_true", help="run: every enabled connector")
    connector.add_argument("--full", action="store_true", help="run: everything, not only since the watermark")
    connector.add_argument("--follow", action="store_true", help="run: keep on, checking every minute")
    connector.add_argument("--batch-size", type=int, default=5000, help="run: values written per batch (5000)")
    connector.add_argument("--show-refused", type=int, default=20, help="run: refusals printed (20)")
    connector.add_argument("--verbose", action="store_true", help="run: print progress after each batch")
    connector.set_defaults(func=cmd_connector)

    tasks = sub.add_parser("tasks", help="tasks: roll (create due occurrences of recurring tasks), "
                                         "import-appendix FILE, export-appendix FILE (--directive CODE)")
    tasks.add_argument("action", choices=["roll", "import-appendix", "export-appendix"])
    tasks.add_argument("file", nargs="?")
    tasks.add_argument("--directive", help="code of the directive the appendix belongs to")
    tasks.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    tasks.add_argument("--partial", action="store_true", help="keep the good rows (default: all or nothing)")
    tasks.add_argument("--as", dest="as_user", metavar="USERNAME", help="import as this user (scope checked)")
    tasks.set_defaults(func=cmd_tasks)

    recompute = sub.add_parser("recompute", help="recompute every result from the data; --verify compares")
    recompute.add_argument("--verify", action="store_true",
                           help="compare with what is stored, and the stored values with every validation rule; "
                                "exit 1 on a difference or a broken rule")
    recompute.set_defaults(func=cmd_recompute)

    evaluate = sub.add_parser("evaluate", help="apply the pending change events to the results (--follow: keep on)")
    evaluate.add_argument("--follow", action="store_true")
    evaluate.set_defaults(func=cmd_evaluate)

    methodology = sub.add_parser("methodology", help="the composite index's versions: list, or publish a new one")
    methodology.add_argument("action", choices=["list", "publish"])
    methodology.add_argument("file", nargs="?", help="JSON: {\"components\": {\"indicators\": 0.5, …}, …}")
    methodology.add_argument("--from", dest="from_date", help="first day in force, YYYY-MM-DD")
    methodology.add_argument("--notes", default="")
    methodology.add_argument("--by", default="")
    methodology.set_defaults(func=cmd_methodology)

    report = sub.add_parser("report", help="the meeting brief of a scope and period: --scope national|UNIT_CODE "
                                           "--period 2026-10 --format xlsx|docx|pdf --output FILE")
    report.add_argument("--scope", default="national", help="national, or a ministry's or a province's code")
    report.add_argument("--period", required=True, help="a month (2026-10) or a quarter (2026-Q3)")
    report.add_argument("--format", required=True, choices=["xlsx", "docx", "pdf"])
    report.add_argument("--output", required=True, metavar="FILE")
    report.add_argument("--as-of", help="the moment of the data, YYYY-MM-DDTHH:MM:SS (Viet Nam time unless a zone "
                                        "is given; default now): the same moment gives the same brief")
    report.add_argument("--lang", default="vi", choices=["vi", "en"])
    report.add_argument("--as", dest="as_user", metavar="USERNAME",
                        help="as this user sees the data (default: a reader of the whole country)")
    report.set_defaults(func=cmd_report)

    backup = sub.add_parser("backup", help="write the database, uploaded files and a manifest to a new FILE")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="restore a backup FILE into an empty database, then check it")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)

    worker = sub.add_parser("worker", help="run the background jobs: reminders, notifications, scheduled briefs "
                            "(--once: what is due now, then exit)")
    worker.add_argument("--once", action="store_true", help="queue what is due, run the queue empty, exit")
    worker.add_argument("--tick", type=float, default=None, help="seconds between the clock's ticks "
                        "(default GOVKPI_WORKER_TICK, 60)")
    worker.set_defaults(func=cmd_worker)

    serve = sub.add_parser("serve", help="serve over HTTP (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="web worker processes; with more than one, the engine runs once as a child process")
    serve.add_argument("--no-evaluation", action="store_true",
                       help="do not follow the change events here (run `govkpi evaluate --follow` elsewhere)")
    serve.set_defaults(func=cmd_serve)

    manage = sub.add_parser("manage", help="Django's management commands", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
