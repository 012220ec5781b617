"""Runs every benchmark, prints the table and writes bench/RESULTS.md.

    python -m bench                      # the documented run, under 15 minutes
    python -m bench --patients 50 --nudges 5000 --window 10   # a quick look

PostgreSQL comes from BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local
postgresql+asyncpg://postgres@127.0.0.1:5432/test (its schema is dropped first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import availability, conversation, nudge_day
from bench.harness import ROOT, bot_process, fresh_database, standin, until

RESULTS = ROOT / "bench" / "RESULTS.md"
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    name: str
    figure: str
    target: str
    met: bool | None  # None: no target

    def verdict(self) -> str:
        return {True: "met", False: "missed", None: ""}[self.met]


def _ms(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.0f}" for value in values) + " ms"


async def conversations(args: argparse.Namespace, work: Path, urls: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    steps = conversation.script()
    content = conversation.roomy_content(work)
    bot_env = {
        "TELEGRAM_MESSAGES_PER_SECOND": "0",  # the stand-in sets no limit here either
        "CLINIC_CONTENT_DIR": str(content),
        "BOOKING_CONFIRMATION": "instant",
    }
    plan: list[list[str]] | None = None
    ours: dict[str, conversation.Load] = {}
    for backend, url in urls.items():
        await fresh_database(url)
        async with standin() as server, bot_process(server, work, {**bot_env, "DATABASE_URL": url}):
            await until(lambda s=server: bool(s.commands), 60, "the bot to start")
            learnt = await conversation.learn_calls(server, steps)
            plan = plan or learnt
            print(
                f"[{backend}] closed loop: {args.patients} patients x {len(steps)} steps",
                flush=True,
            )
            ours[backend] = await conversation.closed_loop(
                server, conversation.act_on_bot, steps, learnt, args.patients, 1_000_000
            )
            print(
                f"[{backend}] open loop: {args.open_patients} patients every {args.every:g}s "
                f"for {args.duration:g}s",
                flush=True,
            )
            opened = await conversation.open_loop(
                server,
                conversation.act_on_bot,
                steps,
                learnt,
                args.open_patients,
                2_000_000,
                every=args.every,
                duration=args.duration,
            )
        ours[backend + " open"] = opened
    assert plan is not None
    print("[ceiling] closed loop", flush=True)
    import json

    async with (
        standin() as server,
        bot_process(server, work, {"CEILING_PLAN": json.dumps(plan)}, module="bench.ceiling"),
    ):
        await until(lambda s=server: s.call_counts["getUpdates"] > 0, 60, "the bare bot to start")
        ceiling = await conversation.closed_loop(
            server, conversation.act_on_ceiling, steps, plan, args.patients, 1_000_000
        )
    calls_per_update = sum(len(calls) for calls in plan) / len(plan)
    rows.append(
        Row(
            f"ceiling: bare python-telegram-bot, {args.patients} patients (closed loop)",
            f"{ceiling.rate:.0f} updates/s; p50/p95/p99 {_ms(ceiling.percentiles())}",
            "",
            None,
        )
    )
    for backend in urls:
        load = ours[backend]
        share = load.rate / ceiling.rate
        rows.append(
            Row(
                f"conversation, {backend}, {args.patients} patients (closed loop)",
                f"{load.rate:.0f} updates/s = {share:.0%} of the ceiling; "
                f"p50/p95/p99 {_ms(load.percentiles())}",
                "≥ 60% of the ceiling",
                share >= 0.6,
            )
        )
    for backend in urls:
        load = ours[backend + " open"]
        p99 = load.percentiles()[2]
        rows.append(
            Row(
                f"latency, {backend}, {args.open_patients} patients acting every {args.every:g} s",
                f"{load.rate:.0f} updates/s handled; p50/p95/p99 {_ms(load.percentiles())}; "
                f"{load.late} of {load.updates} actions waited for the previous reply",
                "p99 < 100 ms",
                p99 < 100,
            )
        )
    rows.append(
        Row("Bot API calls per update (ours = ceiling)", f"{calls_per_update:.2f}", "", None)
    )
    return rows


async def nudges(args: argparse.Namespace, work: Path, url: str) -> list[Row]:
    rows: list[Row] = []
    print(f"[nudge day] the opt-in path on {args.opt_in_sample} plans", flush=True)
    rate = await nudge_day.opt_in_rate(url, args.opt_in_sample)
    print(f"[nudge day] {args.nudges} plans", flush=True)
    seeded = await nudge_day.seed(url, args.nudges)
    rows.append(
        Row(
            f"nudge day: create {args.nudges:,} plans (bulk insert)",
            f"{seeded.seconds:.1f} s; one by one as an opt-in makes them: {rate:.0f} plans/s "
            f"(so {args.nudges / rate:.0f} s)",
            "",
            None,
        )
    )
    async with standin() as server:
        free = await nudge_day.dispatch(
            server, url, seeded, work, messages_per_second=0, window=args.window
        )
        server.messages_per_second = 30
        throttled = await nudge_day.dispatch(
            server, url, seeded, work, messages_per_second=30, window=args.window
        )
    for label, run, target, met in (
        ("no limit", free, "≥ 1,000 msg/s", free.rate >= 1000),
        (
            "stand-in enforcing 30 msg/s",
            throttled,
            "≥ 95% of 30/s",
            throttled.rate >= 0.95 * 30,
        ),
    ):
        whole = args.nudges / run.rate if run.rate else float("inf")
        rows.append(
            Row(
                f"nudge day, PostgreSQL, {label}",
                f"{run.delivered:,} sent in {run.seconds:.0f} s = {run.rate:.1f} msg/s"
                + (f" = {run.rate / 30:.0%} of 30/s" if label != "no limit" else "")
                + f"; all {args.nudges:,}: {whole / 60:.0f} min; "
                f"lost {run.lost}, doubled {run.doubled}; 429s {run.refused_429}",
                target,
                met and run.lost == 0 and run.doubled == 0,
            )
        )
    peak = max(free.peak_memory_mb, throttled.peak_memory_mb)
    rows.append(
        Row(
            f"nudge day: peak bot memory with {args.nudges:,} plans",
            f"{peak:.0f} MB",
            "< 250 MB",
            peak < 250,
        )
    )
    return rows


async def slots(urls: dict[str, str]) -> list[Row]:
    rows = []
    for backend, url in urls.items():
        print(f"[availability] {backend}", flush=True)
        median, p95, free = await availability.measure(url)
        rows.append(
            Row(
                f"availability, {backend}: a month of free times, 10,000 appointments",
                f"median {median:.1f} ms, p95 {p95:.1f} ms ({free} free times)",
                "< 20 ms",
                p95 < 20,
            )
        )
    return rows


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    postgres = subprocess.run(
        ["psql", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, {postgres or 'psql ?'}"
    )


def table(rows: list[Row]) -> str:
    lines = ["| measure | figure | target | |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.name} | {r.figure} | {r.target} | {r.verdict()} |" for r in rows]
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    # 300 at once take 9 minutes on SQLite on a 2-core machine: 100 keep the run short.
    parser.add_argument("--patients", type=int, default=100, help="closed loop: patients")
    parser.add_argument("--open-patients", type=int, default=300, help="open loop: patients")
    parser.add_argument(
        "--every",
        type=float,
        default=3.0,
        help="open loop: mean seconds between a patient's actions",
    )
    parser.add_argument("--duration", type=float, default=45.0, help="open loop: seconds")
    parser.add_argument("--nudges", type=int, default=100_000)
    parser.add_argument("--opt-in-sample", type=int, default=2_000)
    parser.add_argument(
        "--window",
        type=float,
        default=30.0,
        help="nudge day: seconds to measure each dispatch for; 0 sends the whole day",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    postgres = (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or POSTGRES
    )
    work = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
    urls = {"SQLite": f"sqlite+aiosqlite:///{work / 'clinic.db'}", "PostgreSQL": postgres}
    started = time.monotonic()
    rows = await conversations(args, work, urls)
    rows += await nudges(args, work, postgres)
    rows += await slots(urls)
    minutes = (time.monotonic() - started) / 60
    command = "python -m bench " + shlex.join(sys.argv[1:])
    report = "\n".join(
        [
            "# Benchmark results",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {machine()}",
            f"- command: `{command.strip()}` ({minutes:.1f} min)",
            "- bot: `python -m bot run` as its own process, polling the stand-in Bot API "
            "server (tests/botapi/server.py) that runs with the load generator in the "
            "benchmark's process; all three share the machine with PostgreSQL.",
            "",
            table(rows),
            "",
            "How each figure is measured, and why a target is missed: bench/README.md.",
            "",
        ]
    )
    args.output.write_text(report)
    print()
    print(table(rows))
    print(f"\nwritten to {args.output} in {minutes:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
