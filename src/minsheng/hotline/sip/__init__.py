"""The SIP front of the 12356 hotline (a back-to-back user agent). The engine never imports it."""
