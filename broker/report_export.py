"""A period report written for spreadsheets: CSV (Excel opens its Chinese) and XLSX (openpyxl).

CSV holds the figures table alone, one row per period and scope, in UTF-8 with a byte-order
mark (``utf-8-sig``): without it Excel reads Chinese headers as mojibake. XLSX holds every
table on its own sheet, with bilingual headers, frozen header rows and number formats
(minutes to one decimal, shares as percentages), readable by Excel and LibreOffice.
"""

from __future__ import annotations

import csv
import os
from typing import Any

from broker.report_figures import ReportError
from broker.report_tables import Column, Table

__all__ = ["write_period_csv", "write_xlsx"]

_NUMBER_FORMATS = {"min": "0.0", "share": "0.0%", "hour": "00\":00\""}


def _csv_value(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if column.kind == "share" else f"{value:.2f}"
    return str(value)


def write_period_csv(table: Table, path: str | os.PathLike[str]) -> None:
    """Write one table as CSV: a bilingual header row, then raw values (empty = no data).

    Raises:
        ReportError: the file cannot be written.
    """
    try:
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow([column.header for column in table.columns])
            for row in table.rows:
                writer.writerow([_csv_value(c, v) for c, v in zip(table.columns, row)])
    except OSError as err:
        raise ReportError(f"cannot write the CSV file {os.fspath(path)}: {err}; "
                          "check the folder exists and may be written") from err


def write_xlsx(tables: list[Table], path: str | os.PathLike[str], title: str) -> None:
    """Write every table to its own sheet of one workbook.

    Each sheet starts with the table's bilingual title, then the Chinese and the English
    header rows, then the rows; the headers stay in view while scrolling.

    Args:
        tables: from ``report_tables``.
        path: the .xlsx file to (over)write.
        title: the workbook's title (hall and range), also the first line of every sheet.

    Raises:
        ReportError: openpyxl is missing or the file cannot be written.
    """
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Font
    except ImportError as err:
        raise ReportError("XLSX needs openpyxl: pip install 'callnext[report]'") from err
    book = Workbook()
    book.remove(book.active)
    book.properties.title = title
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(f"{table.zh} {table.en}"[:31])
        sheet.append([f"{table.zh} {table.en} — {title}"])
        sheet.append([column.zh for column in table.columns])
        sheet.append([column.en for column in table.columns])
        for cell in (*sheet[1], *sheet[2], *sheet[3]):
            cell.font = bold
        for row in table.rows:
            sheet.append(row)
        for index, column in enumerate(table.columns, start=1):
            number_format = _NUMBER_FORMATS.get(column.kind)
            if number_format is not None:
                for (cell,) in sheet.iter_rows(min_row=4, min_col=index, max_col=index):
                    cell.number_format = number_format
        sheet.freeze_panes = "A4"
    try:
        book.save(path)
    except OSError as err:
        raise ReportError(f"cannot write the XLSX file {os.fspath(path)}: {err}; "
                          "check the folder exists and may be written") from err
