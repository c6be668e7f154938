"""Blank logs for staff (data/templates/) and docs/logs.md's field tables, both from the contract."""
from __future__ import annotations

import csv
import datetime
from pathlib import Path

from shop.contract import LOG_TYPES

TEMPLATES = Path(__file__).resolve().parents[1] / "data" / "templates"


def write_templates(folder: Path = TEMPLATES) -> list[Path]:
    """A blank CSV per log type and one workbook with a sheet per log type (header row only)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    wb = Workbook()
    wb.remove(wb.active)
    for lt in LOG_TYPES.values():
        p = folder / f"{lt.name}.csv"
        with open(p, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerow([f.name for f in lt.fields])
        out.append(p)
        ws = wb.create_sheet(lt.name)
        ws.append([f.name for f in lt.fields])
        for c in ws[1]:
            c.font = Font(bold=True, color="FFFFFF")
            c.fill = PatternFill("solid", fgColor="0072B2")
            ws.column_dimensions[c.column_letter].width = max(14, len(str(c.value)) + 4)
        ws.freeze_panes = "A2"
    p = folder / "shop_logs.xlsx"
    wb.properties.creator = "SHOP dashboard"
    wb.properties.created = wb.properties.modified = datetime.datetime(2025, 1, 1)
    wb.save(p)
    out.append(p)
    return out


def contract_markdown() -> str:
    """The field tables of every log type, for docs/logs.md."""
    lines = []
    for lt in LOG_TYPES.values():
        lines.append(f"**{lt.name}** ({lt.title}): {lt.grain}\n")
        lines.append("| field | type | values / rule | aliases |")
        lines.append("|---|---|---|---|")
        for f in lt.fields:
            vals = ", ".join(f.values) if f.values else ""
            rng = ""
            if f.lo is not None or f.hi is not None:
                rng = f"{'' if f.lo is None else f'{f.lo:g}'} to {'' if f.hi is None else f'{f.hi:g}'}".strip()
            rule = "; ".join(x for x in (vals, rng, f.rule) if x)
            lines.append(f"| {f.name}{'*' if f.required else ''} | {f.kind} | {rule} | {', '.join(f.aliases)} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    for p in write_templates():
        print(p)
