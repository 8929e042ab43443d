"""Owners and tags of a DAG reach its Pipeline: existing users only, DAG tags as labels."""

from __future__ import annotations

import logging

import pytest

from tests.lineage.conftest import lineage_warnings, new_process, run_dag
from tests.openmetadata_standin.seed import create_user


@pytest.fixture
def owned_dag(etl_dag):
    """The example DAG with two owners (one unknown to OpenMetadata) and three tags.

    (dag.test() needs a DAG from the dags folder, so the example is changed in memory.)
    """
    etl_dag.tags = {"etl", "team.finance", "bad::tag"}
    for task in etl_dag.tasks:
        task.owner = "Jane.Doe@example.com, ghost"
    etl_dag.task_dict["announce"].owner = "airflow"  # Airflow's default owner: nobody in particular
    return etl_dag


def test_owners_and_tags_reach_the_pipeline(om_tables, owned_dag, caplog):
    server = om_tables
    jane = create_user(server, "jane.doe")
    caplog.set_level(logging.INFO, logger="openmetadata_platform.lineage")

    run = run_dag(owned_dag)

    assert run.state == "success"
    assert {ti.state for ti in run.get_task_instances()} == {"success"}
    assert server.unsupported == []
    (pipeline,) = server.entities("pipeline")
    assert [(o["type"], o["id"], o["name"]) for o in pipeline["owners"]] == [("user", jane["id"], "jane.doe")]
    tasks = {t["name"]: t for t in pipeline["tasks"]}
    assert [o["name"] for o in tasks["stage_customers"]["owners"]] == ["jane.doe"]
    assert not tasks["announce"].get("owners")
    labels = {t["tagFQN"]: t for t in pipeline["tags"]}
    assert set(labels) == {"AirflowTags.etl", 'AirflowTags."team.finance"'}
    for label in labels.values():
        assert (label["source"], label["labelType"], label["state"]) == ("Classification", "Automated", "Confirmed")
    (classification,) = server.entities("classification")
    assert classification["name"] == "AirflowTags"
    assert sorted(t["fullyQualifiedName"] for t in server.entities("tag")) == sorted(labels)

    # one warning for the unknown owner and one for the tag the server cannot take, each once
    warnings = lineage_warnings(caplog)
    assert len([w for w in warnings if "'ghost'" in w]) == 1, warnings
    assert len([w for w in warnings if "bad::tag" in w]) == 1, warnings
    # the unknown owner was looked up once (cached on the host): as a user, then as a team
    assert server.count("GET", "/api/v1/users/name/ghost") == 1
    assert server.count("GET", "/api/v1/teams/name/ghost") == 1
    assert server.count("GET", "/api/v1/users/name/jane.doe") == 1
    # classification and tags were created once, on the first pipeline PUT's 404
    assert server.count("PUT", "/api/v1/classifications") == 1
    assert server.count("PUT", "/api/v1/tags") == 2


def test_tag_classification_is_configurable(om_tables, owned_dag, monkeypatch):
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__TAG_CLASSIFICATION", "Airflow.Tags")
    assert run_dag(owned_dag).state == "success"
    (pipeline,) = om_tables.entities("pipeline")
    assert {t["tagFQN"] for t in pipeline["tags"]} == {'"Airflow.Tags".etl', '"Airflow.Tags"."team.finance"'}
    assert "owners" not in pipeline or pipeline["owners"] == []  # no known owner in this stand-in


def test_missing_tags_are_recreated(om_tables, owned_dag, monkeypatch):
    """A classification deleted in OpenMetadata is created again once the host's cached
    Pipeline has expired (``cache_seconds``)."""
    server = om_tables
    assert run_dag(owned_dag).state == "success"
    server.store.by_id["tag"].clear()
    server.store.fqn_index["tag"].clear()
    new_process()
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__CACHE_SECONDS", "0")  # nothing reused across processes
    assert run_dag(owned_dag).state == "success"
    assert len(server.entities("tag")) == 2
