"""The 12356 psychological assistance hotline: directory, routing, queues, call records, KPIs, seat
planning and SIP.

Imports only ``minsheng.core``; never another system. Tables are prefixed ``hotline_``.
"""
