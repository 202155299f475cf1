"""Rich renderings: the status overview (the same document as the status page), and tables of
JSON rows."""

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

MAX_ROWS = 20


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items())
    return str(value)


def rows_table(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> Table:
    columns: list[str] = []
    for row in rows[:MAX_ROWS]:
        columns += [k for k in row if k not in columns]
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows[:MAX_ROWS]:
        table.add_row(*(cell(row.get(c)) for c in columns))
    if len(rows) > MAX_ROWS:
        table.caption = f"and {len(rows) - MAX_ROWS} more"
    return table


def show_problem(console: Console, problem: Mapping[str, Any]) -> None:
    colour = "red" if problem["severity"] == "critical" else "yellow"
    console.print(f"\n[{colour}]■[/] [bold]{problem['service']}[/]: {problem['title']}")
    if problem["rows"]:
        console.print(rows_table(problem["rows"]))


def show_status(console: Console, doc: Mapping[str, Any]) -> None:
    problems = doc["problems"]
    if doc["healthy"]:
        console.print("[bold green]shipbridge: healthy[/]")
    else:
        console.print(f"[bold red]shipbridge: {len(problems)} need attention[/]")
    for problem in problems:
        show_problem(console, problem)
    shops = [{"shop": shop, **line} for shop, line in doc["shops"].items()]
    if shops:
        console.print(rows_table(shops, title="\nShops"))
    services = doc.get("fulfillment_services") or []
    if services:
        console.print(rows_table(services, title="\nFulfillment services"))
    waiting = (doc.get("requests_waiting_for_wms") or {}).get("count")
    if waiting:
        console.print(f"{waiting} fulfillment requests waiting for the warehouse")
    lines = [{"service": name, **line} for name, line in doc["summary"].items()]
    console.print(rows_table(lines, title="\nServices"))
