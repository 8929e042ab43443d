"""Finish the rendered project: drop files the options do not need, copy the provider wheel,
print the next steps. Runs in the new project's directory (cookiecutter's working directory
for hooks); a failure here makes cookiecutter delete the project.
"""

from __future__ import annotations

import shutil
from pathlib import Path

JOIN_PLATFORM_NETWORK = {{ cookiecutter.join_platform_network | tojson }} == "yes"
PROVIDER_SOURCE = {{ cookiecutter.provider_source | tojson }}
PROVIDER_WHEEL = {{ cookiecutter.provider_wheel | tojson }}
PROJECT_SLUG = {{ cookiecutter.project_slug | tojson }}
API_SERVER_PORT = {{ cookiecutter.local_api_server_port | tojson }}
POSTGRES_PORT = {{ cookiecutter.local_postgres_port | tojson }}
WHEELS = Path("include") / "wheels"
# Tool caches a template checkout may hold (ruff, pytest, Python): never part of a new project.
CACHES = (".ruff_cache", ".pytest_cache", "__pycache__")


def main() -> None:
    """Remove what the options exclude (cookiecutter has no conditional files), copy the wheel."""
    for cache in [p for name in CACHES for p in Path().rglob(name) if p.is_dir()]:
        shutil.rmtree(cache, ignore_errors=True)
    if not JOIN_PLATFORM_NETWORK:
        Path("docker-compose.override.yml").unlink()
    if PROVIDER_SOURCE != "wheel":
        shutil.rmtree(WHEELS)
    elif PROVIDER_WHEEL:
        # Checked by pre_gen_project.py: an existing provider wheel, absolute path.
        shutil.copy2(PROVIDER_WHEEL, WHEELS / Path(PROVIDER_WHEEL).name)
    print(next_steps())


def next_steps() -> str:
    """What to do now, as printed after rendering (also by `make datakit`)."""
    project = Path.cwd()
    lines = [f"Rendered the datakit {PROJECT_SLUG} in {project}"]
    if PROVIDER_SOURCE == "wheel":
        wheels = sorted(p.name for p in WHEELS.glob("*.whl"))
        if wheels:
            lines.append(f"  provider: include/wheels/{wheels[0]} (installed by the Dockerfile, no index involved)")
        else:
            lines.append(
                "  provider: include/wheels/ is EMPTY: copy the provider wheel there before `astro dev start` "
                "(in the platform repository: `make dist`, then dist/*.whl)"
            )
    else:
        lines.append(f"  provider: from the {PROVIDER_SOURCE} named in requirements.txt")
    lines += [
        "Next steps (README.md, 'From the demo to this kit', has the whole walk):",
        f"  cd {project}",
        "  cp .env.example .env        # then paste OPENMETADATA_JWT_TOKEN from the platform's platform-bootstrap/.env",
        f"  astro dev start             # Airflow UI http://localhost:{API_SERVER_PORT}, "
        f"its PostgreSQL localhost:{POSTGRES_PORT}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
