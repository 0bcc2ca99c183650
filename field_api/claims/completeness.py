"""Which documents a claim form still lacks, by the rules of article 10 C1 (computed, never typed in)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from field_api.claims.models import AttachmentKind, InsuredKind, PaymentMethod
from field_api.dispatch.models import Line


@dataclass(frozen=True)
class Requirement:
    """One document or entry the standard asks for, in both languages."""

    code: str
    zh: str
    en: str


REQUIREMENTS = {r.code: r for r in (
    Requirement("account", "全面出险经过", "full account of the accident"),
    Requirement("party_signature", "当事人亲笔签名", "the party's own signature"),
    Requirement("party_phone", "联系电话", "contact phone number"),
    Requirement("form_date", "日期", "date of the form"),
    Requirement("company_seal", "公司公章(企业客户)", "company seal (organization insured)"),
    Requirement("id_copy", "被保险人身份证复印件", "copy of the insured's ID card"),
    Requirement("passbook_copy", "存折复印件", "copy of the bankbook"),
    Requirement("payment_receipt", "被保险人签章的赔款收据", "claim-payment receipt signed or sealed by the insured"),
    Requirement("scene_photos", "现场照片", "photos of the scene"),
    Requirement("vehicle_photos", "车辆损失照片", "photos of the vehicle damage"),
)}

KIND_OF = {"party_signature": AttachmentKind.PARTY_SIGNATURE, "company_seal": AttachmentKind.COMPANY_SEAL,
           "id_copy": AttachmentKind.ID_COPY, "passbook_copy": AttachmentKind.PASSBOOK_COPY,
           "payment_receipt": AttachmentKind.PAYMENT_RECEIPT, "scene_photos": AttachmentKind.SCENE,
           "vehicle_photos": AttachmentKind.VEHICLE_DAMAGE}

KIND_LABELS = {
    AttachmentKind.SCENE: ("现场照片", "scene photo"),
    AttachmentKind.VEHICLE_DAMAGE: ("车辆损失照片", "vehicle damage photo"),
    AttachmentKind.INJURY: ("人伤照片", "injury photo"),
    AttachmentKind.PARTY_SIGNATURE: ("当事人签名", "party's signature"),
    AttachmentKind.COMPANY_SEAL: ("公司公章", "company seal"),
    AttachmentKind.ID_COPY: ("身份证复印件", "ID card copy"),
    AttachmentKind.PASSBOOK_COPY: ("存折复印件", "bankbook copy"),
    AttachmentKind.PAYMENT_RECEIPT: ("赔款收据", "signed payment receipt"),
    AttachmentKind.OTHER: ("其他资料", "other document"),
}


def required(*, line: Line, insured_kind: InsuredKind, payment_method: PaymentMethod) -> list[str]:
    """The codes of everything the form needs, in the order the standard lists them."""
    codes = ["account", "party_signature", "party_phone", "form_date"]
    if insured_kind is InsuredKind.ORGANIZATION:
        codes.append("company_seal")
    if payment_method is PaymentMethod.TRANSFER:
        codes += ["id_copy", "passbook_copy", "payment_receipt"]
    codes.append("scene_photos")
    if line is Line.MOTOR:
        codes.append("vehicle_photos")
    return codes


def missing(*, line: Line, insured_kind: InsuredKind, payment_method: PaymentMethod, account: str | None,
            party_phone: str | None, has_date: bool, supplied: Collection[AttachmentKind]) -> list[str]:
    """The codes the customer has not supplied; `supplied` holds kinds received or on their way (manifest)."""
    entries = {"account": bool(account and account.strip()), "party_phone": bool(party_phone and party_phone.strip()),
               "form_date": has_date}
    return [code for code in required(line=line, insured_kind=insured_kind, payment_method=payment_method)
            if not (entries[code] if code in entries else KIND_OF[code] in supplied)]


def describe(codes: Collection[str]) -> list[dict[str, str]]:
    """The codes with their Chinese and English names."""
    return [{"code": c, "zh": REQUIREMENTS[c].zh, "en": REQUIREMENTS[c].en} for c in codes]
