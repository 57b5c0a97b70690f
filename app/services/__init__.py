"""Use cases: ``f(session, ..., now) -> result``. No Flask here, and never a commit: the caller owns the transaction."""
