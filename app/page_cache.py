"""Pages that every anonymous visitor gets alike, kept rendered per process under an exact key.

The catalog is the page most asked for when a form opens at 08:00, and it is the same for everybody
who is not signed in: rendering it (the published e-services loaded, a Jinja page of several
kilobytes) costs several milliseconds, a kept copy a fraction of one. A page is kept under a key that
its route builds from everything the page shows (for the catalog: the language, the path, today's
date and a fingerprint of the published e-services read from the database on every request), so a
publication, a closing or a new day changes the key in every process at once and a stale page is
never served; there is nothing to invalidate. Each process keeps its own few pages (a bounded LRU),
so nothing lives here that another process must see.

Only requests for which :func:`shareable` holds use it: nobody signed in (the layout then shows the
staff menu and a sign-out form with its CSRF token) and no flash message waiting to be shown.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app, session
from flask_login import current_user

#: pages kept per process; a key has few variants (the languages on offer, with and without ``?lang=``)
KEPT = 64


class PageCache:
    """Rendered pages by key, the least recently used dropped beyond ``size``; safe across threads."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        page = render()
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return page


def shareable() -> bool:
    """Whether this request's page is what every anonymous visitor gets: nobody signed in, no flash waiting."""
    return not current_user.is_authenticated and "_flashes" not in session


def kept_page(key: Hashable, render: Callable[[], str]) -> str:
    """The page under ``key`` from this process's cache, rendered by ``render`` the first time."""
    cache: PageCache = current_app.extensions["page_cache"]
    return cache.get_or_render(key, render)


def init_page_cache(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache()
