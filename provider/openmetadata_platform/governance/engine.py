"""Plan, apply and drift for a governance folder, through openmetadata-ingestion's client.

- :func:`build_plan` reads the catalog (GETs only) and checks every reference first: an
  unknown owner, tag, glossary, term, domain, data product, custom property or table, or a
  refused contract, raises :class:`~.errors.GovernanceInputError` before anything is written.
- :func:`apply` writes exactly that plan: entities to create with ``PUT`` (``create_or_update``)
  in dependency order (teams, domains, data products, glossaries, terms, policies, roles), then
  one JSON Patch per changed entity (``PATCH /api/v1/<collection>/{id}``), then contracts. One
  request per entity: the server applies it whole, so each entity ends fully before or fully
  after, and the next apply (a new plan against the catalog as it is) converges.
- :func:`drift`: the last applied state is the files themselves (the git commit that was
  applied), so drift is "the plan is not empty": something in the catalog changed a declared
  field since (e.g. an owner edited in the UI). Nothing is stored besides the catalog.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from openmetadata_platform.governance.catalog import Catalog, as_json
from openmetadata_platform.governance.errors import (
    BreakingContractChangeError,
    DriftError,
    GovernanceApplyError,
    GovernanceInputError,
    Problem,
)
from openmetadata_platform.governance.model import GovernanceSpec, Origin, TableSpec
from openmetadata_platform.governance.plan import ADD, Change, EntityPlan, Plan
from openmetadata_platform.governance.planner import (
    create_plan,
    diff_description,
    diff_policy,
    diff_role,
    diff_table,
    normalise_rules,
    policy_changes,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

PENDING = None  # id of a reference to an entity apply creates first


def _requests():
    from metadata.generated.schema.api.data.createGlossary import CreateGlossaryRequest
    from metadata.generated.schema.api.data.createGlossaryTerm import CreateGlossaryTermRequest
    from metadata.generated.schema.api.domains.createDataProduct import CreateDataProductRequest
    from metadata.generated.schema.api.domains.createDomain import CreateDomainRequest
    from metadata.generated.schema.api.policies.createPolicy import CreatePolicyRequest
    from metadata.generated.schema.api.teams.createRole import CreateRoleRequest
    from metadata.generated.schema.api.teams.createTeam import CreateTeamRequest

    return (
        CreateTeamRequest,
        CreateDomainRequest,
        CreateDataProductRequest,
        CreateGlossaryRequest,
        CreateGlossaryTermRequest,
        CreatePolicyRequest,
        CreateRoleRequest,
    )


class _Planner:
    def __init__(self, client: OpenMetadata, spec: GovernanceSpec, prune: bool) -> None:
        self.client = client
        self.spec = spec
        self.prune = prune
        self.catalog = Catalog(client)
        self.problems: list[Problem] = []
        self.declared = {
            "team": {t.name for t in spec.teams},
            "domain": {d.name for d in spec.domains},
            "dataProduct": {d.name for d in spec.data_products},
            "glossary": {g.name for g in spec.glossaries},
            "glossaryTerm": {t.fqn for t in spec.terms},
            "policy": {p.name for p in spec.policies},
        }

    def exists(self, entity_type: str, fqn: str) -> bool:
        """In the catalog, or declared in the files (apply creates it first)."""
        return fqn in self.declared.get(entity_type, ()) or self.catalog.get(entity_type, fqn) is not None

    def resolve(self, kind: str, name: str) -> dict:
        entity = self.catalog.get(kind, name)
        if entity is None:
            return {"id": PENDING, "type": kind, "name": name}
        return {"id": entity["id"], "type": kind, "name": entity["name"]}

    def definitions(self, plan: Plan) -> None:
        (
            CreateTeam,
            CreateDomain,
            CreateDataProduct,
            CreateGlossary,
            CreateGlossaryTerm,
            CreatePolicy,
            CreateRole,
        ) = _requests()
        for t in self.spec.teams:
            self._entity(
                plan,
                "team",
                t.name,
                t.origin,
                t.description,
                {"description": t.description, "teamType": t.team_type},
                lambda t=t: CreateTeam(name=t.name, description=t.description, teamType=t.team_type),
            )
        for d in self.spec.domains:
            self._entity(
                plan,
                "domain",
                d.name,
                d.origin,
                d.description,
                {"description": d.description, "domainType": d.domain_type},
                lambda d=d: CreateDomain(name=d.name, description=d.description, domainType=d.domain_type),
            )
        for p in self.spec.data_products:
            if not self.exists("domain", p.domain):
                self.problems.append(
                    p.origin.child("domain").problem(
                        f"domain {p.domain!r} not found in OpenMetadata; "
                        "declare it under define.domains or create it first"
                    )
                )
                continue
            self._entity(
                plan,
                "dataProduct",
                p.name,
                p.origin,
                p.description,
                {"description": p.description, "domain": p.domain},
                lambda p=p: CreateDataProduct(name=p.name, description=p.description, domains=[p.domain]),
            )
        for g in self.spec.glossaries:
            self._entity(
                plan,
                "glossary",
                g.name,
                g.origin,
                g.description,
                {"description": g.description},
                lambda g=g: CreateGlossary(name=g.name, description=g.description),
            )
        for t in self.spec.terms:
            self._entity(
                plan,
                "glossaryTerm",
                t.fqn,
                t.origin,
                t.description,
                {"description": t.description, "synonyms": t.synonyms},
                lambda t=t: CreateGlossaryTerm(
                    glossary=t.glossary,
                    parent=t.parent,
                    name=t.name,
                    description=t.description,
                    synonyms=t.synonyms or None,
                ),
            )
        for p in self.spec.policies:
            current = self.catalog.get("policy", p.name)
            if current is None:
                entity = create_plan(
                    "policy",
                    p.name,
                    p.origin.where,
                    {"description": p.description},
                    CreatePolicy(name=p.name, description=p.description, rules=normalise_rules(p.rules)),
                )
                entity.changes.extend(policy_changes(p.rules))
            else:
                entity = diff_policy(p, current, self.prune)
                entity.payload = current["id"]
            plan.entities.append(entity)
        for r in self.spec.roles:
            self._role(plan, r, CreateRole)

    def _role(self, plan: Plan, role, create_role) -> None:
        missing = [i for i, name in enumerate(role.policies) if not self.exists("policy", name)]
        for i in missing:
            self.problems.append(
                role.origin.child("policies", i).problem(
                    f"policy {role.policies[i]!r} not found in OpenMetadata; "
                    "expected an existing policy or one declared under define.policies"
                )
            )
        if missing:
            return
        current = self.catalog.get("role", role.name, ["policies"])
        if current is None:
            entity = create_plan(
                "role",
                role.name,
                role.origin.where,
                {"description": role.description},
                create_role(name=role.name, description=role.description, policies=role.policies),
            )
            entity.changes.extend(Change("policies", ADD, after=name) for name in role.policies)
        else:
            entity = diff_role(role, current, self.resolve, self.prune)
            entity.payload = (role, current)
        plan.entities.append(entity)

    def _entity(
        self, plan: Plan, entity_type: str, fqn: str, origin: Origin, description: str, fields: dict, make
    ) -> None:
        current = self.catalog.get(entity_type, fqn)
        if current is None:
            plan.entities.append(create_plan(entity_type, fqn, origin.where, fields, make()))
        else:
            entity = diff_description(entity_type, fqn, origin.where, current, description)
            entity.payload = current["id"]
            plan.entities.append(entity)

    def check_table(self, table: TableSpec) -> dict | None:
        """The table's JSON after checking every reference it makes (problems collected)."""
        current = self.catalog.table(table.fqn)
        if current is None:
            self.problems.append(
                table.origin.problem(
                    f"table {table.fqn} is not in the catalog; expected an ingested table's fullyQualifiedName "
                    "(run the metadata ingestion first)"
                )
            )
            return None
        before = len(self.problems)
        f = table.fields
        for i, (kind, name) in enumerate(f.get("owners", [])):
            if not self.exists(kind, name):
                hint = "" if kind == "user" else " or one declared under define.teams"
                self.problems.append(
                    table.at("owners", i, kind).problem(
                        f"{kind} {name!r} not found in OpenMetadata; expected an existing {kind} name{hint}"
                    )
                )
        for i, fqn in enumerate(f.get("tags", [])):
            if self.catalog.get("tag", fqn) is None:
                self.problems.append(
                    table.at("tags", i).problem(
                        f"tag {fqn!r} not found; expected Classification.Tag of an existing classification"
                    )
                )
        if "tier" in f and self.catalog.get("tag", f["tier"]) is None:
            self.problems.append(
                table.at("tier").problem(f"tier tag {f['tier']!r} not found in the Tier classification")
            )
        for i, fqn in enumerate(f.get("glossaryTerms", [])):
            if self.exists("glossaryTerm", fqn):
                continue
            glossary = fqn.split(".", 1)[0]
            if not self.exists("glossary", glossary):
                message = (
                    f"glossary term {fqn!r} is in unknown glossary {glossary!r}; "
                    "expected an existing glossary or one declared under define.glossaries"
                )
            else:
                message = (
                    f"glossary term {fqn!r} not found in glossary {glossary!r}; declare it under its glossary's terms"
                )
            self.problems.append(table.at("glossaryTerms", i).problem(message))
        if "domain" in f and not self.exists("domain", f["domain"]):
            self.problems.append(
                table.at("domain").problem(
                    f"domain {f['domain']!r} not found; "
                    "expected an existing domain or one declared under define.domains"
                )
            )
        for i, name in enumerate(f.get("dataProducts", [])):
            if not self.exists("dataProduct", name):
                self.problems.append(
                    table.at("dataProducts", i).problem(
                        f"data product {name!r} not found; "
                        "expected an existing one or one declared under define.dataProducts"
                    )
                )
        if f.get("customProperties"):
            defined = self.catalog.table_custom_properties()
            for key in f["customProperties"]:
                if key not in defined:
                    self.problems.append(
                        table.at("customProperties", key).problem(
                            f"custom property {key!r} is not defined for tables; "
                            f"expected one of: {', '.join(sorted(defined)) or '(none defined)'}"
                        )
                    )
        return current if len(self.problems) == before else None


def build_plan(client: OpenMetadata, spec: GovernanceSpec, prune: bool = False) -> Plan:
    """Compute the plan for ``spec`` against the catalog (reads only).

    Args:
        client: connected ``OpenMetadata`` client.
        spec: from :func:`~.files.load_folder`.
        prune: also remove list items of declared fields that the files no longer declare.

    Returns:
        The :class:`~.plan.Plan` (entities in apply order; ``noop`` entities included).

    Raises:
        GovernanceInputError: any unknown reference, missing table or refused contract (all
            listed with file, line and field).

    Calls ``GET /api/v1/<collection>/name/{fqn}`` (tables, users, teams, tags, glossaries,
    glossaryTerms, domains, dataProducts, policies, roles ``?fields=policies``),
    ``GET /api/v1/metadata/types/name/table`` (when custom properties are declared) and the
    contract reads of :func:`~.contracts.plan_contract`.
    """
    from openmetadata_platform.governance.contracts import contract_breaking_problems, plan_contract

    planner = _Planner(client, spec, prune)
    plan = Plan(folder=spec.folder, prune=prune)
    planner.definitions(plan)
    contracts: list[EntityPlan] = []
    for table in spec.tables:
        current = planner.check_table(table)
        if current is None:
            continue
        entity = diff_table(table, current, planner.resolve, prune)
        entity.payload = (table, current)
        plan.entities.append(entity)
        if table.contract:
            contract = plan_contract(client, table, current, planner.problems)
            if contract is not None:
                contracts.append(contract)
    if planner.problems:
        if contract_breaking_problems(planner.problems):
            raise BreakingContractChangeError(planner.problems)
        raise GovernanceInputError(planner.problems)
    plan.entities.extend(contracts)
    plan.planner = planner  # apply re-resolves references to entities it just created
    return plan


def apply(client: OpenMetadata, spec: GovernanceSpec, prune: bool = False, log=None) -> dict:
    """Plan, then write exactly the plan; return the applied plan as a JSON-serialisable dict.

    Args:
        client: connected ``OpenMetadata`` client.
        spec: from :func:`~.files.load_folder`.
        prune: as :func:`build_plan`.
        log: optional ``callable(str)`` told about each write.

    Returns:
        ``Plan.to_dict()`` plus ``"applied": <entities written>``.

    Raises:
        GovernanceInputError: as :func:`build_plan` (nothing written).
        GovernanceApplyError: the server refused a write or did not answer (HTTP error, timeout,
            connection failure), naming the entity; earlier entities stay written, the failed one
            is fully before (or, unanswered, possibly fully after), the next apply converges.

    Calls ``PUT /api/v1/{teams,domains,dataProducts,glossaries,glossaryTerms,policies,roles}`` for missing ones,
    ``PATCH /api/v1/<collection>/{id}`` (JSON Patch) per changed entity, and the contract
    writes of :func:`~.contracts.apply_contract`.
    """
    from metadata.ingestion.ometa.client import APIError, HtmlResponseError, RestTransportError
    from requests import HTTPError

    from openmetadata_platform.governance.contracts import apply_contract

    plan = build_plan(client, spec, prune)
    planner: _Planner = plan.planner
    written = contracts_written = 0
    for entity in plan.changed:
        try:
            if entity.entity_type == "dataContract":
                # The odcsVersion property is defined once per apply, not once per contract.
                apply_contract(client, entity, define_property=not contracts_written)
                contracts_written += 1
            elif entity.action == "create":
                created = client.create_or_update(entity.payload)
                planner.catalog.remember(entity.entity_type, entity.fqn, as_json(created))
            else:
                ops, entity_id = entity.ops, entity.payload
                # Ids of entities created above (domains, policies...) are known only now.
                if entity.entity_type == "table":
                    table, current = entity.payload
                    entity_id = current["id"]
                    ops = diff_table(table, current, planner.resolve, prune).ops
                elif entity.entity_type == "role":
                    role, current = entity.payload
                    entity_id = current["id"]
                    ops = diff_role(role, current, planner.resolve, prune).ops
                cls = planner.catalog.classes[entity.entity_type]
                client.client.patch(path=f"{client.get_suffix(cls)}/{entity_id}", data=json.dumps(ops))
        except (APIError, HTTPError, HtmlResponseError, RestTransportError) as exc:
            raise GovernanceApplyError(_write_failure(entity, exc, written)) from None
        written += 1
        if log:
            log(f"applied {entity.action} {entity.entity_type} {entity.fqn}")
    result = plan.to_dict()
    result["applied"] = written
    return result


def _write_failure(entity: EntityPlan, exc: Exception, written: int) -> str:
    """The message of a failed write: the entity, its declaration, the server's answer."""
    what = f"{entity.entity_type} {entity.fqn} (declared at {entity.declared_at})"
    after = f"{written} entities were written before it; run apply again once fixed (it converges)."
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    if status is not None:
        # An HTTP error answer: the server refused the request, so the entity is as before.
        return f"OpenMetadata refused the write of {what}: HTTP {status}: {exc}. {after}"
    # No answer (timeout, connection reset): the server may still have applied the request,
    # whole, since it is one request; the next plan shows which.
    return f"OpenMetadata did not answer the write of {what}: {exc}. {after}"


def drift(client: OpenMetadata, spec: GovernanceSpec, prune: bool = False, fail: bool = False) -> dict:
    """What changed in the catalog since the files were applied (see the module docstring).

    Returns:
        ``Plan.to_dict()`` plus ``"drift": bool``.

    Raises:
        GovernanceInputError: as :func:`build_plan`.
        DriftError: drift found and ``fail`` is true (carries the plan dict).
    """
    plan = build_plan(client, spec, prune)
    result: dict[str, Any] = plan.to_dict()
    result["drift"] = not plan.empty
    if fail and result["drift"]:
        from openmetadata_platform.governance.plan import render_plan

        raise DriftError(render_plan(result, title="Drift: the catalog differs from the governance files"), result)
    return result
