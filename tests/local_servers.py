"""Servers a test starts on 127.0.0.1, in a thread of the test process, and stops at the end:
moto's own server (so that patches a test makes to moto's models apply to its answers too) and a
plain HTTP server for a request handler of the test's."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def moto_server_url() -> Iterator[str]:
    """Start moto's ``ThreadedMotoServer`` on a free port of 127.0.0.1; yield its URL (the
    ``AWS_ENDPOINT_URL`` of the clients and of the AWS CLI); stop it at the end."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextmanager
def http_server(
    handler: type[http.server.BaseHTTPRequestHandler], *, concurrent: bool = True
) -> Iterator[int]:
    """Serve ``handler`` on a free port of 127.0.0.1 (a thread per request when
    ``concurrent``, else one request at a time); yield the port; shut down at the end."""
    kind = http.server.ThreadingHTTPServer if concurrent else http.server.HTTPServer
    server = kind(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
