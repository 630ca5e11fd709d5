"""The real AWS CLI for the deploy tests, imported once and forked for each call.

awscli v1 imports several hundred modules before it does anything: 0.8 to 1.2 s per ``aws``
call on these machines, and a deploy test makes dozens of calls. :func:`started` starts one
server process (this file, run as a script) that imports ``awscli.clidriver`` once and listens
on a Unix socket. The ``aws`` client it writes (first on the steps' PATH) sends its arguments,
environment and working directory, and passes its standard input, output and error
(``SCM_RIGHTS``), to the server, which forks a child that runs ``awscli.clidriver.main()``,
which is all the ``aws`` console script does, with exactly those. The child's exit status goes
back to the client, which exits with it. The CLI's own code, version, argument parsing, request
building and output are unchanged; only the interpreter's start-up, the data files botocore
parses, and the driver ``create_clidriver()`` builds when nothing it reads differs
(:class:`_Prepared`) are shared (``test_deploy_scripts.py::test_the_forked_cli_answers_as_the_
console_script`` compares both ways of running it, with and without a config file). A call
costs about 0.1 CPU-s here, client included, where the console script costs about 1 s.

Limits: a signal sent to the client does not reach the child (the deploy steps never signal
their ``aws`` calls: the runner signals the step's shell).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLIENT = """\
#!{python} -SE
# `aws`, run by the AWS CLI server at {socket} (tests/workflows/aws_cli.py).
# Only modules built into the interpreter (`socket` and `json` would double its start-up).
import _socket, marshal, os, sys
data = marshal.dumps({{"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}})
fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
server = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
server.connect({socket!r})
server.sendmsg([len(data).to_bytes(8, "big")], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
server.sendall(data)
status = server.recv(1)
server.close()
if not status:
    print("aws: the AWS CLI server ended without a status", file=sys.stderr)
    sys.exit(255)
sys.exit(status[0])
"""


def _receive(connection: socket.socket) -> tuple[dict[str, object], list[int]]:
    header, fds, _flags, _address = socket.recv_fds(connection, 8, 3)
    while len(header) < 8:
        header += connection.recv(8 - len(header))
    size = int.from_bytes(header, "big")
    chunks: list[bytes] = []
    received = 0
    while received < size:
        chunk = connection.recv(min(size - received, 1 << 16))
        if not chunk:
            raise EOFError("the client closed the connection early")
        chunks.append(chunk)
        received += len(chunk)
    # From the client this module wrote, over a socket in the test's own temporary directory.
    return marshal.loads(b"".join(chunks)), fds  # noqa: S302


_IMPORT_ENVIRONMENT: dict[str, tuple[str | None, str]] = {}
"""What importing awscli did to the server's environment: name -> (before, after). It sets
``AWS_DATA_PATH`` (its data directory after any given one); a child applies the same change."""


def _run_cli(request: dict[str, object], fds: list[int]) -> int:
    """In the forked child: become the ``aws`` process the client stands for, run the CLI."""
    import awscli.clidriver

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    env = request["env"]
    argv = request["argv"]
    cwd = request["cwd"]
    assert isinstance(env, dict)
    assert isinstance(argv, list)
    assert isinstance(cwd, str)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    for name, (before, after) in _IMPORT_ENVIRONMENT.items():
        if os.environ.get(name) != before:
            print(
                f"aws (tests/workflows/aws_cli.py): {name} differs from the server's",
                file=sys.stderr,
            )
            return 255
        os.environ[name] = after
    # What the console script (<venv>/bin/aws) does before it calls main().
    if os.environ.get("LC_CTYPE", "") == "UTF-8":
        os.environ["LC_CTYPE"] = "en_US.UTF-8"
    sys.argv = ["aws", *(str(a) for a in argv)]
    # awscli.clidriver.main(), with the driver the server created when it may stand in for a
    # new one.
    driver = _PREPARED.driver if _PREPARED and _PREPARED.holds() else None
    driver = driver or awscli.clidriver.create_clidriver()
    code = driver.main()
    awscli.clidriver.HISTORY_RECORDER.record("CLI_RC", code, "CLI")
    return int(code or 0)


@dataclass(frozen=True)
class _Prepared:
    """A driver ``create_clidriver()`` made in the server, before any fork, and what it read.

    Creating the driver is about half of a call's time (the session registers some 400 event
    handlers, the CLI loads its plugins). What it reads from outside: the shared config and
    credentials files (``Session.full_config``, for the ``plugins`` section) and
    ``AWS_EXECUTION_ENV`` (botocore's ``UserAgentString.from_environment``); everything else
    (credentials, region, endpoint, profile, history, aliases) is read when first asked, in the
    child. So a child uses it when neither file exists at the paths its environment names (as
    for the server) and ``AWS_EXECUTION_ENV`` is the server's; otherwise it creates its own."""

    driver: Any
    files: tuple[str, ...]
    execution_env: str | None

    @classmethod
    def make(cls) -> _Prepared | None:
        import awscli.clidriver

        driver = awscli.clidriver.create_clidriver()
        prepared = cls(driver, _config_files(driver), os.environ.get("AWS_EXECUTION_ENV"))
        return None if any(os.path.exists(f) for f in prepared.files) else prepared

    def holds(self) -> bool:
        files = _config_files(self.driver)
        return (
            files == self.files
            and not any(os.path.exists(f) for f in files)
            and os.environ.get("AWS_EXECUTION_ENV") == self.execution_env
        )


def _config_files(driver: Any) -> tuple[str, ...]:
    """The config and credentials files the driver's session reads, from today's environment."""
    get = driver.session.get_config_variable
    return tuple(os.path.expanduser(str(get(name))) for name in ("config_file", "credentials_file"))


_PREPARED: _Prepared | None = None


def _reap(_signum: int, _frame: object) -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


WARM_SERVICES = ("ecs", "ecr", "ssm", "sts")
"""The services the deploy steps call: their models are read once, in the server."""


def _share_what_is_read_from_disk() -> None:
    """Let every driver a child creates reuse what the server already read and parsed.

    A driver's session reads the same files each time: the list of service models, the
    endpoint and partition data, each model's JSON. botocore keeps them per ``Loader`` (its
    ``instance_cache``, keyed by method and arguments); here every ``Loader`` shares one such
    cache, filled before any fork, so each child starts with the parsed data copy-on-write.
    Likewise ``accepts_kwargs`` (an ``inspect`` call for every event handler a session
    registers) is answered once per function. The data and the answers are the same in every
    child: the files do not change during a test run, and the server refuses a client whose
    ``AWS_DATA_PATH`` differs from its own (:func:`_run_cli`)."""
    import botocore.compat
    import botocore.hooks
    import botocore.loaders

    shared: dict[object, object] = {}
    original_init = botocore.loaders.Loader.__init__

    def init(self: botocore.loaders.Loader, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        self._cache = shared

    botocore.loaders.Loader.__init__ = init
    accepts = botocore.compat.accepts_kwargs
    answers: dict[object, bool] = {}

    def accepts_kwargs(func: object) -> bool:
        key = getattr(func, "__func__", func)
        if key not in answers:
            answers[key] = accepts(func)
        return answers[key]

    botocore.hooks.accepts_kwargs = accepts_kwargs


def serve(path: str) -> None:
    """Accept clients on the Unix socket ``path`` until terminated; fork one child per call."""
    before = dict(os.environ)
    import awscli.clidriver  # the point: imported once, before any fork
    import botocore.exceptions

    for name in set(before) | set(os.environ):
        if before.get(name) != os.environ.get(name):
            _IMPORT_ENVIRONMENT[name] = (before.get(name), os.environ[name])
    _share_what_is_read_from_disk()
    # A first driver imports the handlers and customizations the CLI loads lazily and reads
    # the models the steps use; thrown away.
    driver = awscli.clidriver.create_clidriver()
    driver._get_command_table()
    for service in WARM_SERVICES:
        driver.session.create_client(
            service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        # The CLI reads both for every operation it builds (the waiters and pagination
        # options of its command table); a service without waiters has no such file.
        for model in (driver.session.get_waiter_model, driver.session.get_paginator_model):
            with contextlib.suppress(botocore.exceptions.UnknownServiceError):
                model(service)

    global _PREPARED
    _PREPARED = _Prepared.make()
    # Reap each child as it ends (so its CPU time is counted to this process, as a separate
    # `aws` process's would be to its parent).
    signal.signal(signal.SIGCHLD, _reap)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".binding")
    listener.listen(64)
    os.rename(path + ".binding", path)  # clients see the socket only once it accepts
    while True:
        connection, _ = listener.accept()
        try:
            request, fds = _receive(connection)
        except (OSError, EOFError, ValueError):
            connection.close()
            continue
        if os.fork() == 0:
            listener.close()
            code = 255
            try:
                code = _run_cli(request, fds)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
            except BaseException:
                traceback.print_exc()
                code = 255
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):  # the reader may be gone
                        stream.flush()
                try:
                    connection.sendall(bytes([code & 0xFF]))
                finally:
                    os._exit(code & 0xFF)
        for fd in fds:
            os.close(fd)
        connection.close()


@contextmanager
def started(directory: Path, python: str = sys.executable) -> Iterator[Path]:
    """Start the server; yields a directory holding the ``aws`` client, to go first on PATH.
    The server is stopped by its PID at the end."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "aws.sock"
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    client = bin_dir / "aws"
    client.write_text(CLIENT.format(python=python, socket=str(path)))
    client.chmod(0o755)
    log = directory / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [python, __file__, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the AWS CLI server did not start:\n{log.read_text()}")
            time.sleep(0.02)
        yield bin_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


if __name__ == "__main__":
    serve(sys.argv[1])
