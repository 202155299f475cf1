"""The container deployment stays in step with the code: every service is in docker-compose.yml,
runs its own module, and the file is valid for the compose CLI (where one is installed)."""

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _service_packages() -> dict[str, str]:
    """Every member under services/: its package name -> its module."""
    found = {}
    for pyproject in sorted(ROOT.glob("services/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text())
        found[project["project"]["name"]] = project["tool"]["uv"]["build-backend"]["module-name"]
    return found


def test_every_service_is_deployed_with_its_own_module() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for package, module in _service_packages().items():
        assert package in compose["services"], f"{package} missing from docker-compose.yml"
        args = compose["services"][package]["build"]["args"]
        assert args == {"PACKAGE": package, "MODULE": module}
    dockerfile = ROOT / compose["services"]["order-intake"]["build"]["dockerfile"]
    assert dockerfile.exists()


def _compose_cli() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return None


def test_compose_file_is_valid() -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no compose CLI on this machine (.ci/run installs one)")
    result = subprocess.run(
        [*cli, "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
