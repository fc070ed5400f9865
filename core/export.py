"""Helpers of the CSV/XLSX exports (payout records, interception records)."""

import unicodedata

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text typed by people (a reason, a message) that starts like a formula is prefixed with ' so a
    spreadsheet shows it instead of running it (CSV/formula injection). Full-width forms (＝, ＋, －, ＠),
    which spreadsheets read as their ASCII twins, count too (SEC-05). Other values pass unchanged."""
    if isinstance(value, str) and value and unicodedata.normalize("NFKC", value[0])[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class Echo:
    """A file-like object whose write() returns its argument: csv.writer rows become strings to stream."""

    def write(self, value: str) -> str:
        return value
