"""Web pages for the public and for staff, server-rendered from the systems' services.

App-level composition like ``minsheng.app``: this package may import each system's service and
schemas modules; no system imports it. ``routes.router`` is mounted by the app factory.
"""
