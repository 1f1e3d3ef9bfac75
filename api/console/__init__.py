"""The web console: server-rendered pages (Jinja2, plain HTML, one static script) over the same decision log,
behind the same API keys and roles. A key signs in once and gets a server-side session: the cookie holds a
random token, never the key, and every form carries a token bound to that session (see `security`).

security   sessions, CSRF tokens, the Origin check, and the headers every console page is sent with
pages      the pages: check, batch, reviews, licenses, log, rules
"""

from api.console.pages import add_console

__all__ = ["add_console"]
