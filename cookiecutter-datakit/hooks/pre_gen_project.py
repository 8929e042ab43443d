"""Validate the template options before anything is rendered.

Cookiecutter renders this file with Jinja, then runs it; a non-zero exit makes cookiecutter
delete the half-made project directory, so a bad value leaves nothing behind. Every
problem is reported at once, each naming the option, the value and what was expected.
The options arrive as JSON (``tojson``) in a raw string, so quotes in a value cannot break
this script.

It is also the one place of the project_slug rule for `make datakit`, which runs this file
as it is (unrendered, standard library only) before building anything:
``python3 hooks/pre_gen_project.py --project-slug VALUE [--option NAME]`` prints one line and
exits 2 if VALUE is no slug, and reads no template option.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

# Filled in by cookiecutter. JSON escapes every double quote inside a string and never puts
# two strings side by side, so it cannot hold the three quotes that would close this raw
# string. Only main() reads it, so the unrendered file runs too (`make datakit`).
RENDERED_OPTIONS = r"""{{ cookiecutter | tojson }}"""
OPTION_NAMES = (
    "project_name",
    "project_slug",
    "owner_email",
    "dag_owner",
    "use_sqlserver_kerberos",
    "join_platform_network",
    "runtime_image",
    "runtime_version",
    "provider_source",
    "provider_wheel",
    "provider_index_url",
    "provider_version",
    "provider_git_url",
    "provider_git_commit",
    "local_postgres_port",
    "local_api_server_port",
)

SLUG = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
SLUG_EXPECTED = "lower-case letters, digits and '_', starting with a letter, 2-41 characters (^[a-z][a-z0-9_]{1,40}$)"
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
        f"{SLUG_EXPECTED}, e.g. {suggested_slug(values['project_slug'])!r}",
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


def suggested_slug(value: str) -> str:
    """A slug made from ``value`` ('Sales Reporting' -> 'sales_reporting'), else an example one."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_only.lower()).strip("_")
    if slug[:1].isdigit():
        slug = f"kit_{slug}"
    slug = slug[:41].rstrip("_")
    return slug if SLUG.match(slug) else "sales_reporting"


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


def slug_only(value: str, option: str) -> int:
    """``--project-slug``: one line on stderr and exit 2 if ``value`` is no slug (`make datakit`)."""
    if SLUG.match(value):
        return 0
    print(
        f"error: {option}={shown(value)}: expected a project slug: {SLUG_EXPECTED}, "
        f"e.g. {option}={suggested_slug(value)}",
        file=sys.stderr,
    )
    return 2


def main(argv: list[str] | None = None) -> int:
    """Print every problem to stderr; exit 1 if there is any (2: usage, or a bad --project-slug)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-slug", metavar="VALUE", help="check only this slug; read no template option")
    parser.add_argument("--option", default="project_slug", help="the name to give VALUE in the message")
    args = parser.parse_args(argv)
    if args.project_slug is not None:
        return slug_only(args.project_slug, args.option)
    try:
        context = json.loads(RENDERED_OPTIONS)
    except json.JSONDecodeError:
        parser.error("this copy was not rendered by cookiecutter: check a slug with --project-slug VALUE")
    found = problems({name: context[name] for name in OPTION_NAMES})
    if found:
        print("cookiecutter-datakit: invalid template options:", file=sys.stderr)
        for message in found:
            print(f"  - {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
