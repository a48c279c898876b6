"""The hotline's pure rules, one module per topic: no database, web, clock or I/O (times are
arguments). ``routing`` (hours, caller location, the route of a call), ``compliance`` (the official
minimums), ``risk`` (crisis risk rating), ``erlang`` and ``planning`` (seat sizing and advice),
``kpi`` (indicator arithmetic) and ``snapshot`` (the plain directory the others work on)."""
