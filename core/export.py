"""The one way the product writes CSV and XLSX exports (payout records, interception records, the workbench's
reports): every cell goes through `spreadsheet_safe`, so no export can carry a formula (issue 22 item 6)."""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe(value):
    """Text typed by people (a reason, a message) that starts like a formula is prefixed with ' so a
    spreadsheet shows it instead of running it (CSV/formula injection). Full-width forms (＝, ＋, －, ＠),
    which spreadsheets read as their ASCII twins, count too (SEC-05). A plain number written as text
    ("-12.50") is a number, not a formula, and passes unchanged, as do values that are not text."""
    if isinstance(value, str) and value and unicodedata.normalize("NFKC", value[0])[:1] in FORMULA_STARTS \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class Echo:
    """A file-like object whose write() returns its argument: csv.writer rows become strings to stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV lines to stream: a BOM (spreadsheet apps then read the Chinese as UTF-8), the header, the rows —
    every cell made spreadsheet-safe."""
    writer = csv.writer(Echo())
    yield "\ufeff"
    yield writer.writerow([spreadsheet_safe(str(h)) for h in header])
    for row in rows:
        yield writer.writerow([spreadsheet_safe(cell) for cell in row])


def xlsx_bytes(header: Iterable, rows: Iterable[Iterable], *, sheet: str) -> bytes:
    """An XLSX workbook of one sheet (write-only, so long exports stay small in memory), every text cell
    made spreadsheet-safe; numbers stay numbers."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(title=str(sheet)[:31])
    worksheet.append([spreadsheet_safe(str(h)) for h in header])
    for row in rows:
        worksheet.append([spreadsheet_safe(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
