"""Read-back checks against a real OpenMetadata server for each endpoint the profiler, data-quality,
classification and query-log workflows use, and for what the stand-in seeds like a fresh server
(skipped unless OPENMETADATA_HOST_PORT and OPENMETADATA_JWT_TOKEN are set: ``make test-e2e``).

Each run writes into its own DatabaseService and hard-deletes it afterwards.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

HOST_PORT = os.environ.get("OPENMETADATA_HOST_PORT")
TOKEN = os.environ.get("OPENMETADATA_JWT_TOKEN")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (HOST_PORT and TOKEN), reason="needs a real server: set OPENMETADATA_HOST_PORT and OPENMETADATA_JWT_TOKEN"
    ),
]


@pytest.fixture(scope="module")
def client():
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    return OpenMetadata(
        OpenMetadataConnection(
            hostPort=f"{HOST_PORT.rstrip('/')}/api", authProvider="openmetadata", securityConfig={"jwtToken": TOKEN}
        )
    )


@pytest.fixture(scope="module")
def tables(client):
    """Two tables ``orders`` and ``items`` in a service of this run; the service is hard-deleted after."""
    from metadata.generated.schema.entity.services.databaseService import DatabaseService

    from tests.openmetadata_standin.seed import create_tables

    service = f"workflows_e2e_{uuid.uuid4().hex[:8]}"

    class Real:  # what seed.create_tables needs of a server
        host_port = f"{HOST_PORT.rstrip('/')}/api"
        token = TOKEN

    create_tables(
        Real, {f"{service}.db.public.orders": ["id", "email"], f"{service}.db.public.items": ["id", "order_id"]}
    )
    yield service
    found = client.get_by_name(DatabaseService, service)
    if found:
        client.delete(DatabaseService, found.id, recursive=True, hard_delete=True)


def _table(client, fqn, fields=None):
    from metadata.generated.schema.entity.data.table import Table

    return client.get_by_name(Table, fqn, fields=fields or [])


def test_table_profile_round_trip(client, tables):
    from metadata.generated.schema.api.data.createTableProfile import CreateTableProfileRequest
    from metadata.generated.schema.entity.data.table import ColumnProfile, TableProfile

    fqn = f"{tables}.db.public.orders"
    now = int(time.time() * 1000)
    client.ingest_profile_data(
        _table(client, fqn),
        CreateTableProfileRequest(
            tableProfile=TableProfile(timestamp=now, rowCount=3, columnCount=2),
            columnProfile=[ColumnProfile(name="id", timestamp=now, nullCount=0, distinctCount=3)],
        ),
    )
    latest = client.get_latest_table_profile(fqn)
    assert latest.profile.rowCount == 3
    assert next(c for c in latest.columns if c.name.root == "id").profile.distinctCount == 3
    assert client.get_profile_data(fqn, now - 1, now + 1, profile_type=TableProfile).total == 1


def test_seeded_test_definitions_match_the_stand_ins(client):
    from metadata.generated.schema.tests.testDefinition import TestDefinition

    from tests.openmetadata_standin.seeded_test_definitions import TEST_DEFINITIONS

    for seed in TEST_DEFINITIONS:
        real = client.get_by_name(TestDefinition, seed["name"])
        assert real is not None, seed["name"]
        assert real.entityType.value == seed["entityType"], seed["name"]
        assert real.validatorClass == seed["validatorClass"], seed["name"]
        real_params = {p.name: bool(p.required) for p in real.parameterDefinition or []}
        seed_params = {p["name"]: bool(p.get("required")) for p in seed.get("parameterDefinition", [])}
        assert {k: v for k, v in seed_params.items() if k in real_params} == {
            k: v for k, v in real_params.items() if k in seed_params
        }, seed["name"]
        # parameters the stand-in's checks rely on must exist on the server
        assert {n for n, required in seed_params.items() if required} <= set(real_params), seed["name"]


def test_test_case_and_results_round_trip(client, tables):
    from metadata.generated.schema.api.tests.createTestCase import CreateTestCaseRequest
    from metadata.generated.schema.tests.basic import TestCaseResult, TestCaseStatus

    fqn = f"{tables}.db.public.orders"
    case = client.create_or_update(
        CreateTestCaseRequest(
            name="id_unique", testDefinition="columnValuesToBeUnique", entityLink=f"<#E::table::{fqn}::columns::id>"
        )
    )
    assert case.fullyQualifiedName.root == f"{fqn}.id.id_unique"
    for _ in range(2):
        client.add_test_case_results(
            TestCaseResult(
                timestamp=int(time.time() * 1000),
                testCaseStatus=TestCaseStatus.Success,
                result="ok",
                testResultValue=[],
            ),
            case.fullyQualifiedName.root,
        )
        time.sleep(0.01)
    results = client.get_test_case_results(case.fullyQualifiedName.root, 0, int(time.time() * 1000) + 1000)
    assert len(results) == 2
    assert _table(client, fqn, ["testSuite"]).testSuite.fullyQualifiedName == f"{fqn}.testSuite"


def test_column_tag_patch_and_pii_seed(client, tables):
    from metadata.generated.schema.entity.classification.tag import Tag
    from metadata.generated.schema.type.tagLabel import LabelType, State, TagLabel, TagSource
    from metadata.ingestion.models.table_metadata import ColumnTag

    sensitive = client.get_by_name(Tag, "PII.Sensitive", fields=["recognizers"])
    assert sensitive.autoClassificationEnabled and any(r.name.root == "EmailRecognizer" for r in sensitive.recognizers)
    fqn = f"{tables}.db.public.orders"
    label = TagLabel(
        tagFQN="PII.Sensitive", source=TagSource.Classification, labelType=LabelType.Generated, state=State.Suggested
    )
    client.patch_column_tags(_table(client, fqn), [ColumnTag(column_fqn=f"{fqn}.email", tag_label=label)])
    email = next(c for c in _table(client, fqn, ["columns", "tags"]).columns if c.name.root == "email")
    assert [t.tagFQN.root for t in email.tags] == ["PII.Sensitive"]


def test_query_and_lineage_by_name(client, tables):
    from metadata.generated.schema.api.data.createQuery import CreateQueryRequest
    from metadata.generated.schema.entity.data.query import Query
    from metadata.generated.schema.type.entityLineage import ColumnLineage, LineageDetails
    from metadata.utils.fqn import get_query_checksum

    sql = f"INSERT INTO items SELECT id, id FROM orders -- {uuid.uuid4().hex}"
    client.bulk_create_or_update(entities=[CreateQueryRequest(query=sql, service=tables)], use_async=False)
    query = client.get_by_name(Query, f"{tables}.{get_query_checksum(sql)}")
    assert query is not None and query.checksum == get_query_checksum(sql)
    orders, items = f"{tables}.db.public.orders", f"{tables}.db.public.items"
    client.add_lineage_by_name(
        orders,
        "table",
        items,
        "table",
        LineageDetails(
            sqlQuery=sql, columnsLineage=[ColumnLineage(fromColumns=[f"{orders}.id"], toColumn=f"{items}.order_id")]
        ),
        return_lineage=False,
    )
    edge = client.get_lineage_edge_by_name("table", orders, "table", items)
    assert edge["edge"]["columnsLineage"][0]["toColumn"] == f"{items}.order_id"


def test_profiler_configuration_setting_answers(client):
    # A fresh server has none: the stand-in answers 204 (null); a configured one answers a Settings.
    setting = client.get_profiler_config_settings()
    assert setting is None or setting.config_type.value == "profilerConfiguration"
