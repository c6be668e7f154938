"""The command line, on top of the house: every `python -m etl` command, writes and reads alike.

It sits above both sides because it uses both: load, status, demo, backup, restore and migrate
call the load side (etl/); summary, review and export call the read side (metrics/). `python -m etl`
is the documented name (users have it in their notes and scripts), so etl/__main__.py only hands
over to `main` here. Errors are one line on stderr and an exit code.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

from shop import settings


def _db(args) -> Path:
    return Path(args.db) if args.db else settings.db_path()


def cmd_load(args) -> int:
    from etl.load import LoadError, load, report
    try:
        outcomes = load(args.paths, _db(args), args.type, args.date_order)
    except LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    code = report(outcomes)
    if any(o.status == "loaded" for o in outcomes):
        _prepare_external(_db(args))
    return code


def _prepare_external(db, asked: bool = False) -> bool:
    """After a load: the External view's tables of this fiscal year and the last, and of the years
    the monthly review compares, built now rather than by their first reader
    (metrics.release.prepare). The load stands whatever happens here. False when they could not be
    built. `asked`: `etl prepare`, whatever SHOP_PREPARE_EXTERNAL says."""
    import time
    if not asked and not settings.prepare_external():
        return True
    t = time.perf_counter()   # its imports (pandas, the engine) are its own time, not the load's
    from metrics import release
    from shop.store import close_shared
    try:
        from metrics import review
        built = release.prepare(db, also=tuple(review.compared_years(db)))  # and the monthly review's
    except Exception as exc:  # noqa: BLE001 - the data is loaded; the first External reader builds them instead
        print(f"note: the External view's tables were not prepared ({type(exc).__name__}); "
              "its first reader builds them", file=sys.stderr)
        return False
    finally:
        close_shared(Path(db))  # the file is free at once for whatever comes next
    if built:
        from shop import periods
        years = ", ".join(periods.fy_label(y) for y in built)
        print(f"External view prepared for {years} in {time.perf_counter() - t:.1f} s "
              "(nothing released until a reader opens it)")
    elif asked:
        print("External view already prepared (nothing to build)")
    return True


def cmd_prepare(args) -> int:
    """The External view's tables built now, as a load builds them: after an upgrade of the program
    (they are kept per version of the code that builds them, so the first External reader after an
    upgrade would otherwise wait for them) or a load with SHOP_PREPARE_EXTERNAL=0."""
    if not Path(_db(args)).exists():
        print(f"error: no database at {_db(args)}", file=sys.stderr)
        return 1
    return 0 if _prepare_external(_db(args), asked=True) else 1


def cmd_status(args) -> int:
    from etl.status import status
    return status(_db(args), args.json)


def cmd_demo(args) -> int:
    from etl.demo import build_demo
    codes = []
    code = _guarded(lambda: codes.append(build_demo(_db(args), seed=args.seed, years=args.years))) or max(codes, default=0)
    if code == 0:
        _prepare_external(_db(args))
    return code


def cmd_summary(args) -> int:
    from shop import ledger
    from metrics import indicators, release
    today = settings.today()
    try:
        period = _period(args, today, args.exact)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    db = _db(args)
    if not db.exists():
        print(f"error: no database at {db}: load files first (python -m etl load data/inbox)", file=sys.stderr)
        return 1
    try:
        result = release.summary(period, suppressed=not args.exact, path=db, today=today)
    except ledger.LedgerError as exc:
        print(f"error: {exc}; nothing released", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{period} ({result['from']} to {result['to']}), "
          + ("exact figures: CONFIDENTIAL, staff only" if args.exact else "suppressed"))
    for i, v in result["indicators"].items():
        ind = indicators.REGISTRY[i]
        print(f"  {i:<30} {indicators.fmt(ind, v):>12}  {ind.label}")
    if not args.exact:
        print(release.footnote())
    return 0


def cmd_review(args) -> int:
    from metrics import review
    db = _db(args)
    if not db.exists():
        print(f"error: no database at {db}: load files first (python -m etl load data/inbox)", file=sys.stderr)
        return 1
    v = review.view(review.build(db, settings.today()), suppressed=not args.exact)
    print(json.dumps(v, indent=2) if args.json else "\n".join(review.text_lines(v)))
    return 0  # whether or not a rule fired: the findings are the output, not an error


def _period(args, today, exact: bool = True):
    """The period of --fy or --from/--to; without --exact only a period the External audience
    may see (a ValueError otherwise, said in one line)."""
    from shop import periods
    from metrics import release
    if args.fy:
        period = periods.parse_fy(args.fy)
    elif args.date_from and args.date_to:
        period = periods.from_to(args.date_from, args.date_to, today)
    else:
        raise ValueError("give --fy FY2024-25, or both --from and --to")
    if not exact and release.external_span(period, today) is None:
        raise ValueError(f"{release.external_rule()}; use --exact (staff only) for other periods")
    return period


def cmd_export(args) -> int:
    from metrics import report
    from metrics.export import WRITERS
    today = settings.today()
    try:
        period = _period(args, today, args.exact)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    db = _db(args)
    from shop import ledger
    try:
        rep = report.build(period, suppressed=not args.exact, path=db, today=today)
    except ledger.LedgerError as exc:
        print(f"error: {exc}; nothing exported", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    import getpass
    from metrics import audit
    for fmt in args.format:
        written = WRITERS[fmt](rep, out)
        os.chmod(written, 0o600)  # exports hold the figures: owner-only, like the database
        try:  # fails closed: an export the audit log cannot record is not left behind
            audit.record(f"cli:{getpass.getuser()}", "staff" if args.exact else None, "export", "etl export",
                         f"{written.name}: {fmt}, {'exact' if args.exact else 'suppressed'}, "
                         f"{period.start} to {period.end}", database=db)
        except audit.AuditError as exc:
            written.unlink(missing_ok=True)
            print(f"error: {exc}; nothing exported", file=sys.stderr)
            return 1
        print(written)
    if args.freeze:
        from etl.load import LoadError, freeze
        try:
            rid = freeze(db, args.freeze, period.start, period.end, not args.exact, *report.frozen_payload(rep),
                         say=lambda *_: None)
        except LoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        sys.stdout.flush()
        print(f"frozen as report {rid}: {args.freeze}", file=sys.stderr)
    return 0


def _guarded(fn) -> int:
    """Run a write command; a LoadError is one line on stderr and exit 1."""
    from etl.load import LoadError
    try:
        fn()
    except LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_backup(args) -> int:
    from etl.backup import backup
    return _guarded(lambda: backup(_db(args), Path(args.to) if args.to else None, args.keep))


def cmd_restore(args) -> int:
    from etl.backup import restore
    return _guarded(lambda: restore(Path(args.file), _db(args)))


def cmd_migrate(args) -> int:
    from etl.load import migrate_only
    return _guarded(lambda: migrate_only(_db(args)))


def _carry_names() -> None:
    """Print file names whatever the locale: under LC_ALL=C Python would refuse an accented name.

    Names are bytes on disk; they are written back out as UTF-8 (the bytes they most likely
    were), and bytes that are not UTF-8 go out unchanged rather than stopping the command.
    """
    for stream in (sys.stdout, sys.stderr):
        enc = (getattr(stream, "encoding", "") or "").lower().replace("-", "")
        if enc != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="surrogateescape")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m etl", description="Load SHOP service logs and report on them.")
    sub = p.add_subparsers(dest="command", required=True)

    def period_flags(sp):
        sp.add_argument("--fy", help="a fiscal year such as FY2024-25")
        sp.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
        sp.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD")

    def db_flag(sp):
        sp.add_argument("--db", help="database file (default: $SHOP_DB, else data/shop.duckdb)")

    sp = sub.add_parser("load", help="load CSV/XLSX log files or folders")
    sp.add_argument("paths", nargs="+", help="files or folders to load")
    db_flag(sp)
    sp.add_argument("--type", help="the log type of every file, overriding file and sheet names")
    sp.add_argument("--date-order", choices=["dmy", "mdy"], help="how to read slashed dates like 03/04/2025")
    sp.set_defaults(func=cmd_load)

    sp = sub.add_parser("status", help="batches in force, rejects, and where the key lives")
    db_flag(sp)
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=cmd_status)

    sp = sub.add_parser("demo", help="write synthetic logs and load them into a demo database")
    db_flag(sp)
    sp.add_argument("--seed", type=int, default=2025, help="random seed (same seed, same data)")
    sp.add_argument("--years", type=int, default=3, help="fiscal years of data, up to today")
    sp.set_defaults(func=cmd_demo)

    sp = sub.add_parser("summary", help="every indicator for a period")
    db_flag(sp)
    period_flags(sp)
    sp.add_argument("--exact", action="store_true", help="exact figures for staff (no suppression)")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=cmd_summary)

    sp = sub.add_parser("review", help="the monthly review: what changed, what looks wrong, the pace to the targets")
    db_flag(sp)
    sp.add_argument("--exact", action="store_true", help="exact figures and flagged rows for staff (no suppression)")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=cmd_review)

    sp = sub.add_parser("export", help="write the grant workbook, the board deck or CSV for a period")
    db_flag(sp)
    period_flags(sp)
    sp.add_argument("--format", action="append", choices=["xlsx", "pptx", "csv", "pdf"], required=True,
                    help="xlsx (workbook), pptx (deck), csv (zip) or pdf (board pack); repeat for several")
    sp.add_argument("--out", default="exports", help="folder to write into (default: exports/)")
    sp.add_argument("--exact", action="store_true", help="exact figures, marked CONFIDENTIAL (staff only)")
    sp.add_argument("--freeze", metavar="LABEL", help="also record the figures as submitted under LABEL")
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("backup", help="write a consistent copy of the database (not the key)")
    db_flag(sp)
    sp.add_argument("--to", help="folder for backups (default: backups/ beside the database)")
    sp.add_argument("--keep", type=int, default=10, help="how many backups to keep in that folder")
    sp.set_defaults(func=cmd_backup)

    sp = sub.add_parser("restore", help="bring a backup back as the database, after checking it")
    sp.add_argument("file", help="the backup file")
    db_flag(sp)
    sp.set_defaults(func=cmd_restore)

    sp = sub.add_parser("migrate", help="upgrade an older database's schema (a backup is kept first)")
    db_flag(sp)
    sp.set_defaults(func=cmd_migrate)

    sp = sub.add_parser("prepare", help="build the External view's tables now (after an upgrade of the program)")
    db_flag(sp)
    sp.set_defaults(func=cmd_prepare)

    args = p.parse_args(argv)
    _carry_names()
    from shop.store import LoadError
    # A terminal closed (SIGHUP) or a service stopped (SIGTERM) mid-load ends it as Ctrl-C does:
    # the working copy and its temp folder (raw cells) are removed on the way out.
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread: left as it is
            previous[sig] = signal.signal(sig, _interrupt)
    try:
        return args.func(args)
    except LoadError as exc:  # a damaged, forbidden or full database, from any command: one line
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into head and the like
        return 0
    except Exception as exc:  # anything unforeseen: one line, no traceback, and a non-zero exit
        if _STOPPED:  # a signal stopped a query: DuckDB says so as its own error
            print("interrupted: nothing was changed by the unfinished step", file=sys.stderr)
            return 130
        from shop.store import unforeseen
        print(f"error: {unforeseen(exc)} (nothing was changed by the step that failed)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing was changed by the unfinished step", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_STOPPED: list = []


def _interrupt(signum, frame):
    _STOPPED.append(signum)
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
