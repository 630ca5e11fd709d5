"""botocore's service models, read once per test process and shared by every test module.

``botocore.session.get_session()`` builds a new session, with its own loader and an empty cache,
on every call: each ``get_session().get_service_model("ecs")`` in a test parsed ECS's JSON again
(about 0.05 s; EC2's about 0.15 s), and several modules did so at import, in every process that
collected them.
"""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import ServiceModel


@functools.cache
def session() -> botocore.session.Session:
    """One botocore session for the tests (its loader caches what it has read)."""
    return botocore.session.get_session()


@functools.cache
def service_model(name: str) -> ServiceModel:
    """botocore's model of the service ``name`` (``ecs``, ``ec2``…), parsed once."""
    return session().get_service_model(name)
