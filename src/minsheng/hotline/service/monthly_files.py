"""The monthly report as an Excel workbook (openpyxl) and a PDF (fpdf2, the platform's one PDF
library), from the dict that ``monthly_report`` returns — the files hold exactly the figures of
the API.

The PDF is printed with the machine's CJK font (``core.pdf.cjk_font``: WenQuanYi Micro Hei),
whose used subset fpdf2 embeds with a ToUnicode map, so its text can be extracted and checked."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from minsheng.core.pdf import cjk_font

COLUMNS: tuple[tuple[str, str], ...] = (
    ("offered", "来电量"),
    ("answered", "接听量"),
    ("answer_rate", "接听率"),
    ("answered_in_home_province_rate", "本省接听率"),
    ("asa_s", "平均应答(秒)"),
    ("abandonment", "放弃量"),
    ("abandonment_rate", "放弃率"),
    ("crisis", "危机来电"),
    ("handover_110", "转110"),
    ("handover_119", "转119"),
    ("handover_120", "转120"),
    ("followups_done", "回访完成"),
    ("followups_overdue", "回访逾期"),
    ("required_seat_hours", "所需坐席小时"),
    ("rostered_hours", "排班工时"),
    ("staffed_seat_hours", "实际在岗坐席小时"),
    ("days_compliant", "达标天数"),
    ("counsellors_active", "在册咨询员"),
    ("counsellors_eligible", "可排班"),
)
RATES = {"answer_rate", "answered_in_home_province_rate", "abandonment_rate"}


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return "—"
    return value


def _quals(q: dict[str, int]) -> str:
    return "、".join(f"{k}{v}" for k, v in q.items())


def monthly_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "各热线"
    head = ["热线编号", "热线名称", "省份", *(label for _, label in COLUMNS), "资质构成"]
    ws.append([f"12356 心理援助热线月度报表 {report['month']}"])
    ws.append(head)
    for row in report["lines"]:
        ws.append(
            [
                row["hotline_id"],
                row["name"],
                row["province"],
                *(_cell(k, row[k]) for k, _ in COLUMNS),
                _quals(row["qualifications"]),
            ]
        )
    ws2 = wb.create_sheet("各省汇总")
    ws2.append([f"12356 心理援助热线月度报表（按省汇总） {report['month']}"])
    ws2.append(["省份代码", "省份", "热线数", *(label for _, label in COLUMNS), "资质构成"])
    for row in report["provinces"]:
        ws2.append(
            [
                row["province"],
                row["name"],
                row["lines"],
                *(_cell(k, row[k]) for k, _ in COLUMNS),
                _quals(row["qualifications"]),
            ]
        )
    t = report["total"]
    ws2.append(["合计", "", "", *(_cell(k, t.get(k)) for k, _ in COLUMNS)])
    for sheet, first_col in ((ws, 4), (ws2, 4)):
        sheet["A1"].font = Font(bold=True, size=13)
        for c in sheet[2]:
            c.font = Font(bold=True)
        for i, (key, _) in enumerate(COLUMNS):
            if key in RATES:
                for (cell,) in sheet.iter_rows(
                    min_row=3, min_col=first_col + i, max_col=first_col + i
                ):
                    if isinstance(cell.value, float):
                        cell.number_format = "0.0%"
        sheet.freeze_panes = "D3"
    ws3 = wb.create_sheet("指标定义")
    ws3.append(["指标", "定义"])
    for k, v in report["definitions"].items():
        ws3.append([k, v])
    ws3.append(["as_of", f"报表时点 {report['as_of']}；版本 {report['version']}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in RATES:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def monthly_pdf(report: dict[str, Any]) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_margins(8, 10, 8)
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.add_font("cjk", fname=str(cjk_font()))
    pdf.set_title(f"12356 月度报表 {report['month']}")
    pdf.set_creation_date(datetime.fromisoformat(report["as_of"]))
    pdf.add_page()
    keys = [k for k, _ in COLUMNS]
    head = [label for _, label in COLUMNS]
    header_face = FontFace(fill_color=(238, 242, 247))

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")

    def table(rows: list[list[str]], first_widths: tuple[int, int]) -> None:
        pdf.set_font("cjk", size=5.5)
        widths = (*first_widths, *([10] * len(keys)))
        with pdf.table(
            col_widths=widths,
            width=sum(widths),
            align="LEFT",
            text_align=("LEFT", "RIGHT", *(["RIGHT"] * len(keys))),
            headings_style=header_face,
            line_height=3.2,
            repeat_headings=1,
        ) as t:
            for values in rows:
                r = t.row()
                for v in values:
                    r.cell(v)

    pdf.set_font("cjk", size=14)
    pdf.cell(0, 9, f"12356 心理援助热线月度报表 {report['month']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=7)
    pdf.cell(
        0,
        4,
        f"统计期间 {report['from'][:10]} 至 {report['to'][:10]}（北京时间，不含末日）；"
        f"报表时点 {report['as_of'][:16]}；版本 {report['version']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    heading("一、按省汇总")
    prov_rows = [["省份", "热线数", *head]]
    for p in report["provinces"]:
        prov_rows.append([p["name"], str(p["lines"]), *(_fmt(k, p[k]) for k in keys)])
    tot = report["total"]
    prov_rows.append(["合计", "", *(_fmt(k, tot.get(k)) for k in keys)])
    table(prov_rows, (24, 10))
    heading("二、各热线")
    line_rows = [["热线", "省份", *head]]
    for row in report["lines"]:
        line_rows.append([row["hotline_id"], row["province"], *(_fmt(k, row[k]) for k in keys)])
    table(line_rows, (24, 10))
    heading("三、指标定义")
    pdf.set_font("cjk", size=7)
    for k, v in report["definitions"].items():
        pdf.multi_cell(0, 3.6, f"{k}：{v}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
