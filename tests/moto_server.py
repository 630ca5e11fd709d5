"""moto's own server on 127.0.0.1, in a thread of the test process, so that patches a test makes
to moto's models (its ``with`` blocks around this) apply to the server's answers too."""

from __future__ import annotations

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
