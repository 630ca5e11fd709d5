"""The plugin as Pulumi's language host runs it: ``python <plugin folder> <engine address>``
(``RunPlugin`` in pulumi/pulumi ``sdk/python/cmd/pulumi-language-python/main.go``). It prints
the port of its gRPC server, and answers ``GetPluginInfo`` and ``GetSchema`` there as the CLI
asks them during ``pulumi package add``: Slipway's version, and the committed schema.
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

import slipway

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def plugin(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    # Run from elsewhere, as the host does: only the plugin folder makes the facade importable.
    served = subprocess.Popen(
        [sys.executable, str(ROOT / "provider"), "127.0.0.1:1"],
        cwd=tmp_path_factory.mktemp("elsewhere"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert served.stdout is not None
        port = served.stdout.readline().strip()
        assert port.isdigit(), served.stderr.read() if served.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        served.kill()  # the process this fixture started, by its own handle
        served.communicate(timeout=30)  # reap it and close its pipes


def test_the_plugin_reports_slipways_version(
    plugin: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    info = plugin.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    assert info.version == slipway.__version__


def test_the_plugin_serves_the_committed_schema(
    plugin: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    served = plugin.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30)
    committed = json.loads((ROOT / "provider" / "schema.json").read_text())
    assert json.loads(served.schema) == committed
