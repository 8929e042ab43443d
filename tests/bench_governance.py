"""Benchmark: governance as code for 200 tables against the OpenMetadata stand-in (prints numbers).

Run: ``.venv/bin/python -m tests.bench_governance`` (``make bench`` runs it with the other
``tests/bench_*.py``). 200 tables, one governance file each (description, owners, tier,
domain, glossary term), the domain and glossary declared in one more file. Reported per phase:
requests per table (goal: <= 2 for an apply with changes, <= 1 for a plan with none), the
fixed requests per folder (one lookup per distinct owner, tag, domain, glossary, term) and wall
time; then the same for 20 tables that also carry an ODCS contract, whose server-side checks
cost more requests (reported, no goal).

Requests are counted at the stand-in, without the client's one-off ``GET /system/version``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

TABLES = 200
WITH_CONTRACTS = 20
SCHEMA = "bench.db.public"
CONTRACT = """apiVersion: v3.0.2
kind: DataContract
id: bench-{name}
name: {name}
version: 1.0.0
status: active
schema:
  - name: {name}
    physicalName: {name}
    properties:
      - name: id
        logicalType: integer
        required: true
      - name: amount
        logicalType: number
slaProperties:
  - property: latency
    value: "1"
    unit: d
"""


def write_folder(root: Path, count: int, contracts: bool) -> Path:
    """``count`` table files plus ``shared.yaml`` (domain, glossary) under ``root/governance``."""
    folder = root / "governance"
    (folder / "contracts").mkdir(parents=True)
    (folder / "shared.yaml").write_text(
        "define:\n"
        "  domains: [{name: Bench, description: Bench tables}]\n"
        "  glossaries:\n"
        "    - name: BenchTerms\n"
        "      description: Bench vocabulary\n"
        "      terms: [{name: Fact, description: A fact table}]\n"
    )
    for i in range(count):
        name = f"t{i:03d}"
        text = (
            f"table: {SCHEMA}.{name}\ndescription: Bench table {i}.\nowners: [{{user: alice}}, {{team: bench}}]\n"
            "tier: Tier3\ndomain: Bench\nglossaryTerms: [BenchTerms.Fact]\n"
        )
        if contracts:
            text += f"contract: contracts/{name}.odcs.yaml\n"
            (folder / "contracts" / f"{name}.odcs.yaml").write_text(CONTRACT.format(name=name))
        (folder / f"{name}.yaml").write_text(text)
    return folder


# Requests about one table (its GET and PATCH, its contract's reads and writes); the rest are
# per folder: one lookup per distinct owner, tag, domain, glossary or term, whatever the size.
PER_TABLE = ("/tables", "/dataContracts")
READ_ONLY_POSTS = ("/odcs/validate/yaml",)  # the server's ODCS validation stores nothing


def _measure(server, label: str, count: int, run) -> dict:
    """Run ``run()``; print and return requests per table (and per folder) and wall seconds."""
    server.requests.clear()
    started = time.perf_counter()
    result = run()
    wall = time.perf_counter() - started
    calls = [r for r in server.requests if not r.path.endswith("/system/version")]
    table_calls = [r for r in calls if r.path.removeprefix("/api/v1").startswith(PER_TABLE)]
    writes = [
        r for r in calls if r.method in ("PUT", "PATCH", "POST", "DELETE") and not r.path.endswith(READ_ONLY_POSTS)
    ]
    per_table = len(table_calls) / count
    print(
        f"  {label:<22} {per_table:5.2f} requests/table + {len(calls) - len(table_calls):2d} per folder "
        f"({len(calls)} requests, {len(writes)} writes), wall {wall:6.2f} s"
    )
    return {"result": result, "per_table": per_table, "wall": wall}


def bench(count: int, contracts: bool) -> dict[str, dict]:
    """Plan, apply, plan again and re-apply ``count`` tables on a fresh stand-in."""
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata
    from openmetadata_platform.governance import apply, build_plan, load_folder

    from tests.openmetadata_standin.governance import seed_tiers
    from tests.openmetadata_standin.seed import create_tables, create_team, create_user
    from tests.openmetadata_standin.server import StandInServer

    with StandInServer() as server, tempfile.TemporaryDirectory(prefix="bench-governance-") as root:
        create_tables(server, {f"{SCHEMA}.t{i:03d}": ["id", "amount"] for i in range(count)})
        create_user(server, "alice")
        create_team(server, "bench")
        seed_tiers(server)
        folder = write_folder(Path(root), count, contracts)
        client = OpenMetadata(
            OpenMetadataConnection(
                hostPort=server.host_port, authProvider="openmetadata", securityConfig={"jwtToken": server.token}
            )
        )
        spec = load_folder(folder)
        phases = {
            "plan (changes)": _measure(server, "plan, with changes", count, lambda: build_plan(client, spec)),
            "apply (changes)": _measure(server, "apply, with changes", count, lambda: apply(client, spec)),
            "plan (none)": _measure(server, "plan, no changes", count, lambda: build_plan(client, spec)),
            "apply (none)": _measure(server, "re-apply, no changes", count, lambda: apply(client, spec)),
        }
        assert phases["plan (none)"]["result"].empty, "the second plan should be empty"
        assert server.internal_errors == [], server.internal_errors
        return phases


def main() -> None:
    """Print the benchmark (see the module docstring)."""
    print(f"Governance as code, {TABLES} tables (no contracts), stand-in:")
    phases = bench(TABLES, contracts=False)
    apply_ok = phases["apply (changes)"]["per_table"] <= 2
    plan_ok = phases["plan (none)"]["per_table"] <= 1
    print(
        f"  goals: apply with changes <= 2 requests/table: {'met' if apply_ok else 'MISSED'}; "
        f"plan with none <= 1: {'met' if plan_ok else 'MISSED'}"
    )
    print(f"Governance as code, {WITH_CONTRACTS} tables with an ODCS contract each, stand-in:")
    bench(WITH_CONTRACTS, contracts=True)


if __name__ == "__main__":
    main()
