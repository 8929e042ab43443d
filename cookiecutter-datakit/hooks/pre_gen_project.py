"""Validate the template options before anything is rendered.

Cookiecutter renders this file with Jinja, then runs it; a non-zero exit makes cookiecutter
delete the half-made project directory, so a bad value leaves nothing behind. Every
problem is reported at once, each naming the option, the value and what was expected.
Values are inserted with ``tojson`` so quotes in a value cannot break this script.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

OPTIONS = {
    "project_name": {{ cookiecutter.project_name | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "owner_email": {{ cookiecutter.owner_email | tojson }},
    "dag_owner": {{ cookiecutter.dag_owner | tojson }},
    "use_sqlserver_kerberos": {{ cookiecutter.use_sqlserver_kerberos | tojson }},
    "join_platform_network": {{ cookiecutter.join_platform_network | tojson }},
    "runtime_image": {{ cookiecutter.runtime_image | tojson }},
    "runtime_version": {{ cookiecutter.runtime_version | tojson }},
    "provider_source": {{ cookiecutter.provider_source | tojson }},
    "provider_wheel": {{ cookiecutter.provider_wheel | tojson }},
    "provider_index_url": {{ cookiecutter.provider_index_url | tojson }},
    "provider_version": {{ cookiecutter.provider_version | tojson }},
    "provider_git_url": {{ cookiecutter.provider_git_url | tojson }},
    "provider_git_commit": {{ cookiecutter.provider_git_commit | tojson }},
    "local_postgres_port": {{ cookiecutter.local_postgres_port | tojson }},
    "local_api_server_port": {{ cookiecutter.local_api_server_port | tojson }},
}

SLUG = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
DAG_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Astro Runtime for Airflow 3 is versioned <airflow major.minor>-<release>, e.g. 3.3-2;
# an optional -python-3.x suffix picks another Python build of the same release.
RUNTIME_VERSION = re.compile(r"^3\.\d+-\d+(-python-3\.\d+)?$")
# registry[:port]/path, lower case, no tag (the tag is runtime_version).
RUNTIME_IMAGE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+$")
# PEP 440 public versions, with the local part setuptools-scm adds between releases
# (0.2.1.dev3+g1a2b3c4): `make dist` builds such versions from untagged commits.
PROVIDER_VERSION = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9]+(\.[a-z0-9]+)*)?$")
INDEX_URL = re.compile(r"^https?://[^\s/@]+(/[^\s]*)?$")
# https:// and file:// without user; ssh:// with a user name but never a password.
GIT_URL = re.compile(r"^(https://[^\s/@]+/[^\s@]+|ssh://([A-Za-z0-9._-]+@)?[^\s/@:]+(:\d+)?/[^\s@]+|file:///[^\s@]+)$")
GIT_COMMIT = re.compile(r"^[0-9a-f]{40}$")
WHEEL_NAME = re.compile(r"^airflow_provider_openmetadata_platform-[^-]+-py3-none-any\.whl$")
YES_NO = ("yes", "no")
# Which options belong to which provider_source: the others must stay blank.
SOURCE_OPTIONS = {
    "wheel": ("provider_wheel",),
    "index": ("provider_index_url", "provider_version"),
    "git": ("provider_git_url", "provider_git_commit"),
}
# Astro CLI defaults (astro-cli config/config.go: postgres.port 5432, api-server.port 8080):
# the reason these options exist is to move away from them.
ASTRO_DEFAULT_PORTS = {"5432", "8080"}


def shown(value: str) -> str:
    """``value`` for a message: never echo credentials someone put in a URL."""
    return repr(re.sub(r"//[^/@\s]*@", "//***@", value))


def problems(options: dict) -> list[str]:
    """Return one message per invalid option (empty when all are valid)."""
    found = []

    def check(name: str, ok: bool, expected: str) -> None:
        if not ok:
            found.append(f"{name}={shown(str(options[name]))}: expected {expected}")

    values = {name: str(value) for name, value in options.items()}
    check(
        "project_name",
        bool(values["project_name"].strip()) and "\n" not in values["project_name"],
        "a non-empty, single-line name",
    )
    check(
        "project_slug",
        bool(SLUG.match(values["project_slug"])),
        "lower-case letters, digits and '_', starting with a letter, 2-41 characters "
        "(^[a-z][a-z0-9_]{1,40}$), e.g. 'sales_reporting'",
    )
    check("owner_email", bool(EMAIL.match(values["owner_email"])), "an e-mail address like 'data-team@example.com'")
    check(
        "dag_owner",
        bool(DAG_OWNER.match(values["dag_owner"])) and values["dag_owner"] != "airflow",
        "a team or person name of letters, digits, '_', '.', '-' (not Airflow's default 'airflow')",
    )
    for name in ("use_sqlserver_kerberos", "join_platform_network"):
        check(name, values[name] in YES_NO, "'yes' or 'no'")
    check(
        "runtime_version",
        bool(RUNTIME_VERSION.match(values["runtime_version"])),
        "an Astro Runtime version for Airflow 3 like '3.3-2' (Runtime 12.x and older run Airflow 2, "
        "which this platform does not support)",
    )
    check(
        "runtime_image",
        bool(RUNTIME_IMAGE.match(values["runtime_image"])),
        "an image name without tag, e.g. 'astrocrpublic.azurecr.io/runtime' or a mirror such as "
        "'artifactory.example.com/astro/runtime' (the tag comes from runtime_version)",
    )
    found.extend(provider_problems(values, check))
    for name in ("local_postgres_port", "local_api_server_port"):
        value = values[name]
        check(
            name,
            value.isdigit() and 1024 <= int(value) <= 65535 and value not in ASTRO_DEFAULT_PORTS,
            "a port number 1024-65535 other than Astro's defaults 5432 and 8080 (they clash with "
            "other local PostgreSQL and Airflow servers), e.g. '25432'",
        )
    if values["local_postgres_port"] == values["local_api_server_port"]:
        found.append(
            f"local_api_server_port={values['local_api_server_port']!r}: "
            "expected a port other than local_postgres_port's"
        )
    return found


def provider_problems(values: dict[str, str], check) -> list[str]:
    """Check the provider_* options for the chosen provider_source; return extra messages."""
    source = values["provider_source"]
    if source not in SOURCE_OPTIONS:
        return [f"provider_source={source!r}: expected 'wheel', 'index' or 'git'"]
    extra = []
    for other, names in SOURCE_OPTIONS.items():
        for name in names:
            if other != source and values[name]:
                extra.append(
                    f"{name}={shown(values[name])}: only used with provider_source={other!r}; "
                    f"leave it blank with provider_source={source!r}"
                )
    if source == "wheel" and values["provider_wheel"]:
        wheel = Path(values["provider_wheel"])
        check(
            "provider_wheel",
            wheel.is_absolute() and wheel.is_file() and bool(WHEEL_NAME.match(wheel.name)),
            "blank, or the absolute path of an existing "
            "airflow_provider_openmetadata_platform-<version>-py3-none-any.whl "
            "(`make dist` in the platform repository writes it to dist/)",
        )
    elif source == "index":
        check(
            "provider_index_url",
            bool(INDEX_URL.match(values["provider_index_url"])),
            "your private index's http(s) URL without credentials, e.g. 'https://pypi.internal.example.com/simple' "
            "(a proxy that also serves PyPI; put credentials in pip.conf/.netrc, never in the project)",
        )
        check(
            "provider_version",
            bool(PROVIDER_VERSION.match(values["provider_version"])),
            "the published version of airflow-provider-openmetadata-platform to pin, like '0.2.0'",
        )
    elif source == "git":
        check(
            "provider_git_url",
            bool(GIT_URL.match(values["provider_git_url"])),
            "the platform repository's https://, ssh:// or file:// URL without a password, e.g. "
            "'https://git.example.com/data/openmetadata-platform.git' (credentials go in git's credential helper)",
        )
        check(
            "provider_git_commit",
            bool(GIT_COMMIT.match(values["provider_git_commit"])),
            "a full 40-character commit hash (`git rev-parse HEAD`): a branch or tag can move, a commit cannot",
        )
    return extra


def main() -> int:
    """Print every problem to stderr; exit 1 if there is any."""
    found = problems(OPTIONS)
    if found:
        print("cookiecutter-datakit: invalid template options:", file=sys.stderr)
        for message in found:
            print(f"  - {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
