"""The sales-visit checklist as the service standard (2014) words it: articles 8 and 9, items S1-S3, U1, U2, U6.

This is version 1 of the `sales-visit` template; admins publish later versions through the API.
No item of the standard asks for a photo, so none is required here; a later version may ask for one.
"""

from __future__ import annotations

from typing import Any

CODE = "sales-visit"
PURPOSES = ("prospecting", "product_presentation", "application", "policy_delivery", "service_call")


def _entry(code: str, zh: str, en: str) -> dict[str, str]:
    return {"code": code, "zh": zh, "en": en}


BUSINESS_CARD = {
    "code": "business_card",
    "standard_item": "S1",
    "article": "第八条(一)",
    "title_zh": "递交标准名片",
    "title_en": "Present a standard business card",
    "requirement_zh": "与客户初次见面时,销售人员必须100%按礼仪递交标准名片。",
    "requirement_en": "At the first meeting with a customer, the salesperson must hand over a standard "
                      "business card 100% of the time, following the relevant etiquette.",
    "applies_at": "first_meeting",
    "purposes": list(PURPOSES),
    "answer_type": "done_with_sub_checks",
    "photo_required": False,
    "sub_checks": [
        _entry("company_standard_design", "名片使用公司标准印制样式", "The card uses the company's standard printed design"),
        _entry("clean_and_flat", "名片干净平整", "The card is clean and flat"),
        _entry("both_hands_text_facing_client", "双手递交,文字正面朝向客户",
               "Offered with both hands, the text facing the recipient"),
        _entry("greeting", "同时问候:“您好!我是XXX,初次见面,请多关照”",
               "A courtesy at the same time: \"Hello! I am XXX. It's our first meeting - "
               "I look forward to working with you\""),
    ],
    "exclusions": [
        _entry("client_declined_card", "客户明显无接受名片的意愿",
               "The customer clearly does not wish to accept a card"),
    ],
    "exclusions_note_zh": None,
    "exclusions_note_en": None,
}

PRODUCT_PRESENTATION = {
    "code": "product_presentation",
    "standard_item": "S2",
    "article": "第八条(二)",
    "title_zh": "产品呈现",
    "title_en": "Product presentation",
    "requirement_zh": "对所有客户进行产品呈现,使客户充分了解产品及产品配套系列的相关内容。",
    "requirement_en": "Give a product presentation to all customers, so that each customer fully understands "
                      "the relevant content of the product and its related package.",
    "applies_at": "every_visit",
    "purposes": ["product_presentation"],
    "answer_type": "done_with_sub_checks",
    "photo_required": False,
    "sub_checks": [
        _entry("benefits_tied_to_needs", "配合需求:把产品的利益与客户的需求相联系",
               "Match needs: link the product's benefits to the customer's needs"),
        _entry("proof_offered", "有力证明:向客户证明产品利益能满足其需求",
               "Strong proof: show the customer that the benefits meet his needs"),
        _entry("objections_handled", "客户异议得到合理解决", "The customer's objections were resolved reasonably"),
        _entry("price_at_right_moment", "在客户兴趣高峰、充分了解产品后报价",
               "The price was quoted at the peak of interest, after the customer fully knew the product"),
    ],
    "exclusions": [],
    "exclusions_note_zh": "另行规定",
    "exclusions_note_en": "To be stipulated separately; none is stipulated yet, so no exclusion is accepted.",
}

APPLICATION_FORM = {
    "code": "application_form",
    "standard_item": "S3",
    "article": "第八条(三)",
    "title_zh": "指导填写投保单",
    "title_en": "Guide completion of the insurance application form",
    "requirement_zh": "对于当面投保客户,指导其准确填写投保单。",
    "requirement_en": "Face-to-face applicants: guide them to fill in the application form accurately.",
    "applies_at": "every_visit",
    "purposes": ["application"],
    "answer_type": "done_with_sub_checks",
    "photo_required": False,
    "sub_checks": [
        _entry("line_of_insurance_clear", "投保险种清晰", "Line of insurance is clear"),
        _entry("insured_clear", "被保险人清晰", "Insured is clear"),
        _entry("subject_matter_clear", "保险标的清晰", "Subject matter is clear"),
        _entry("insured_items_clear", "保险项目清晰", "Insured items are clear"),
        _entry("territorial_scope_clear", "地域范围清晰", "Territorial scope is clear"),
        _entry("sum_insured_clear", "保险金额清晰", "Sum insured is clear"),
        _entry("premium_rate_clear", "承保费率清晰", "Premium rate is clear"),
        _entry("period_clear", "保险期限清晰", "Period of insurance is clear"),
        _entry("signature_seal_date_clear", "投保人签名、盖章、投保日期清晰",
               "Applicant's signature, seal and application date are clear"),
    ],
    "exclusions": [
        _entry("client_supplied_wrong_information", "客户提供错误信息", "The customer supplies wrong information"),
    ],
    "exclusions_note_zh": None,
    "exclusions_note_en": None,
}

SERVICE_HANDBOOK = {
    "code": "service_handbook",
    "standard_item": "U1",
    "article": "第九条(一)",
    "title_zh": "服务指南手册",
    "title_en": "Service guide handbook",
    "requirement_zh": "所有新保客户随保单免费获赠服务指南手册。",
    "requirement_en": "Every new-policy customer receives the handbook free, together with the policy.",
    "applies_at": "policy_delivery",
    "purposes": ["policy_delivery"],
    "answer_type": "done_with_sub_checks",
    "photo_required": False,
    "sub_checks": [
        _entry("handed_with_policy", "随保单递交手册", "The handbook was handed over with the policy"),
        _entry("contents_explained", "详细讲解手册内容,耐心引导,解答疑问",
               "Its contents were explained fully, the customer guided patiently and questions answered"),
    ],
    "exclusions": [
        _entry("client_does_not_need_it", "客户不需要", "The customer does not need it"),
    ],
    "exclusions_note_zh": None,
    "exclusions_note_en": None,
}

POLICY_ENVELOPE = {
    "code": "policy_envelope",
    "standard_item": "U2",
    "article": "第九条(二)",
    "title_zh": "保单封套配套使用",
    "title_en": "Use of matching policy envelopes",
    "requirement_zh": "所有送达客户的保单及相关保险单证,必须整齐装入保单封套。",
    "requirement_en": "Every policy and related insurance document that reaches the customer must be neatly "
                      "packed in a policy envelope.",
    "applies_at": "policy_delivery",
    "purposes": ["policy_delivery"],
    "answer_type": "done",
    "photo_required": False,
    "sub_checks": [],
    "exclusions": [],
    "exclusions_note_zh": "无",
    "exclusions_note_en": "None.",
}

THANK_YOU_LETTER = {
    "code": "thank_you_letter",
    "standard_item": "U6",
    "article": "第九条(六)",
    "title_zh": "承保后中英文感谢信",
    "title_en": "Post-underwriting Chinese/English thank-you letter",
    "requirement_zh": "以销售人员个人或公司名义寄送措辞得体的感谢信;时机为客户收到保单后、缴纳保费前,一般邮寄。",
    "requirement_en": "Send a suitably worded thank-you letter in the salesperson's or the company's name, after "
                      "the customer receives the policy and before the premium is paid, usually by post.",
    "applies_at": "after_policy_delivery",
    "purposes": ["policy_delivery"],
    "answer_type": "sent_date",
    "photo_required": False,
    "sub_checks": [],
    "exclusions": [],
    "exclusions_note_zh": "无",
    "exclusions_note_en": "None.",
}

STANDARD_CHECKLIST: dict[str, Any] = {
    "code": CODE,
    "version": 1,
    "title_zh": "销售拜访基础服务检查表",
    "title_en": "Sales visit basic-service checklist",
    "source": "服务标准 基础服务规范(2014版) 第八条、第九条",
    "items": [BUSINESS_CARD, PRODUCT_PRESENTATION, APPLICATION_FORM, SERVICE_HANDBOOK, POLICY_ENVELOPE,
              THANK_YOU_LETTER],
}
