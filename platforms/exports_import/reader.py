"""Reading a platform's order export file (CON-08): bytes → the platform, its header and its rows of text.

抖店 and 拼多多 export CSV (UTF-8 with or without BOM, or GBK/GB18030 when saved by Excel) and XLSX. Long ids
come prefixed with a tab or an apostrophe (or as `="…"`) so that Excel keeps them as text; a number cell in
an XLSX may have lost an id's digits already. Every problem is a `FileProblem` (the whole file) or a
`CellProblem` (row and column): nothing here raises anything else for any input.

`openpyxl` reads XLSX (read-only, values only: a formula is never evaluated, its cached value is read) and the
standard `csv` module reads CSV. See docs/platforms-import.md for why not django-import-export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.money import parse_money

MAX_BYTES = 10 * 1024 * 1024  # 10,000 rows of a real 抖店 export (~60 columns) are some 5–8 MB as CSV
MAX_ROWS = 10_000  # a request must finish well within gunicorn's 30 s: see docs/platforms-import.md
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024  # a zip bomb stops here, before openpyxl inflates anything
MAX_CELL = 1000  # characters kept of a cell (a product name is < 100)
HEADER_SEARCH_ROWS = 5  # a title line or two above the header is tolerated

DOUYIN = "douyin"
PINDUODUO = "pinduoduo"


class FileProblem(Exception):
    """The file cannot be read at all (encoding, format, size, no header): nothing is imported."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class SheetRows:
    platform: str  # DOUYIN or PINDUODUO, told by the header row
    columns: dict[str, int]  # canonical column name → index
    headers: list[str]  # the header row as written
    rows: list[tuple[int, list]] = field(default_factory=list)  # (row number as the spreadsheet shows it, cells)


# The platforms' own column headers (API.md "Order export files"). Canonical name → the spellings seen in the
# back offices' exports (compared after `_norm`: no spaces, half-width brackets, lower case).
PDD_COLUMNS = {
    "订单号": ["订单号"],
    "商品id": ["商品id"],
    "商品": ["商品", "商品名称"],
    "商品规格": ["商品规格"],
    "商品数量(件)": ["商品数量(件)", "商品数量"],
    "商品总价(元)": ["商品总价(元)"],
    "邮费(元)": ["邮费(元)"],
    "用户实付金额(元)": ["用户实付金额(元)"],
    "商家实收金额(元)": ["商家实收金额(元)"],
    "订单状态": ["订单状态"],
    "售后状态": ["售后状态"],
    "快递单号": ["快递单号", "运单号"],
    "快递公司": ["快递公司"],
    "订单成交时间": ["订单成交时间", "支付时间"],
    "发货时间": ["发货时间"],
    "确认收货时间": ["确认收货时间"],
    "成团时间": ["成团时间", "拼单成功时间"],
}
PDD_REQUIRED = ["订单号", "商品id", "商品数量(件)", "用户实付金额(元)", "订单状态", "订单成交时间"]

DOUYIN_COLUMNS = {
    "主订单编号": ["主订单编号"],
    "子订单编号": ["子订单编号"],
    "选购商品": ["选购商品", "商品名称"],
    "商品规格": ["商品规格"],
    "商品数量": ["商品数量"],
    "商品ID": ["商品id"],
    "商家编码": ["商家编码"],
    "商品单价": ["商品单价"],
    "订单应付金额": ["订单应付金额"],
    "订单状态": ["订单状态"],
    "售后状态": ["售后状态"],
    "订单提交时间": ["订单提交时间", "下单时间"],
    "支付完成时间": ["支付完成时间", "支付时间"],
    "订单完成时间": ["订单完成时间"],
    "快递单号": ["快递单号", "运单号"],
    "快递信息": ["快递信息"],
    "快递公司": ["快递公司", "物流公司"],
    "支付方式": ["支付方式"],
    "APP渠道": ["app渠道", "下单渠道", "流量来源"],
    "订单类型": ["订单类型"],
}
DOUYIN_REQUIRED = ["主订单编号", "商品ID", "商品数量", "订单应付金额", "订单状态", "订单提交时间"]

SPECS = {
    PINDUODUO: (PDD_COLUMNS, PDD_REQUIRED, "订单号"),
    DOUYIN: (DOUYIN_COLUMNS, DOUYIN_REQUIRED, "主订单编号"),
}

_WIDE = str.maketrans({"（": "(", "）": ")", "\u3000": ""})


def _norm(header: object) -> str:
    text = "" if header is None else str(header)
    return re.sub(r"\s+", "", text.translate(_WIDE).replace("\ufeff", "")).lower()


def read_export(data: bytes, *, filename: str = "") -> SheetRows:
    """Read the whole file (bounded by MAX_BYTES and MAX_ROWS). Raises FileProblem."""
    if not data:
        raise FileProblem(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise FileProblem(_("The file is larger than %(mb)d MB: export a shorter period and import it in parts.")
                          % {"mb": MAX_BYTES // (1024 * 1024)})
    if data[:4] == b"PK\x03\x04":
        table = _xlsx_rows(data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem(_("This is an old Excel (.xls) file: save it as .xlsx or .csv, or export it again."))
    else:
        table = _csv_rows(data)
    return _with_header(table)


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")  # Excel's "Unicode text"
        except UnicodeDecodeError:
            raise FileProblem(_("The file's text cannot be read (broken UTF-16).")) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem(_("The file's text is neither UTF-8 nor GBK/GB18030: save it again as CSV (UTF-8) or XLSX."))


def _csv_rows(data: bytes):
    if b"\x00" in data and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise FileProblem(_("The file holds NUL bytes: it is not a CSV or XLSX export."))
    text = _decode(data)
    if "\x00" in text:
        raise FileProblem(_("The file holds NUL bytes: it is not a CSV or XLSX export."))
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    csv.field_size_limit(MAX_CELL * 100)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise FileProblem(_("The CSV cannot be read near row %(row)d: %(reason)s")
                          % {"row": reader.line_num, "reason": exc}) from None


def _xlsx_rows(data: bytes):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileProblem(_("The XLSX file is damaged or not an XLSX file.")) from None
    if inflated > MAX_XLSX_UNCOMPRESSED:
        raise FileProblem(_("The XLSX file unpacks to more than %(mb)d MB: export a shorter period.")
                          % {"mb": MAX_XLSX_UNCOMPRESSED // (1024 * 1024)})
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors) on a bad file
        raise FileProblem(_("The XLSX file is damaged or not an XLSX file.")) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileProblem(_("The XLSX file has no sheet."))
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(cells)
        except FileProblem:
            raise
        except Exception:
            raise FileProblem(_("The XLSX file is damaged or not an XLSX file.")) from None
    finally:
        book.close()


def _with_header(table) -> SheetRows:
    found = None
    seen = 0
    for number, cells in table:
        seen += 1
        if found is None:
            names = [_norm(c) for c in cells]
            for platform, (columns, required, key) in SPECS.items():
                index = _match(names, columns)
                if key in index:
                    found = SheetRows(platform=platform, columns=index,
                                      headers=[_text(c) for c in cells])
                    missing = [c for c in required if c not in index]
                    if missing:
                        raise FileProblem(_("The header row lacks the column(s) %(cols)s.")
                                          % {"cols": "、".join(f"「{c}」" for c in missing)})
                    break
            if found is None and number >= HEADER_SEARCH_ROWS:
                raise FileProblem(_("No 抖店 or 拼多多 order export header found in the first rows (a 抖店 export has "
                                    "「主订单编号」, a 拼多多 export 「订单号」)."))
            continue
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue  # blank lines between orders or at the end
        if len(found.rows) >= MAX_ROWS:
            raise FileProblem(_("The file has more than %(n)d rows: export a shorter period and import it in parts.")
                              % {"n": MAX_ROWS})
        found.rows.append((number, list(cells)))
    if found is None:
        raise FileProblem(_("The file is empty.") if not seen else _(
            "No 抖店 or 拼多多 order export header found in the first rows (a 抖店 export has 「主订单编号」, "
            "a 拼多多 export 「订单号」)."))
    if not found.rows:
        raise FileProblem(_("The file has a header but no order rows."))
    return found


def _match(names: list[str], columns: dict[str, list[str]]) -> dict[str, int]:
    index: dict[str, int] = {}
    for canonical, spellings in columns.items():
        wanted = {_norm(s) for s in spellings}
        for i, name in enumerate(names):
            if name in wanted and canonical not in index:
                index[canonical] = i
                break
    return index


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)[:MAX_CELL]


def cell(sheet: SheetRows, cells: list, column: str):
    """The raw value of a column in a row (None when the file has no such column or the row is short)."""
    i = sheet.columns.get(column)
    if i is None or i >= len(cells):
        return None
    value = cells[i]
    if isinstance(value, str):
        value = value[:MAX_CELL]
    return value


def clean_text(value: object) -> str:
    """A text cell as the platform meant it: the Excel-guard prefixes (a tab, an apostrophe, `="…"`) and
    surrounding blanks removed; control characters dropped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return _text(value)
    text = str(value)[:MAX_CELL]
    if not text.isprintable():  # the slow path only for the few cells with a tab guard or a control character
        text = "".join(ch for ch in text if ch == " " or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    m = re.fullmatch(r'="(.*)"', text)
    if m:
        text = m.group(1).strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text


class CellError(ValueError):
    """A value of one cell that cannot be used; the message is for the merchant."""


ID_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}", re.ASCII)


def clean_id(value: object) -> str:
    """An order, sub-order or product id. A number cell whose digits Excel may have lost is refused."""
    if isinstance(value, bool):
        raise CellError(_("not an id"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        raise CellError(_("Excel turned this id into a number and lost its digits: export the file again, or "
                          "format the column as text"))
    text = clean_text(value)
    if re.fullmatch(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+", text):
        raise CellError(_("Excel turned this id into a number and lost its digits (%(value)s): export the file "
                          "again, or format the column as text") % {"value": text})
    if not text:
        raise CellError(_("empty"))
    if not ID_PATTERN.fullmatch(text):
        raise CellError(_("not an id (letters, digits and - only)"))
    return text


def clean_amount(value: object) -> Decimal:
    """An amount in yuan, by the API's own rule (SEC-05, `core.money.parse_money`): a plain decimal in ASCII digits
    with at most two places — no exponent, full-width digits, NaN, currency sign or thousands separator — and not
    negative. An XLSX number cell is read as the sheet shows it (its shortest form: 12.5, not 12.4999…)."""
    if value is None:
        raise CellError(_("empty"))
    if isinstance(value, float):
        text = repr(value)
        if not re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text, re.ASCII):
            raise CellError(_("not a plain amount in yuan, e.g. 12.50"))
        if text.endswith(".0"):
            text = text[:-2]
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = clean_text(value)
    else:
        raise CellError(_("not a plain amount in yuan, e.g. 12.50"))
    try:
        amount = parse_money(text)
    except ValueError as exc:
        if str(exc) == "more than two decimal places":
            raise CellError(_("more than two decimal places")) from None
        raise CellError(_("not a plain amount in yuan, e.g. 12.50")) from None
    if amount < 0:
        raise CellError(_("negative"))
    return amount


def clean_count(value: object) -> int:
    if isinstance(value, bool):
        raise CellError(_("not a whole number"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = clean_text(value)
        if not re.fullmatch(r"[0-9]{1,6}", text, re.ASCII):
            raise CellError(_("not a whole number") if text else _("empty"))
        number = int(text)
    if not 1 <= number <= 100_000:
        raise CellError(_("not between 1 and 100000"))
    return number


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M")


def clean_time(value: object, tz) -> dt.datetime | None:
    """A Beijing wall-clock time as the back offices write it (`2026-11-01 10:00:00`); empty or `-` → None."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    text = clean_text(value)
    if text in ("", "-", "--", "/"):
        return None
    for fmt in _TIME_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=tz)
    raise CellError(_("not a time like 2026-11-01 10:00:00"))
