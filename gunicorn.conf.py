"""gunicorn's settings for the web process, read from the repository root (``gunicorn outbound.wsgi``).

Every start of the web process goes through this file: production, ``make demo`` and the test harness.
"""

# The app is loaded once in the master before the workers fork: a bad setting then stops gunicorn with
# the one line of outbound.wsgi, instead of every worker printing its traceback while the master's
# banner and shutdown lines bury it. (A new release is therefore a restart, not a HUP.)
preload_app = True

# gunicorn 25+ binds a control socket at ~/.gunicorn/gunicorn.ctl (or $XDG_RUNTIME_DIR/gunicorn.ctl) by
# default: two instances on one host (a demo beside the tests, two nodes under one user) take it from each
# other, and the first to stop deletes the other's. Nothing here uses gunicornc, so there is none.
control_socket_disable = True
