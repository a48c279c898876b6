"""The 12356 simulator: scenarios in, the real routing rules and queueing engine in virtual time, KPIs out."""
