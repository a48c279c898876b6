"""Shared building blocks used by at least two systems: settings, database, errors, auth, audit,
administrative regions, ID numbers and personal-data protection. Nothing domain-specific."""
