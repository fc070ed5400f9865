"""Order export files as the 抖店 and 拼多多 back offices write them (CON-08), built in code so each test shows
what its file holds: the platforms' own column headers, GBK or UTF-8-with-BOM CSV with ids guarded by a tab or
an apostrophe (as the exports keep Excel from rounding them), and XLSX with one row per item (抖店)."""

import csv
import io

import openpyxl

PDD_HEADER = ["订单号", "订单状态", "商品总价(元)", "邮费(元)", "用户实付金额(元)", "商家实收金额(元)", "商品数量(件)",
              "商品id", "商品", "商品规格", "售后状态", "快递单号", "快递公司", "订单成交时间", "发货时间", "确认收货时间",
              "收货人", "手机"]

DOUYIN_HEADER = ["主订单编号", "子订单编号", "选购商品", "商品规格", "商品数量", "商品ID", "商家编码", "商品单价",
                 "订单应付金额", "运费", "支付方式", "订单提交时间", "支付完成时间", "订单完成时间", "订单状态", "售后状态",
                 "快递信息", "快递单号", "APP渠道", "收件人", "收件人手机号"]


def pdd_rows():
    """Three orders: one waiting, one shipped, one received (with its receipt time)."""
    return [
        ["\t231205-100000000000001", "待发货", "59.80", "0.00", "59.80", "57.00", "2", "\t400001", "保温杯", "白色",
         "无售后或售后取消", "", "", "2026-12-01 10:00:00", "", "", "张**", "138****0001"],
        ["\t231205-100000000000002", "已发货，待签收", "25.00", "5.00", "30.00", "28.50", "1", "\t400002", "数据线", "1米",
         "无售后或售后取消", "\tYT1000000000001", "圆通快递", "2026-12-01 11:00:00", "2026-12-02 09:00:00", "", "李**",
         "139****0002"],
        ["'231205-100000000000003", "已签收", "120.00", "0.00", "118.00", "115.00", "1", "'400003", "台灯", "暖光",
         "售后处理中", "'JT1000000000003", "极兔速递", "2026-11-20 08:30:00", "2026-11-20 18:00:00",
         "2026-11-23 12:00:00", "王**", "137****0003"],
    ]


def douyin_rows():
    """Two orders, one of them on two rows (two items): one shipped, one waiting, and the second item of the
    first order refunded."""
    return [
        ["6920000000000000001", "6920000000000000011", "智能台灯", "白色", 1, "3600000000001", "LAMP-W", "150.00",
         "150.00", "0.00", "在线支付", "2026-12-01 10:00:00", "2026-12-01 10:00:05", "", "已发货", "-",
         "圆通速递 YT2000000000001", "YT2000000000001", "抖音", "赵**", "136****0004"],
        ["6920000000000000001", "6920000000000000012", "灯泡", "E27", 2, "3600000000002", "BULB", "9.90",
         "19.80", "0.00", "在线支付", "2026-12-01 10:00:00", "2026-12-01 10:00:05", "", "已发货", "退款成功",
         "圆通速递 YT2000000000001", "YT2000000000001", "抖音", "赵**", "136****0004"],
        ["6920000000000000002", "6920000000000000021", "收纳盒", "大号", 3, "3600000000003", "BOX-L", "20.00",
         "60.00", "0.00", "在线支付", "2026-12-02 15:30:00", "2026-12-02 15:31:00", "", "待发货", "-",
         "", "", "抖音极速版", "钱**", "135****0005"],
    ]


def csv_bytes(header, rows, *, encoding="utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(header, rows, *, title_rows=()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "订单"
    for line in title_rows:
        sheet.append(line)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdd_csv(rows=None, *, encoding="gb18030") -> bytes:
    return csv_bytes(PDD_HEADER, pdd_rows() if rows is None else rows, encoding=encoding)


def douyin_xlsx(rows=None) -> bytes:
    return xlsx_bytes(DOUYIN_HEADER, douyin_rows() if rows is None else rows)
