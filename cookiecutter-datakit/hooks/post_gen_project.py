"""Drop the files the chosen options do not need (cookiecutter has no conditional files)."""

from __future__ import annotations

from pathlib import Path

JOIN_PLATFORM_NETWORK = {{ cookiecutter.join_platform_network | tojson }} == "yes"


def main() -> None:
    """Remove the compose override unless the datakit joins the platform's network."""
    if not JOIN_PLATFORM_NETWORK:
        Path("docker-compose.override.yml").unlink()


if __name__ == "__main__":
    main()
