"""The provider's distribution: `make dist` builds an sdist and a wheel whose version comes from
git; the wheel, rendered into a kit, installs from include/wheels/ alone into a fresh venv
(the Dockerfile's own command), where the DagBag loads and the kit's tests pass."""

from __future__ import annotations

import email
import json
import re
import shlex
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import REPO_ROOT
from tests.datakit.checkout import commit_all, git, snapshot_checkout
from tests.datakit.conftest import (
    PROVIDER_DIST,
    WHEEL_PREFIX,
    clean_env,
    render,
    requirement_lines,
    run,
    summary_counts,
    wheel_metadata,
)

CONSTRAINTS = REPO_ROOT / "constraints.txt"


def sdist_version(sdist: Path) -> str:
    with tarfile.open(sdist) as archive:
        (member,) = [m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")]
        return email.message_from_bytes(archive.extractfile(member).read())["Version"]


def dist_version(dist_dir: Path) -> str:
    (wheel,) = dist_dir.glob(f"{WHEEL_PREFIX}*.whl")
    return wheel_metadata(wheel)["Version"]


def dockerfile_runs(project: Path) -> list[str]:
    """The shell commands of the Dockerfile's RUN instructions (continuation lines joined)."""
    text = (project / "Dockerfile").read_text().replace("\\\n", " ")
    return [line[len("RUN ") :].strip() for line in text.splitlines() if line.startswith("RUN ")]


def test_make_dist_builds_an_sdist_and_a_wheel_versioned_from_git(provider_dist):
    version = wheel_metadata(provider_dist["wheel"])["Version"]
    assert sdist_version(provider_dist["sdist"]) == version
    assert provider_dist["wheel"].name == f"{WHEEL_PREFIX}{version}-py3-none-any.whl"
    Version(version)  # PEP 440, or this raises
    head = git("rev-parse", "HEAD").strip()
    tagged = git("tag", "--points-at", "HEAD").strip()
    # setuptools-scm: exactly the tag's version on a tagged commit, else the commit in the local part.
    assert tagged or re.search(rf"\+g{head[:7]}", version), (version, head)
    with zipfile.ZipFile(provider_dist["wheel"]) as archive:
        names = archive.namelist()
    assert "openmetadata_platform/__init__.py" in names and "openmetadata_platform/plugins/listener.py" in names
    assert not [n for n in names if n.startswith(("tests/", "dags/"))]


def test_the_version_changes_with_the_code(tmp_path):
    """In a copy of the repository: a tag gives its release version, a commit after it a later one."""
    checkout = snapshot_checkout(tmp_path / "repo")
    commit_all(checkout, "snapshot of the working tree")
    git("tag", "v7.1.0", cwd=checkout)

    def make_dist(out: str) -> str:
        result = run(["make", "-s", "--no-print-directory", "dist", f"DIST_DIR={out}"], checkout, clean_env())
        assert result.returncode == 0, result.stdout + result.stderr
        return dist_version(checkout / out)

    assert make_dist("dist-tag") == "7.1.0"
    readme = checkout / "provider" / "README.md"
    readme.write_text(readme.read_text() + "\nA change.\n")
    head = commit_all(checkout, "change the provider")
    after = make_dist("dist-next")
    assert Version(after) > Version("7.1.0")
    assert after.startswith("7.1.1.dev1+g") and head.startswith(after.split("+g")[1][:7]), after


def test_installed_version_is_the_distributions_everywhere():
    """__version__, get_provider_info() and Airflow's ProvidersManager agree with the installed metadata."""
    import openmetadata_platform
    from airflow.providers_manager import ProvidersManager

    installed = metadata.version(PROVIDER_DIST)
    assert openmetadata_platform.__version__ == installed
    assert openmetadata_platform.get_provider_info()["versions"] == [installed]
    assert ProvidersManager().providers[PROVIDER_DIST].version == installed


PROBE = """
import json, sys
from importlib import metadata
import openmetadata_platform
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({
    "version": metadata.version("airflow-provider-openmetadata-platform"),
    "module_version": openmetadata_platform.__version__,
    "provider_info_versions": openmetadata_platform.get_provider_info()["versions"],
    "module_file": openmetadata_platform.__file__,
    "dags": sorted(bag.dags),
    "import_errors": {k: str(v) for k, v in bag.import_errors.items()},
}))
"""


def test_the_wheel_installs_from_include_wheels_only_and_the_kit_works(wheel_kit, provider_dist, fresh_venv, tmp_path):
    """The Dockerfile's RUN command, as written, in a fresh venv (constraints applied, no index)."""
    venv = fresh_venv()
    (command,) = dockerfile_runs(wheel_kit)
    env = clean_env(tmp_path / "airflow-home")
    env.update(PATH=f"{venv / 'bin'}:{env['PATH']}", PIP_CONSTRAINT=str(CONSTRAINTS))
    result = run(["sh", "-c", command], wheel_kit, env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    version = wheel_metadata(provider_dist["wheel"])["Version"]
    assert f"Successfully installed {PROVIDER_DIST}-{version}" in result.stdout, result.stdout[-2000:]

    python = str(venv / "bin" / "python")
    probe = run([python, "-c", PROBE, str(wheel_kit / "dags")], wheel_kit, env)
    assert probe.returncode == 0, probe.stderr[-3000:]
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["version"] == seen["module_version"] == version
    assert seen["provider_info_versions"] == [version]
    assert seen["module_file"].startswith(str(venv)), "the provider was imported from elsewhere"
    assert seen["import_errors"] == {}
    assert seen["dags"] == ["my_datakit__example_daily_rentals"]

    check = run([python, "-m", "pip", "check"], wheel_kit, env)
    assert not [line for line in check.stdout.splitlines() if line.lower().startswith(PROVIDER_DIST)], check.stdout

    kit_env = {k: v for k, v in env.items() if k != "AIRFLOW_HOME"}
    tests = run([python, "-m", "pytest", "-q"], wheel_kit, kit_env)
    assert tests.returncode == 0 and summary_counts(tests) == {"passed": 7}, tests.stdout[-3000:]


def test_without_a_wheel_the_image_build_stops_with_the_fix(rendered, fresh_venv, tmp_path):
    project = rendered["defaults"]  # provider_source=wheel, no wheel given
    assert not list((project / "include" / "wheels").glob("*.whl"))
    venv = fresh_venv()
    (command,) = dockerfile_runs(project)
    env = clean_env()
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    result = run(["sh", "-c", command], project, env)
    assert result.returncode == 1
    assert "include/wheels/ holds no airflow_provider_openmetadata_platform wheel" in result.stderr
    assert "make dist" in result.stderr


@pytest.mark.parametrize("kerberos", ["no", "yes"])
def test_wheel_kits_requirements_bring_every_dependency_of_the_wheel(provider_dist, kerberos, tmp_path):
    """The Dockerfile installs the wheel with --no-index: requirements.txt must already bring all
    its dependencies (Airflow is the runtime's), in versions the wheel accepts."""
    project = render(tmp_path, use_sqlserver_kerberos=kerberos)
    kit = {Requirement(line).name.lower(): Requirement(line) for line in requirement_lines(project)}
    extras = {"kerberos"} if kerberos == "yes" else set()
    needed = [
        Requirement(text)
        for text in wheel_metadata(provider_dist["wheel"]).get_all("Requires-Dist")
        if not Requirement(text).marker or any(Requirement(text).marker.evaluate({"extra": e}) for e in extras)
    ]
    assert needed, "the wheel declares no dependency?"
    for requirement in needed:
        if requirement.name == "apache-airflow":
            continue
        ours = kit.get(requirement.name.lower())
        assert ours is not None, f"{requirement} missing from requirements.txt"
        assert requirement.extras <= ours.extras, (requirement, ours)
        pins = [spec.version for spec in ours.specifier if spec.operator == "=="]
        if pins:
            assert requirement.specifier.contains(pins[0], prereleases=True), (requirement, ours)
        else:
            assert ours.specifier == requirement.specifier, (requirement, ours)


def test_make_datakit_renders_a_kit_with_the_wheel_and_prints_the_next_steps(provider_dist, tmp_path):
    dist = provider_dist["wheel"].parent
    result = run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "datakit",
            "NAME=sales_reporting",
            f"DIST_DIR={dist}",
            f"DATAKIT_OUTPUT={tmp_path}",
            "DATAKIT_OPTIONS=use_sqlserver_kerberos=yes owner_email=sales@corp.example.com",
        ],
        REPO_ROOT,
        clean_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "sales_reporting"
    wheels = sorted(p.name for p in (project / "include" / "wheels").glob("*.whl"))
    assert wheels == [provider_dist["wheel"].name]
    assert '"airflow-provider-openmetadata-platform[kerberos]"' in dockerfile_runs(project)[0]
    assert "sales@corp.example.com" in (project / "README.md").read_text()
    for step in (f"cd {project}", "cp .env.example .env", "astro dev start", "http://localhost:28080"):
        assert step in result.stdout, result.stdout


def test_make_datakit_needs_a_name():
    result = run(["make", "-s", "--no-print-directory", "datakit"], REPO_ROOT, clean_env())
    assert result.returncode == 2
    assert "NAME=<project slug> is required" in result.stderr
    assert not shlex.split(result.stdout), "it must stop before building anything"


@pytest.mark.parametrize(
    ("name", "suggested"), [("Sales Reporting", "sales_reporting"), ("Équipe-Finance 2", "equipe_finance_2")]
)
def test_make_datakit_rejects_a_name_that_is_no_slug_in_one_line_before_building(name, suggested, tmp_path):
    """It built the wheel, then printed cookiecutter's 15-line traceback."""
    dist, output = tmp_path / "dist", tmp_path / "kits"
    make = ["make", "-s", "--no-print-directory", "datakit", f"NAME={name}"]
    result = run([*make, f"DIST_DIR={dist}", f"DATAKIT_OUTPUT={output}"], REPO_ROOT, clean_env(), timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    # One line of ours; make's own "make: *** [Makefile:NN: datakit] Error 2" follows any failed recipe.
    lines = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\* ", line)]
    assert len(lines) == 1, result.stderr
    assert f"NAME={name!r}" in lines[0] and "^[a-z][a-z0-9_]{1,40}$" in lines[0], lines[0]
    assert f"e.g. NAME={suggested}" in lines[0], lines[0]
    assert not shlex.split(result.stdout), "it must stop before building anything"
    assert not dist.exists() and not output.exists()
