"""minsheng (民生): one platform for three public services.

The 12356 psychological assistance hotline (``hotline``), vocational skill certificates
(``certification``) and credit-commitment enforcement (``enforcement``), sharing only ``core``.
"""

__version__ = "0.1.0"
