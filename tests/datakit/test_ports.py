"""A kit starts beside the platform: the host ports of `astro dev start` (the kit's
.astro/config.yaml) and the platform's default host ports (platform-bootstrap's settings) are
disjoint, and neither uses the Astro CLI's defaults. Both configurations are read, not copied."""

from __future__ import annotations

import sys

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.datakit.conftest import COMBINATIONS

# The Astro CLI's defaults, which a plain `astro dev init` project uses: astro-cli
# config/config.go, newCfg("postgres.port", "5432") and newCfg("api-server.port", "8080").
ASTRO_DEFAULTS = {"postgres": 5432, "api-server": 8080}


@pytest.fixture(scope="module")
def platform_ports() -> dict[str, int]:
    sys.path.insert(0, str(REPO_ROOT / "platform-bootstrap"))
    from platform_bootstrap.settings import DEFAULT_PORTS

    return dict(DEFAULT_PORTS)


def kit_ports(project) -> dict[str, int]:
    """The host ports the Astro CLI publishes for this project (its .astro/config.yaml)."""
    config = yaml.safe_load((project / ".astro" / "config.yaml").read_text())
    return {component: int(config[component]["port"]) for component in ("postgres", "api-server")}


@pytest.mark.parametrize("name", list(COMBINATIONS))
def test_kit_ports_clash_with_neither_the_platform_nor_astros_defaults(name, rendered, platform_ports):
    ports = kit_ports(rendered[name])
    assert len(set(ports.values())) == 2, ports
    clashes = {k: v for k, v in ports.items() if v in platform_ports.values()}
    assert not clashes, f"kit ports {clashes} are platform ports {platform_ports}"
    assert not set(ports.values()) & set(ASTRO_DEFAULTS.values()), ports


def test_platform_defaults_avoid_astros_defaults(platform_ports):
    """So that even a kit without our .astro/config.yaml (plain `astro dev init`) starts beside it."""
    assert not set(platform_ports.values()) & set(ASTRO_DEFAULTS.values()), platform_ports


@pytest.mark.parametrize("name", list(COMBINATIONS))
def test_kit_readme_states_the_ports_it_uses(name, rendered):
    project = rendered[name]
    readme = (project / "README.md").read_text()
    ports = kit_ports(project)
    assert f"http://localhost:{ports['api-server']}" in readme
    assert f"| `{ports['postgres']}` |" in readme and f"-p {ports['postgres']} " in readme
