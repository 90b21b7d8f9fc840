"""The HTTP edge: `/metrics` families and their exposition, the landing page and its recent
history, and the web config (TLS, basic auth).

`families`, `exposition`, `landing` and `recent` render and are pure; `http` and `security`
own the sockets and the files of the web config.
"""
