"""Compliance documents: the processing agreement (GDPR Art. 28(3)) — its check and its draft.

`check` reads an agreement (text, Markdown, PDF, DOCX; French or English) and says, for each element
that Art. 28(3) requires, whether it is present, missing, left open or narrowed, and where.
`draft` writes an agreement annex from a scope manifest that passes that check.
"""
