"""What the docs say about the code stays true.

- ``docs/architecture.md``'s "Import directions" list is every import between the provider's
  parts, read from the code with ``ast`` (imports inside functions too), both ways: a direction
  the code has and the list lacks fails, and so does one the list keeps after the code dropped it.
  The parts' imports have no cycle, nothing in the provider imports ``platform_bootstrap``, and
  no product code imports ``tests``.
- The README's command for the lineage settings shows their default values on the pinned Airflow.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGE = "openmetadata_platform"
PACKAGE_DIR = REPO_ROOT / "provider" / PACKAGE
ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"
SECTION = "## Import directions"
# ``- `a`, `b/c.py` -> `d`, `e`: note`` or ``- `a` -> nothing: note`` (the note may wrap).
NAMES = r"`[^`]+`(?:, `[^`]+`)*"
BULLET = re.compile(rf"^- (?P<sources>{NAMES}) -> (?P<targets>nothing|{NAMES})(?:: .*)?$")
PRODUCT_DIRS = ("provider", "dags", "platform-bootstrap", "cookiecutter-datakit")


def _names(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def documented_directions(text: str) -> dict[str, set[str]]:
    """``{source: targets}`` from the section's bullets; a source is a part (``lineage``) or a
    file of the package (``operators/lineage.py``, ``__init__.py``)."""
    assert f"\n{SECTION}\n" in text, f"{ARCHITECTURE.name} has no {SECTION!r} section"
    lines = text.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0].splitlines()
    directions: dict[str, set[str]] = {}
    for line in lines:
        if not line.startswith("- "):
            continue
        match = BULLET.match(line)
        assert match, f"{ARCHITECTURE.name}: {line!r} is not '- `source` -> `target`, ...: note'"
        targets = set() if match["targets"] == "nothing" else set(_names(match["targets"]))
        for source in _names(match["sources"]):
            assert source not in directions, f"{source} is listed twice"
            directions[source] = targets
    assert directions, f"no bullets under {SECTION!r} in {ARCHITECTURE}"
    return directions


def part_of(relative: Path) -> str:
    """The part a file of the package belongs to: its top folder, or the file itself at the top."""
    return relative.parts[0] if len(relative.parts) > 1 else relative.name


def _target_part(dotted: str) -> str | None:
    """The part an absolute module name of the package belongs to (None: outside the package)."""
    parts = dotted.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1:
        return "__init__.py"
    if (PACKAGE_DIR / parts[1]).is_dir():
        return parts[1]
    return f"{parts[1]}.py"


def _is_module(dotted: str) -> bool:
    """``openmetadata_platform.lineage.bodies``: a module or package of the provider's source tree."""
    path = PACKAGE_DIR.parent.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def imported_modules(path: Path) -> set[str]:
    """The absolute names of the modules ``path`` imports, relative imports resolved:
    ``from package import name`` is ``package.name`` when that is a module, else ``package``."""
    relative = path.relative_to(PACKAGE_DIR.parent)
    package = list(relative.parent.parts)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                names.add(submodule if _is_module(submodule) else module)
    return names


def real_directions() -> dict[Path, set[str]]:
    """``{file relative to the package: the other parts it imports}`` for every file of the package."""
    directions = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR)
        own = part_of(relative)
        targets = set()
        for name in imported_modules(path):
            target = _target_part(name)
            if target and target != own:
                targets.add(target)
        directions[relative] = targets
    return directions


def test_the_import_directions_in_the_architecture_doc_are_the_real_ones():
    documented = documented_directions(ARCHITECTURE.read_text())
    real = real_directions()
    parts = {part_of(relative) for relative in real}
    # Every file is covered by its own entry, else by its part's; each entry's targets are the union
    # of its files' imports.
    covered: dict[str, set[str]] = {source: set() for source in documented}
    uncovered = []
    for relative, targets in real.items():
        entry = relative.as_posix() if relative.as_posix() in documented else part_of(relative)
        if entry in covered:
            covered[entry] |= targets
        elif targets:
            uncovered.append(f"{relative.as_posix()} -> {sorted(targets)}")
    unknown = [source for source in documented if source not in parts and not (PACKAGE_DIR / source).is_file()]
    assert not unknown, f"{ARCHITECTURE.name} lists what is not in {PACKAGE_DIR}: {unknown}"
    listed_parts = {source.split("/")[0] for source in documented}
    assert parts <= listed_parts, f"parts missing from {ARCHITECTURE.name}: {sorted(parts - listed_parts)}"
    assert not uncovered, f"imports between parts that {ARCHITECTURE.name} does not list: {uncovered}"
    wrong = {
        source: {"listed": sorted(documented[source]), "imported": sorted(covered[source])}
        for source in documented
        if documented[source] != covered[source]
    }
    assert not wrong, f"{ARCHITECTURE.name}'s import directions differ from the code: {wrong}"


def test_the_parts_import_each_other_one_way_only():
    graph: dict[str, set[str]] = {}
    for relative, targets in real_directions().items():
        graph.setdefault(part_of(relative), set()).update(targets)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(part for part in graph if reaches(part, part, {part}))
    assert not cycles, f"parts of {PACKAGE} that import themselves back through others: {cycles}"


def test_no_product_code_imports_the_tests_and_the_provider_not_the_platform_tooling():
    offenders = []
    for directory in PRODUCT_DIRS:
        for path in sorted((REPO_ROOT / directory).rglob("*.py")):
            if "{{" in str(path):  # the template's unrendered files are not Python yet
                continue
            try:
                modules = _absolute_imports(path)
            except SyntaxError:  # not Python yet (a template)
                continue
            forbidden = ("tests", "platform_bootstrap") if directory == "provider" else ("tests",)
            offenders += [
                f"{path.relative_to(REPO_ROOT)}: {name}" for name in modules if name.split(".")[0] in forbidden
            ]
    assert not offenders, offenders


def _absolute_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    return names


def test_the_readme_command_for_the_lineage_settings_shows_their_defaults(tmp_path):
    readme = (REPO_ROOT / "README.md").read_text()
    commands = re.findall(r"`(airflow config list --section openmetadata_lineage[^`]*)`", readme)
    assert commands, "the README no longer names the command that lists [openmetadata_lineage]"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(tmp_path)
    for command in commands:
        result = subprocess.run(
            [sys.executable, "-m", *command.split()], capture_output=True, text=True, env=env, timeout=180, check=False
        )
        assert result.returncode == 0, result.stderr[-2000:]
        # Airflow 3.3 prints the defaults' values only with --show-values; without it, blanks.
        assert "# conn_id = openmetadata_default\n" in result.stdout, (command, result.stdout[:2000])
        assert "# pipeline_service_name = airflow\n" in result.stdout, command
