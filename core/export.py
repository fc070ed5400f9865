"""Helpers of the CSV/XLSX exports (payout records, interception records)."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text typed by people (a reason, a message) that starts like a formula is prefixed with ' so a
    spreadsheet shows it instead of running it (CSV/formula injection). Other values pass unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class Echo:
    """A file-like object whose write() returns its argument: csv.writer rows become strings to stream."""

    def write(self, value: str) -> str:
        return value
