"""A datakit beside the platform: ``make datakit`` renders it with the provider wheel, its image
builds on a local base of the Astro Runtime's shape (tests/engine/images/astro-runtime, its
ONBUILD steps), it runs on ``platform_network``, and its example DAG's lineage edge lands in
the server container on the pagila ``rental`` table that the platform harvested.

The Astro CLI (``astro dev start``) cannot be had here: the kit's container runs the example
DAG with ``airflow dags test``, which runs its tasks and the provider's listener as a task
process does.
"""

from __future__ import annotations

from tests.engine import images

SLUG = "engine_kit"
DAG_ID = f"{SLUG}__example_daily_rentals"
RENTAL = "pagila.pagila.public.rental"
DAILY_RENTALS = f"pagila.pagila.{SLUG}.daily_rentals"


def _harvest_pagila_on_the_platform(stack) -> None:
    stack.wait_for_dag("pagila_metadata_ingestion", timeout=180)
    run_id = stack.trigger("pagila_metadata_ingestion")
    assert stack.wait_for_run("pagila_metadata_ingestion", run_id, timeout=600) == "success"


def test_a_datakit_image_runs_beside_the_platform_and_its_lineage_lands_on_the_harvested_table(stack, tmp_path):
    _harvest_pagila_on_the_platform(stack)
    runtime = f"{images.PREFIX}/astro-runtime"
    images.docker_build(
        stack.engine,
        f"{runtime}:3.3-2",
        images.HERE / "images" / "astro-runtime" / "Dockerfile",
        images.HERE / "images" / "astro-runtime",
        {"BASE_IMAGE": stack.dotenv["IMAGE_AIRFLOW"]},
    )
    kits = tmp_path / "kits"
    stack.make(
        "datakit",
        f"NAME={SLUG}",
        f"DATAKIT_OUTPUT={kits}",
        f"DATAKIT_OPTIONS=runtime_image={runtime} runtime_version=3.3-2",
        timeout=600,
    )
    kit = kits / SLUG
    (wheel,) = (kit / "include" / "wheels").glob("airflow_provider_openmetadata_platform-*.whl")
    tag = f"{images.PREFIX}-kit/{SLUG}:local"
    images.docker_build(stack.engine, tag, kit / "Dockerfile", kit)

    env = stack.dotenv
    run = stack.engine.docker(
        "run",
        "--rm",
        "--network",
        "platform_network",
        "--env",
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT",
        "--env",
        "AIRFLOW_CONN_PAGILA_POSTGRES",
        tag,
        "bash",
        "-c",
        f"airflow db migrate >/dev/null && airflow dags test {DAG_ID}",
        check=False,
        timeout=900,
        env={
            **stack.engine.env(),
            "AIRFLOW_CONN_OPENMETADATA_DEFAULT": (
                f"openmetadata://:{env['OPENMETADATA_JWT_TOKEN']}@openmetadata-server:8585/http"
            ),
            "AIRFLOW_CONN_PAGILA_POSTGRES": f"postgres://postgres:{env['POSTGRES_PASSWORD']}@platform-postgres:5432/pagila",
        },
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert env["OPENMETADATA_JWT_TOKEN"] not in output and env["POSTGRES_PASSWORD"] not in output

    # The provider in the kit is the wheel's (the base has none), at the wheel's version.
    wheel_version = wheel.name.split("-")[1]
    shown = stack.engine.docker(
        "run", "--rm", tag, "python", "-m", "pip", "show", "airflow-provider-openmetadata-platform"
    ).stdout
    assert f"Version: {wheel_version}" in shown, shown

    rental = stack.om("GET", f"tables/name/{RENTAL}").json()
    pipeline = stack.om("GET", f"pipelines/name/airflow.{DAG_ID}").json()
    assert pipeline.get("name") == DAG_ID, pipeline
    lineage = stack.om("GET", f"lineage/table/name/{DAILY_RENTALS}", params={"upstreamDepth": 1}).json()
    edges = [edge for edge in lineage.get("upstreamEdges") or [] if edge["fromEntity"] == rental["id"]]
    assert len(edges) == 1, lineage
    assert edges[0]["lineageDetails"]["pipeline"]["id"] == pipeline["id"]
    unsupported = [
        line for line in stack.logs("openmetadata-server", 3000).splitlines() if "does not implement" in line
    ]
    assert unsupported == []
