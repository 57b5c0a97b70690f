"""The web-independent core of En dörr in.

Form definitions, field types, validation, case references and receipts. Nothing here imports Flask,
SQLAlchemy or the ``app`` package: the locale, the time and base URLs come in as arguments, so another
municipality's system can reuse this package as it is.
"""
