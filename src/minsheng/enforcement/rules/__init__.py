"""The pure rules of 承诺+执法, one module per topic: ``base`` (the rule base and the enums every
layer shares), ``decision`` (首违免罚, 再犯必罚, time limits), ``inputs`` (parsing the ``decide``
JSON), ``grading`` (yearly A–D grades) and ``planning`` (the 双随机 inspection plan).

No database, no web, no clock and no I/O here: the shipped data files are read by
``service.catalog`` and handed in parsed.
"""
