"""Pure rules of the certification system, one module per topic: ``numbering`` (certificate
numbers), ``issuance`` (who may issue what), ``verification`` (the two-of-three request),
``adscan`` (scam-ad patterns) and ``subsidy`` (the skill-upgrade subsidy rule sets). No database,
web, clock or file access here: services gather the facts and pass times in."""
