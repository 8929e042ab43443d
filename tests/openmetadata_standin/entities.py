"""Which entities the stand-in serves, described by OpenMetadata's own generated models.

Each :class:`EntityKind` names the REST collection (as ``OpenMetadata.get_suffix`` builds
it), the Create*Request model that validates request bodies, the entity model that
validates what we answer, and the field that refers to the parent entity by
fullyQualifiedName. Everything here is imported lazily: the generated models take seconds.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property


def _load(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class EntityKind:
    """One entity type: ``type_name`` is OpenMetadata's entityType (EntityReference.type)."""

    type_name: str
    collection: str  # path under /api/v1, e.g. "tables", "services/databaseServices"
    create_model_path: str
    entity_model_path: str
    parent_field: str | None = None  # Create request field naming the parent by FQN (or EntityReference)
    parent_type: str | None = None  # for a parent given as an EntityReference, its ``type`` wins
    # Ancestor references the entity carries, copied from its parent (e.g. a table's
    # `database` and `service`): the server denormalises them into every child.
    inherited: tuple[str, ...] = ()
    has_bulk: bool = False  # PUT /{collection}/bulk exists on the server
    # Fields a GET leaves out unless ``fields`` names them, besides COMMON_ON_REQUEST
    # (the repository's ``clearFields``; see views.py for the citations).
    on_request: tuple[str, ...] = ()
    # Fields no EntityUpdater step records: a PUT changing only these is no change and is not
    # stored (EntityUpdater.storeUpdate; e.g. PipelineUpdater has no scheduleInterval step).
    unrecorded: tuple[str, ...] = ()
    # Schema defaults the server's POJOs carry on create (jsonschema2pojo initialises them),
    # as (field, value) pairs, e.g. an IngestionPipeline is created enabled and not deployed.
    defaults: tuple[tuple[str, object], ...] = ()

    @cached_property
    def create_model(self):
        return _load(self.create_model_path)

    @cached_property
    def entity_model(self):
        return _load(self.entity_model_path)

    @cached_property
    def field_names(self) -> frozenset[str]:
        """The entity's JSON property names: what ``fields`` may name (``EntityUtil.Fields``)."""
        return frozenset(f.alias or name for name, f in self.entity_model.model_fields.items())


GEN = "metadata.generated.schema"

KINDS: dict[str, EntityKind] = {
    kind.type_name: kind
    for kind in (
        EntityKind(
            "databaseService",
            "services/databaseServices",
            f"{GEN}.api.services.createDatabaseService.CreateDatabaseServiceRequest",
            f"{GEN}.entity.services.databaseService.DatabaseService",
        ),
        EntityKind(
            "database",
            "databases",
            f"{GEN}.api.data.createDatabase.CreateDatabaseRequest",
            f"{GEN}.entity.data.database.Database",
            parent_field="service",
            parent_type="databaseService",
            has_bulk=True,
            on_request=("databaseSchemas", "databaseProfilerConfig", "usageSummary"),
        ),
        EntityKind(
            "databaseSchema",
            "databaseSchemas",
            f"{GEN}.api.data.createDatabaseSchema.CreateDatabaseSchemaRequest",
            f"{GEN}.entity.data.databaseSchema.DatabaseSchema",
            parent_field="database",
            parent_type="database",
            inherited=("service",),
            has_bulk=True,
            on_request=("tables", "databaseSchemaProfilerConfig", "usageSummary"),
        ),
        EntityKind(
            "table",
            "tables",
            f"{GEN}.api.data.createTable.CreateTableRequest",
            f"{GEN}.entity.data.table.Table",
            parent_field="databaseSchema",
            parent_type="databaseSchema",
            inherited=("database", "service"),
            has_bulk=True,
            on_request=(
                "tableConstraints",
                "usageSummary",
                "joins",
                "schemaDefinition",
                "tableProfilerConfig",
                "testSuite",
            ),
        ),
        EntityKind(
            "storedProcedure",
            "storedProcedures",
            f"{GEN}.api.data.createStoredProcedure.CreateStoredProcedureRequest",
            f"{GEN}.entity.data.storedProcedure.StoredProcedure",
            parent_field="databaseSchema",
            parent_type="databaseSchema",
            inherited=("database", "service"),
            has_bulk=True,
        ),
        EntityKind(
            "pipelineService",
            "services/pipelineServices",
            f"{GEN}.api.services.createPipelineService.CreatePipelineServiceRequest",
            f"{GEN}.entity.services.pipelineService.PipelineService",
        ),
        EntityKind(
            "pipeline",
            "pipelines",
            f"{GEN}.api.data.createPipeline.CreatePipelineRequest",
            f"{GEN}.entity.data.pipeline.Pipeline",
            parent_field="service",
            parent_type="pipelineService",
            on_request=("tasks", "pipelineStatus", "usageSummary"),
            unrecorded=("scheduleInterval", "startDate"),
        ),
        # Ingestion pipelines and Test Connection (ingestion_pipelines.py, automations.py).
        EntityKind(
            "ingestionPipeline",
            "services/ingestionPipelines",
            f"{GEN}.api.services.ingestionPipelines.createIngestionPipeline.CreateIngestionPipelineRequest",
            f"{GEN}.entity.services.ingestionPipelines.ingestionPipeline.IngestionPipeline",
            # CreateIngestionPipeline.service is an EntityReference to any kind of service.
            parent_field="service",
            parent_type="databaseService",
            # ingestionPipeline.json: "deployed" default false, "enabled" default true.
            defaults=(("deployed", False), ("enabled", True)),
            # IngestionPipelineRepository.setFields: the latest status only with fields=pipelineStatuses.
            on_request=("pipelineStatuses",),
        ),
        EntityKind(
            "workflow",
            "automations/workflows",
            f"{GEN}.api.automations.createWorkflow.CreateWorkflowRequest",
            f"{GEN}.entity.automations.workflow.Workflow",
        ),
        # Owners and tags (see owners_tags.py for what the server checks on these).
        EntityKind(
            "user",
            "users",
            f"{GEN}.api.teams.createUser.CreateUserRequest",
            f"{GEN}.entity.teams.user.User",
            on_request=(
                "profile",
                "teams",
                "owns",
                "follows",
                "roles",
                "authenticationMechanism",
                "inheritedRoles",
                "lastActivityTime",
                "lastLoginTime",
            ),
        ),
        EntityKind(
            "team",
            "teams",
            f"{GEN}.api.teams.createTeam.CreateTeamRequest",
            f"{GEN}.entity.teams.team.Team",
            on_request=(
                "profile",
                "users",
                "owns",
                "defaultRoles",
                "inheritedRoles",
                "defaultPersona",
                "parents",
                "policies",
            ),
        ),
        EntityKind(
            "classification",
            "classifications",
            f"{GEN}.api.classification.createClassification.CreateClassificationRequest",
            f"{GEN}.entity.classification.classification.Classification",
        ),
        EntityKind(
            "tag",
            "tags",
            f"{GEN}.api.classification.createTag.CreateTagRequest",
            f"{GEN}.entity.classification.tag.Tag",
            parent_field="classification",
            parent_type="classification",
        ),
        # Data quality and queries: their writes have their own routes (data_quality.py,
        # queries.py); the kinds give them storage and the generic GET/DELETE.
        EntityKind(
            "testDefinition",
            "dataQuality/testDefinitions",
            f"{GEN}.api.tests.createTestDefinition.CreateTestDefinitionRequest",
            f"{GEN}.tests.testDefinition.TestDefinition",
        ),
        EntityKind(
            "testSuite",
            "dataQuality/testSuites",
            f"{GEN}.api.tests.createTestSuite.CreateTestSuiteRequest",
            f"{GEN}.tests.testSuite.TestSuite",
            on_request=("tests", "summary", "pipelines"),
        ),
        EntityKind(
            "testCase",
            "dataQuality/testCases",
            f"{GEN}.api.tests.createTestCase.CreateTestCaseRequest",
            f"{GEN}.tests.testCase.TestCase",
            on_request=("testSuite", "testSuites", "testDefinition", "testCaseResult", "incidentId"),
        ),
        # Governance (governance.py, data_contracts.py): their writes have their own routes; the
        # kinds give them storage and the generic GET/DELETE.
        EntityKind(
            "domain",
            "domains",
            f"{GEN}.api.domains.createDomain.CreateDomainRequest",
            f"{GEN}.entity.domains.domain.Domain",
        ),
        EntityKind(
            "dataProduct",
            "dataProducts",
            f"{GEN}.api.domains.createDataProduct.CreateDataProductRequest",
            f"{GEN}.entity.domains.dataProduct.DataProduct",
        ),
        EntityKind(
            "glossary",
            "glossaries",
            f"{GEN}.api.data.createGlossary.CreateGlossaryRequest",
            f"{GEN}.entity.data.glossary.Glossary",
            on_request=("reviewers", "usageCount", "termCount"),
        ),
        EntityKind(
            "glossaryTerm",
            "glossaryTerms",
            f"{GEN}.api.data.createGlossaryTerm.CreateGlossaryTermRequest",
            f"{GEN}.entity.data.glossaryTerm.GlossaryTerm",
            parent_field="glossary",
            parent_type="glossary",
            on_request=("relatedTerms", "reviewers", "usageCount", "childrenCount"),
        ),
        EntityKind(
            "policy",
            "policies",
            f"{GEN}.api.policies.createPolicy.CreatePolicyRequest",
            f"{GEN}.entity.policies.policy.Policy",
            on_request=("teams", "roles"),
        ),
        EntityKind(
            "role",
            "roles",
            f"{GEN}.api.teams.createRole.CreateRoleRequest",
            f"{GEN}.entity.teams.role.Role",
            on_request=("policies", "users", "teams"),
        ),
        EntityKind(
            "type",
            "metadata/types",
            f"{GEN}.api.createType.CreateType",
            f"{GEN}.entity.type.Type",
            on_request=("customProperties",),
        ),
        EntityKind(
            "dataContract",
            "dataContracts",
            f"{GEN}.api.data.createDataContract.CreateDataContractRequest",
            f"{GEN}.entity.data.dataContract.DataContract",
            on_request=("reviewers",),
        ),
        EntityKind(
            "query",
            "queries",
            f"{GEN}.api.data.createQuery.CreateQueryRequest",
            f"{GEN}.entity.data.query.Query",
            parent_field="service",
            parent_type="databaseService",
            on_request=("users", "usedBy", "queryUsedIn"),
        ),
    )
}

BY_COLLECTION: dict[str, EntityKind] = {kind.collection: kind for kind in KINDS.values()}

# Test-connection definitions the server seeds at start-up
# (openmetadata-service/src/main/resources/json/data/testConnections/database/*.json in
# open-metadata/OpenMetadata): step names and whether each is mandatory. The client looks
# each name up in the connector's test functions, so the names must be the server's.
TEST_CONNECTION_STEPS: dict[str, list[tuple[str, bool]]] = {
    # .../testConnections/pipeline/airflow.json: the connector's only check
    # (metadata.ingestion.source.pipeline.airflow.connection.AirflowChecks.check_access).
    "Airflow": [("CheckAccess", True)],
    "Postgres": [
        ("CheckAccess", True),
        ("GetDatabases", True),
        ("GetSchemas", True),
        ("GetTables", True),
        ("GetViews", False),
        ("GetTags", False),
        ("GetQueries", False),
    ],
    "Mssql": [
        ("CheckAccess", True),
        ("GetDatabases", True),
        ("GetSchemas", True),
        ("GetTables", True),
        ("GetViews", False),
        ("GetQueries", False),
    ],
}
