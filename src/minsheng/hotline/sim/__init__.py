"""The 12356 simulator: a scenario in; the real routing rules and queueing engine run in
virtual time; KPIs per hotline, province and nation out."""
