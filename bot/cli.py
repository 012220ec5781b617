"""The `clinic-bot` command line: `run`, `migrate` and `playground`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.logs import configure_logging
from bot.settings import (
    SettingsError,
    load_database_settings,
    load_settings,
    load_webhook_settings,
)
from clinic.content import ContentError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinic-bot", description="Telegram assistant for a laser skin clinic."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on WEBHOOK_URL instead of polling (see .env.example)",
    )
    commands.add_parser("migrate", help="bring the database schema up to date")
    playground = commands.add_parser(
        "playground",
        help="try the bot in your browser: no token, no network (a local stand-in Telegram)",
    )
    playground.add_argument("--port", type=int, default=8080, help="default: 8080")
    playground.add_argument(
        "--host",
        default="127.0.0.1",
        help="default: 127.0.0.1 (this machine only; the page has no authentication)",
    )
    playground.add_argument(
        "--data",
        type=Path,
        default=Path("playground-data"),
        help="where its SQLite file and state are kept between runs (default: ./playground-data)",
    )
    playground.add_argument("--reset", action="store_true", help="start over with a fresh database")
    return parser


def _fail(message: str, exit_code: int) -> int:
    print(f"clinic-bot: {message}", file=sys.stderr)
    return exit_code


async def _migrate() -> str:
    from db.engine import Database
    from db.schema import schema_status, upgrade_to_head

    database = Database(load_database_settings().url)
    try:
        await upgrade_to_head(database.engine)
        status = await schema_status(database.engine)
    finally:
        await database.dispose()
    return f"database schema is up to date (revision {status.current})"


def _playground(arguments: argparse.Namespace) -> int:
    from bot.playground import prepare, run_playground

    configure_logging("WARNING")
    data_dir = arguments.data.resolve()
    try:
        prepare(data_dir, arguments.reset)
        asyncio.run(run_playground(arguments.host, arguments.port, data_dir))
    except OSError as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return _fail(
            f"playground: cannot listen on {arguments.host}:{arguments.port}: "
            f"{first_line} (try --port)",
            1,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    # Imported late so that `--help` and setting errors answer fast.
    from sqlalchemy.exc import SQLAlchemyError

    from bot.runner import StartupError, serve

    try:
        if arguments.command == "migrate":
            configure_logging("WARNING")
            print(asyncio.run(_migrate()))
            return 0
        if arguments.command == "playground":
            return _playground(arguments)
        settings = load_settings()
        webhook = load_webhook_settings() if arguments.webhook else None
        configure_logging(settings.clinic.log_level)
        asyncio.run(serve(settings, webhook))
        return 0
    except SettingsError as exc:
        return _fail(str(exc), 2)
    except ContentError as exc:
        return _fail(f"clinic content: {exc}", 2)
    except StartupError as exc:
        return _fail(str(exc), exc.exit_code)
    except (OSError, SQLAlchemyError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return _fail(f"DATABASE_URL: cannot open the database: {first_line}", 1)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
