"""Files rendered from the code are current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from infra.settings import SECRET_SETTINGS, all_fields
from tooling import docgen


def test_rendered_files_are_current() -> None:
    assert docgen.stale() == [], "run `make docs`"


def test_pulumi_yaml_declares_every_setting_with_type_and_description() -> None:
    project = yaml.safe_load(docgen.PULUMI_YAML.read_text())
    assert project["name"] == "slipway"
    assert project["main"] == "infra/"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    declared = project["config"]
    expected = {i.alias for i in all_fields().values()} | {s.key for s in SECRET_SETTINGS}
    assert set(declared) == expected
    for name, declaration in declared.items():
        assert declaration["type"] in ("string", "integer", "boolean", "array"), name
        assert declaration["description"], name
    assert all(declared[s.key]["secret"] is True for s in SECRET_SETTINGS)


def test_configuration_reference_lists_every_key() -> None:
    text = docgen.CONFIGURATION_MD.read_text()
    for info in all_fields().values():
        assert f"`slipway:{info.alias}`" in text
    assert "by profile: dev `30`, staging `90`, prod `365`" in text


def test_check_mode_fails_on_a_stale_copy_and_write_mends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "configuration.md"
    target.write_text("outdated\n")
    monkeypatch.setattr(docgen, "ROOT", tmp_path)
    monkeypatch.setattr(docgen, "rendered", lambda: {target: "current\n"})
    assert docgen.main(["--check"]) == 1
    assert "stale: configuration.md" in capsys.readouterr().err
    assert docgen.main(["--write"]) == 0
    assert target.read_text() == "current\n"
    assert docgen.main(["--check"]) == 0


def test_the_readme_states_each_profiles_spot_mix_as_the_code_has_it() -> None:
    """The README's ECS row says how much runs on Spot, from the compute domain's table."""
    from infra.domains.compute import PROFILES

    row = next(
        line
        for line in (docgen.ROOT / "README.md").read_text().splitlines()
        if line.startswith("| ECS on Fargate behind an ALB")
    )
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    for cell, decided in zip(cells, PROFILES.all(), strict=True):
        base, spot = decided.capacity_on_demand_base, decided.capacity_spot_weight
        if spot == 0:
            assert "on-demand only (no Spot)" in cell, cell
        else:
            assert f"Spot {spot} : on-demand 1" in cell, cell
        if base:
            assert f"{base} on-demand always" in cell or f"{base} always" in cell, cell


def test_the_strategy_pictures_are_what_the_stacks_register() -> None:
    """docs/deployment-strategies.md renders each profile's strategy from the compute
    domain's table; every stack file that leaves the strategy to its profile registers a
    service with exactly that strategy (read back from its deploymentConfiguration)."""
    from slipway.deployment_strategy import describe, strategy_of
    from tests.conftest import recorded
    from tooling.offline import STACKS, load_stack_config

    strategy_keys = {
        "slipway:deploymentStrategy",
        "slipway:canaryPercent",
        "slipway:linearStepPercent",
        "slipway:stepIntervalMinutes",
        "slipway:bakeTimeMinutes",
    }
    pictured = docgen.profile_strategies()
    text = docgen.STRATEGIES_MD.read_text()
    checked = 0
    for stack in STACKS:
        config, _ = load_stack_config(stack)
        if strategy_keys & set(config):
            continue
        recording = recorded(stack)
        service = recording.one("aws:ecs/service:Service")
        registered = strategy_of(service.inputs["deploymentConfiguration"])
        assert registered == pictured[config["slipway:profile"]], stack
        assert describe(registered) in text
        checked += 1
    assert checked >= 3


def test_the_strategies_page_is_linked_where_the_docs_are_listed() -> None:
    for listing in (docgen.ROOT / "README.md", docgen.ROOT / "docs" / "index.md"):
        assert "deployment-strategies.md" in listing.read_text(), listing


# --------------------------------------------------------------------------------------------
# What the docs state, against what the code and the stack files do
# --------------------------------------------------------------------------------------------

GUIDE = docgen.ROOT / "docs" / "deployment-guide.md"
STEPS = docgen.ROOT / "components" / "slipway" / "workflows" / "steps"
DOCUMENTS = [
    *sorted((docgen.ROOT / "docs").rglob("*.md")),
    docgen.ROOT / "README.md",
    docgen.ROOT / "bootstrap" / "README.md",
]


def _guide_section(heading: str) -> str:
    """The text of the guide's section under ``heading`` (up to the next heading of its level
    or higher)."""
    text = GUIDE.read_text()
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    ends = [text.find(f"\n{'#' * n} ", start + 1) for n in range(1, len(level) + 1)]
    end = min([e for e in ends if e != -1], default=len(text))
    return text[start:end]


def test_the_guides_resource_counts_are_what_the_plan_counts() -> None:
    """ "The first prod `up` creates about N resources (dev about …)": each figure is within
    10 % of the custom resources the offline plan registers for that stack file (what
    ``make plan`` prints on its ``=== stack`` line)."""
    from tests.conftest import recorded
    from tooling.offline import STACKS

    text = " ".join(GUIDE.read_text().split())
    found = re.search(r"The first (\w+) `up` creates about (\d+) resources \(([^)]*)\)", text)
    assert found, "the guide no longer states what the first up creates"
    stated = {found[1]: int(found[2])}
    stated |= {m[1]: int(m[2]) for m in re.finditer(r"(\w+) about (\d+)", found[3])}
    # A stack file the guide does not name (say, a new qa) is left out, not an error.
    assert set(stated) <= set(STACKS)
    for stack, figure in stated.items():
        counted = sum(1 for r in recorded(stack).resources if r.custom)
        assert abs(figure - counted) <= counted // 10, (stack, figure, counted)


def test_every_slipway_key_the_docs_name_is_a_setting() -> None:
    """A ``slipway:<name>`` in the docs is a setting (or one of the tags the stacks write, a
    component type token ``slipway:index:…`` or the ``secret<Name>`` family): a renamed or
    removed setting leaves no stale key behind."""
    from slipway.image_channel import SHAPE_TAG
    from slipway.stack_boundary import APP_TAG, ENVIRONMENT_TAG

    known = {i.alias for i in all_fields().values()} | {s.key for s in SECRET_SETTINGS}
    tags = {tag.removeprefix("slipway:") for tag in (SHAPE_TAG, APP_TAG, ENVIRONMENT_TAG)}
    # The tags the delivered preview scripts write (their own definitions, docs/previews.md);
    # ``slipway:pull-request`` is matched up to its hyphen.
    library = STEPS / "lib" / "preview.sh"
    tags |= {
        m[1].split("-")[0]
        for m in re.finditer(r'^PREVIEW_\w*TAG="slipway:([a-z-]+)"$', library.read_text(), re.M)
    }
    unknown = sorted(
        f"{path.relative_to(docgen.ROOT)}: slipway:{m[1]}"
        for path in DOCUMENTS
        for m in re.finditer(r"slipway:([A-Za-z][A-Za-z0-9]*)(?![A-Za-z0-9<:])", path.read_text())
        if m[1] not in known | tags
    )
    assert unknown == []


def test_github_owner_is_in_every_stack_file_as_the_guide_says() -> None:
    """The guide says every stack file sets ``github:owner`` to the owner of
    ``githubRepository`` (the provider looks repositories up under it)."""
    from tooling.offline import STACKS, load_stack_config

    assert "| `github:owner` | `acme-corp` | in every stack file: the owner of" in GUIDE.read_text()
    for stack in STACKS:
        config, _ = load_stack_config(stack)
        owner = str(config["slipway:githubRepository"]).split("/")[0]
        assert config.get("github:owner") == owner, stack


def test_the_guides_hosted_zone_commands_make_the_certificate_and_the_alias() -> None:
    """Step 4's recommended path, run as written: its ``pulumi config`` commands applied to
    the stack they name make a stack that plans, with a DNS-validated certificate for
    ``domainName``, the validation record and the wait in the zone, the certificate on the
    HTTPS listener and the alias record (so step 6 has nothing left to do)."""
    from tests.conftest import recorded
    from tooling.offline import load_stack_config

    section = _guide_section("## 4. TLS certificates")
    commands = re.findall(r"^pulumi config (set|rm) (\w+) ?(\S*)? --stack (\w+)", section, re.M)
    (stack,) = {command[3] for command in commands}
    overrides: dict[str, str | None] = {
        key: (value if verb == "set" else None) for verb, key, value, _ in commands
    }
    assert set(overrides) == {"hostedZoneId", "domainName", "certificateArn"}
    assert overrides["certificateArn"] is None
    assert "certificateArn" in str(load_stack_config(stack)[0])  # the rm has something to do
    recording = recorded(stack, overrides=overrides)
    domain, zone = overrides["domainName"], overrides["hostedZoneId"]
    certificate = recording.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["domainName"] == domain
    assert certificate.inputs["validationMethod"] == "DNS"
    recording.one("aws:acm/certificateValidation:CertificateValidation")
    records = {r.inputs["type"]: r.inputs for r in recording.of_type("aws:route53/record:Record")}
    assert records["A"]["name"] == domain
    assert {r["zoneId"] for r in records.values()} == {zone}
    assert "aliases" in records["A"]
    https = [
        listener.inputs
        for listener in recording.of_type("aws:lb/listener:Listener")
        if listener.inputs.get("protocol") == "HTTPS"
    ]
    assert https
    assert all(listener.get("certificateArn") for listener in https)


def test_the_docs_ask_to_create_no_environment_by_hand() -> None:
    """Every stack file with ``githubInfraRepository`` creates its environments of that
    repository, each with the role variable its jobs read: ``infra-<env>`` (the apply role),
    ``infra-preview-<env>`` and ``infra-drift-<env>`` (the stack's own preview role). So the docs
    (the runbook for a new environment included) never ask for one by hand."""
    from slipway.workflows.infra_pipeline import INFRA_ENVIRONMENT_PREFIX, InfraPipelineSpec
    from tests.conftest import recorded
    from tooling.offline import STACKS, load_stack_config

    asked = {
        m[1]
        for path in DOCUMENTS
        for m in re.finditer(
            r"[Cc]reate (?:the GitHub environment )?`([\w<>-]+)`",
            " ".join(path.read_text().split()),
        )
    }
    assert asked == set()
    pipeline = InfraPipelineSpec(stacks=STACKS)
    creating = 0
    for stack in STACKS:
        infra = load_stack_config(stack)[0].get("slipway:githubInfraRepository")
        recording = recorded(stack)
        made = {
            (r.inputs["repository"], r.inputs["environment"])
            for r in recording.of_type("github:index/repositoryEnvironment:RepositoryEnvironment")
        }
        variables = {
            (r.inputs["environment"], r.inputs["variableName"])
            for r in recording.of_type(
                "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
            )
        }
        env = recording.outputs["githubEnvironment"]
        if infra is None:
            continue
        repository = str(infra).split("/")[1]
        for environment, variable in (
            (f"{INFRA_ENVIRONMENT_PREFIX}{env}", "AWS_INFRA_ROLE_ARN"),
            (f"{pipeline.preview_environment_prefix}{env}", "AWS_PREVIEW_ROLE_ARN"),
            (pipeline.drift_environment(env), "AWS_PREVIEW_ROLE_ARN"),
        ):
            assert (repository, environment) in made, (stack, environment)
            assert (environment, variable) in variables, (stack, environment)
        creating += 1
    assert creating >= 1
