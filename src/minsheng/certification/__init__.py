"""Vocational skill certificates: occupations, standards, filed evaluation bodies, issuance, public
verification, scam-ad scanning and the skill-upgrade subsidy.

Imports only ``minsheng.core``; never another system. Tables are prefixed ``cert_``.
"""
