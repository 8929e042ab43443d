"""Validate the template options before anything is rendered.

Cookiecutter renders this file with Jinja, then runs it; a non-zero exit makes cookiecutter
delete the half-made project directory, so a bad value leaves nothing behind. Every
problem is reported at once, each naming the option, the value and what was expected.
Values are inserted with ``tojson`` so quotes in a value cannot break this script.
"""

from __future__ import annotations

import re
import sys

OPTIONS = {
    "project_name": {{ cookiecutter.project_name | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "owner_email": {{ cookiecutter.owner_email | tojson }},
    "dag_owner": {{ cookiecutter.dag_owner | tojson }},
    "use_sqlserver_kerberos": {{ cookiecutter.use_sqlserver_kerberos | tojson }},
    "join_platform_network": {{ cookiecutter.join_platform_network | tojson }},
    "runtime_image": {{ cookiecutter.runtime_image | tojson }},
    "runtime_version": {{ cookiecutter.runtime_version | tojson }},
    "provider_version": {{ cookiecutter.provider_version | tojson }},
    "pip_extra_index_url": {{ cookiecutter.pip_extra_index_url | tojson }},
}

SLUG = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
DAG_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Astro Runtime for Airflow 3 is versioned <airflow major.minor>-<release>, e.g. 3.3-2;
# an optional -python-3.x suffix picks another Python build of the same release.
RUNTIME_VERSION = re.compile(r"^3\.\d+-\d+(-python-3\.\d+)?$")
# registry[:port]/path, lower case, no tag (the tag is runtime_version).
RUNTIME_IMAGE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+$")
PROVIDER_VERSION = re.compile(r"^\d+\.\d+\.\d+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")
INDEX_URL = re.compile(r"^https?://[^\s/@]+(/[^\s]*)?$")
YES_NO = ("yes", "no")


def problems(options: dict) -> list[str]:
    """Return one message per invalid option (empty when all are valid)."""
    found = []

    def check(name: str, ok: bool, expected: str) -> None:
        if not ok:
            # Never echo credentials someone put in a URL.
            shown = re.sub(r"//[^/@\s]*@", "//***@", str(options[name]))
            found.append(f"{name}={shown!r}: expected {expected}")

    values = {name: str(value) for name, value in options.items()}
    check("project_name", bool(values["project_name"].strip()) and "\n" not in values["project_name"],
          "a non-empty, single-line name")
    check("project_slug", bool(SLUG.match(values["project_slug"])),
          "lower-case letters, digits and '_', starting with a letter, 2-41 characters "
          "(^[a-z][a-z0-9_]{1,40}$), e.g. 'sales_reporting'")
    check("owner_email", bool(EMAIL.match(values["owner_email"])),
          "an e-mail address like 'data-team@example.com'")
    check("dag_owner", bool(DAG_OWNER.match(values["dag_owner"])) and values["dag_owner"] != "airflow",
          "a team or person name of letters, digits, '_', '.', '-' (not Airflow's default 'airflow')")
    for name in ("use_sqlserver_kerberos", "join_platform_network"):
        check(name, values[name] in YES_NO, "'yes' or 'no'")
    check("runtime_version", bool(RUNTIME_VERSION.match(values["runtime_version"])),
          "an Astro Runtime version for Airflow 3 like '3.3-2' (Runtime 12.x and older run Airflow 2, "
          "which this platform does not support)")
    check("runtime_image", bool(RUNTIME_IMAGE.match(values["runtime_image"])),
          "an image name without tag, e.g. 'astrocrpublic.azurecr.io/runtime' or a mirror such as "
          "'artifactory.example.com/astro/runtime' (the tag comes from runtime_version)")
    check("provider_version", bool(PROVIDER_VERSION.match(values["provider_version"])),
          "a release version like '0.1.0' of airflow-provider-openmetadata-platform")
    url = values["pip_extra_index_url"]
    check("pip_extra_index_url", url == "" or bool(INDEX_URL.match(url)),
          "blank, or an http(s) index URL without credentials, e.g. "
          "'https://pypi.internal.example.com/simple' (put credentials in pip.conf/.netrc, never in the project)")
    return found


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
