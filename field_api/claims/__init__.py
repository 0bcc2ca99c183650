"""On-site claim forms (索赔申请书): attachments, completeness, the document receipt and tamper-evident seals."""
