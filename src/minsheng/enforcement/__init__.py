"""Credit-commitment enforcement (承诺+执法): parties, commitments, cases, first-violation
exemption, repeat penalties, grading, inspection plans and statistics.

Imports only ``minsheng.core``; never another system. Tables are prefixed ``enf_``.
"""
