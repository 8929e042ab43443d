"""Reading a governance folder: YAML with line numbers, checked against the shipped JSON Schema.

Layout (see docs/governance.md): ``governance/*.yaml`` (and subfolders), each file either

- one table: ``table: <service.db.schema.table>`` and its fields, or
- one schema: ``schema: <service.db.schema>`` and ``tables: {<name>: {fields}}``,

and optionally ``define:`` (teams, domains, data products, glossaries with terms, access
policies and roles). Contract files
named by ``contract:`` are read by :mod:`.contracts`, not here.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

import yaml

from openmetadata_platform.governance.errors import GovernanceInputError, Problem
from openmetadata_platform.governance.model import (
    DataProductSpec,
    DomainSpec,
    GlossarySpec,
    GovernanceSpec,
    Origin,
    Path,
    PolicySpec,
    RoleSpec,
    SourceFile,
    TableSpec,
    TeamSpec,
    TermSpec,
)

SCHEMA_RESOURCE = "governance.schema.json"
SUFFIXES = (".yaml", ".yml")


@cache
def governance_schema() -> dict:
    """The JSON Schema of a governance file (package data ``governance/schemas/``)."""
    text = resources.files("openmetadata_platform.governance").joinpath("schemas", SCHEMA_RESOURCE).read_text()
    return json.loads(text)


def load_yaml_with_lines(text: str, name: str) -> tuple[Any, SourceFile]:
    """Parse YAML and record the 1-based line of every mapping key and sequence item.

    Args:
        text: the YAML document.
        name: the file name shown in errors.

    Returns:
        ``(data, SourceFile)``; ``data`` as ``yaml.safe_load`` gives it.

    Raises:
        GovernanceInputError: invalid YAML, several documents, or a duplicated key
            (``safe_load`` would silently keep the last one).
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise GovernanceInputError([Problem(name, line, "", f"not valid YAML: {problem}")]) from None
    source = SourceFile(name, {(): 1})
    problems: list[Problem] = []

    def walk(current: yaml.Node, path: Path) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = key_node.value
                if key in seen:
                    problems.append(Problem(name, key_node.start_mark.line + 1, _fmt(path + (key,)), "duplicated key"))
                seen.add(key)
                source.lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                source.lines[path + (index,)] = item.start_mark.line + 1
                walk(item, path + (index,))

    if node is not None:
        walk(node, ())
    if problems:
        raise GovernanceInputError(problems)
    return data, source


def _fmt(path: Path) -> str:
    from openmetadata_platform.governance.model import format_path

    return format_path(path)


def schema_problems(data: Any, source: SourceFile) -> list[Problem]:
    """Every JSON Schema violation of one file, each at the line of the offending field.

    Uses ``jsonschema`` (Draft 2020-12). An unknown key is reported at its own line.
    """
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(governance_schema())
    problems = []
    for error in validator.iter_errors(data):
        path: Path = tuple(error.absolute_path)
        message = error.message
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for key in sorted(k for k in error.instance if k not in allowed):
                expected = ", ".join(sorted(allowed)) or "no other field"
                problems.append(_at(source, path + (key,), f"unknown field; expected one of: {expected}"))
            continue
        if error.validator == "pattern":
            message = f"{error.instance!r} is not valid here: {_pattern_hint(path, error.schema)}"
        elif error.validator == "not" and not path:
            message = "declare either `table:` (one table) or `schema:` with `tables:`, not both"
        problems.append(_at(source, path, message))
    return problems


def _pattern_hint(path: Path, schema: dict) -> str:
    described = schema.get("description")
    if described:
        return f"expected {described}"
    last = next((p for p in reversed(path) if isinstance(p, str)), "")
    if last in ("table", "schema"):
        return "expected a fullyQualifiedName with dots between its parts"
    return f"expected a name matching {schema.get('pattern')}"


def _at(source: SourceFile, path: Path, message: str) -> Problem:
    return Origin(source, path).problem(message)


def parse_file(
    data: dict, source: SourceFile, folder: FsPath, file_path: FsPath, spec: GovernanceSpec
) -> list[Problem]:
    """Add what one schema-valid file declares to ``spec`` (pure; no I/O besides paths).

    Returns:
        The problems the generated OpenMetadata models find in declared policies and roles
        (an unknown operation...); those items are not added.
    """
    problems: list[Problem] = []
    root = Origin(source, ())
    if "table" in data:
        spec.tables.append(_table(data["table"], data, root, file_path, folder))
    for name, fields in (data.get("tables") or {}).items():
        spec.tables.append(
            _table(f"{data['schema']}.{name}", fields or {}, root.child("tables", name), file_path, folder)
        )
    define = data.get("define") or {}
    for i, item in enumerate(define.get("teams", [])):
        spec.teams.append(
            TeamSpec(item["name"], item["description"], item.get("teamType", "Group"), root.child("define", "teams", i))
        )
    for i, item in enumerate(define.get("domains", [])):
        spec.domains.append(
            DomainSpec(
                item["name"],
                item["description"],
                item.get("domainType", "Aggregate"),
                root.child("define", "domains", i),
            )
        )
    for i, item in enumerate(define.get("dataProducts", [])):
        spec.data_products.append(
            DataProductSpec(item["name"], item["domain"], item["description"], root.child("define", "dataProducts", i))
        )
    for i, item in enumerate(define.get("glossaries", [])):
        at = root.child("define", "glossaries", i)
        spec.glossaries.append(GlossarySpec(item["name"], item["description"], at))
        _terms(item.get("terms", []), item["name"], item["name"], None, at, spec)
    for i, item in enumerate(define.get("policies", [])):
        policy = _policy(item, root.child("define", "policies", i), problems)
        if policy is not None:
            spec.policies.append(policy)
    for i, item in enumerate(define.get("roles", [])):
        role = _role(item, root.child("define", "roles", i), problems)
        if role is not None:
            spec.roles.append(role)
    return problems


def _operations() -> list[str]:
    from metadata.generated.schema.entity.policies.accessControl.resourceDescriptor import Operation

    return [op.value for op in Operation]


def _model_problems(exc, at: Origin) -> list[Problem]:
    """A pydantic ``ValidationError`` of a generated request model as problems at their fields."""
    problems = []
    for error in exc.errors():
        # Drop pydantic's own location parts (a RootModel's "root", a union branch's class name).
        path = tuple(p for p in error["loc"] if isinstance(p, int) or (p != "root" and not p[:1].isupper()))
        problems.append(at.child(*path).problem(f"rejected by OpenMetadata's model: {error['msg']}"))
    return problems


def _policy(item: dict, at: Origin, problems: list[Problem]) -> PolicySpec | None:
    """Check one declared policy with ``CreatePolicyRequest`` (whose ``Rule`` lists the valid
    operations of this openmetadata-ingestion version) and build its spec."""
    from difflib import get_close_matches

    from metadata.generated.schema.api.policies.createPolicy import CreatePolicyRequest
    from pydantic import ValidationError

    before = len(problems)
    valid = _operations()
    for r, rule in enumerate(item["rules"]):
        for o, operation in enumerate(rule["operations"]):
            if operation not in valid:
                close = get_close_matches(operation, valid, n=3)
                hint = f"did you mean {', '.join(close)}? " if close else ""
                problems.append(
                    at.child("rules", r, "operations", o).problem(
                        f"unknown operation {operation!r}; {hint}expected one of: {', '.join(valid)}"
                    )
                )
    names = [rule["name"] for rule in item["rules"]]
    for r, name in enumerate(names):
        if name in names[:r]:  # the server refuses duplicated rule names (400)
            problems.append(at.child("rules", r, "name").problem(f"rule {name!r} is declared twice in this policy"))
    if len(problems) > before:
        return None
    rules = [{key: rule[key] for key in RULE_KEYS if key in rule} for rule in item["rules"]]
    try:
        CreatePolicyRequest(name=item["name"], description=item["description"], rules=rules)
    except ValidationError as exc:
        problems.extend(_model_problems(exc, at))
        return None
    return PolicySpec(item["name"], item["description"], rules, at)


# Rule fields the format declares, in the order of OpenMetadata's rule.json.
RULE_KEYS = ("name", "description", "effect", "operations", "resources", "condition")


def _role(item: dict, at: Origin, problems: list[Problem]) -> RoleSpec | None:
    """Check one declared role with ``CreateRoleRequest`` and build its spec."""
    from metadata.generated.schema.api.teams.createRole import CreateRoleRequest
    from pydantic import ValidationError

    try:
        CreateRoleRequest(name=item["name"], description=item["description"], policies=item["policies"])
    except ValidationError as exc:
        problems.extend(_model_problems(exc, at))
        return None
    return RoleSpec(item["name"], item["description"], list(item["policies"]), at)


def _terms(items: list, glossary: str, prefix: str, parent: str | None, at: Origin, spec: GovernanceSpec) -> None:
    for i, item in enumerate(items):
        here = at.child("terms", i)
        fqn = f"{prefix}.{item['name']}"
        spec.terms.append(
            TermSpec(fqn, item["name"], glossary, parent, item["description"], list(item.get("synonyms", [])), here)
        )
        _terms(item.get("terms", []), glossary, fqn, fqn, here, spec)


def _table(fqn: str, fields: dict, origin: Origin, file_path: FsPath, folder: FsPath) -> TableSpec:
    from openmetadata_platform.governance.model import TABLE_FIELDS

    table = TableSpec(fqn=fqn, origin=origin)
    for name in TABLE_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "owners":
            value = [next(iter(owner.items())) for owner in value]
        elif name == "tier":
            value = value if value.startswith("Tier.") else f"Tier.{value}"
        table.fields[name] = value
    if "contract" in fields:
        # Relative to the declaring file, so a datakit can be moved as a whole.
        contract = (file_path.parent / fields["contract"]).resolve()
        table.contract = str(contract)
        try:
            table.contract_name = str(contract.relative_to(folder.resolve().parent))
        except ValueError:  # a contract outside the datakit: shown as is
            table.contract_name = str(contract)
        table.contract_origin = origin.child("contract")
    return table


def governance_files(folder: FsPath) -> list[FsPath]:
    """The governance files under ``folder`` (recursively), sorted; contracts live elsewhere.

    Files under a ``contracts/`` folder are ODCS contracts, not governance files.
    """
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix in SUFFIXES and p.is_file() and "contracts" not in p.relative_to(folder).parts
    )


def load_folder(folder: str | FsPath) -> GovernanceSpec:
    """Read and check every governance file under ``folder``.

    Args:
        folder: the datakit's ``governance/`` directory.

    Returns:
        The :class:`~.model.GovernanceSpec` (nothing contacted yet).

    Raises:
        GovernanceInputError: the folder is missing or empty, a file is not valid YAML or fails
            the schema, a policy has an unknown operation (OpenMetadata's generated models), or a
            table / team / domain / glossary / term / policy / role is declared twice; every
            problem is listed with file, line and field.
    """
    root = FsPath(folder)
    if not root.is_dir():
        raise GovernanceInputError(
            [Problem(str(folder), 0, "", "governance folder not found; expected a directory of YAML files")]
        )
    paths = governance_files(root)
    if not paths:
        raise GovernanceInputError([Problem(str(folder), 0, "", "no *.yaml governance files in this folder")])
    spec = GovernanceSpec(folder=str(root))
    problems: list[Problem] = []
    for path in paths:
        name = str(path.relative_to(root.parent))  # e.g. governance/rental.yaml
        try:
            data, source = load_yaml_with_lines(path.read_text(), name)
        except GovernanceInputError as exc:
            problems.extend(exc.problems)
            continue
        if data is None:
            continue  # an empty file declares nothing
        found = schema_problems(data, source)
        if found:
            problems.extend(found)
            continue
        spec.files.append(name)
        problems.extend(parse_file(data, source, root, path, spec))
    problems.extend(_duplicates(spec))
    if problems:
        raise GovernanceInputError(problems)
    return spec


def _duplicates(spec: GovernanceSpec) -> list[Problem]:
    problems = []
    for kind, items, key in (
        ("table", spec.tables, "fqn"),
        ("team", spec.teams, "name"),
        ("domain", spec.domains, "name"),
        ("data product", spec.data_products, "name"),
        ("glossary", spec.glossaries, "name"),
        ("glossary term", spec.terms, "fqn"),
        ("policy", spec.policies, "name"),
        ("role", spec.roles, "name"),
    ):
        first: dict[str, Origin] = {}
        for item in items:
            value = getattr(item, key)
            if value in first:
                problems.append(item.origin.problem(f"{kind} {value} is already declared at {first[value].where}"))
            else:
                first[value] = item.origin
    return problems
