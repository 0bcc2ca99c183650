"""The document receipt as a PDF, with Chinese text in the Adobe-GB1 CID font every PDF viewer knows (not embedded)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"


def render(receipt: dict[str, Any]) -> bytes:
    """A one-page A4 receipt from the receipt's JSON form."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
    missing_style = ParagraphStyle("missing", parent=body, textColor=colors.darkred)

    def para(text: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape("—" if text in (None, "") else str(text)), style)

    payout = receipt["expected_payout"]
    person = receipt["responsible_person"]
    rows = [
        ("报案号 Report no.", receipt["report_number"]),
        ("被保险人 Insured", receipt["insured_name"]),
        ("当事人 Party", receipt["party_name"]),
        ("索赔金额 Claim amount (元)", receipt["amount"]),
        ("已接收资料 Received", "; ".join(f"{r['zh']} {r['en']} ×{r['count']}" for r in receipt["received"])),
        ("责任人 Responsible person", f"{person['name']} {person['phone'] or ''}".strip()),
        ("咨询电话 Enquiry phone", receipt["enquiry_phone"]),
        ("预计领取赔款时间 Expected payout",
         f"{payout['date']} ({payout['rule_zh']})" if payout else f"{receipt['message_zh']} {receipt['message_en']}"),
    ]
    table = Table([[para(k), para(v)] for k, v in rows], colWidths=[55 * mm, 115 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))
    story = [para("资料接收回执 Document receipt", title), Spacer(1, 4 * mm), table]
    wanted = [f"{m['zh']} / {m['en']}" for m in receipt["missing"]]
    wanted += [f"待上传 awaiting upload: {a['kind']}" for a in receipt["awaiting_uploads"]]
    if wanted:
        story += [Spacer(1, 5 * mm), para("尚缺资料 Still missing", body)]
        story += [para(f"- {item}", missing_style) for item in wanted]
    story += [Spacer(1, 5 * mm), para(f"出具时间 Issued {receipt['issued_at']}")]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title="资料接收回执", leftMargin=20 * mm, rightMargin=20 * mm,
                      topMargin=20 * mm, bottomMargin=20 * mm, invariant=1).build(story)
    return buffer.getvalue()
