"""DAG parse check run by `astro dev parse` (and by `astro dev start` before it starts).

Same file name, place and contract as the one `astro dev init` writes for Airflow 3 (Astro
CLI source: airflow/include/airflow3/dagintegritytestdefault.py at commit 1b14bf1a06de,
written by Init() in airflow/airflow.go at commit 4464a4785bfd): one test per DAG file,
which fails with the file's import error unless the file is listed in
.astro/dag_integrity_exceptions.txt (lines like ``dags/<file>.py``; ``#`` starts a comment).
Like Astro's, it answers connection and Variable lookups made while parsing with
placeholders, so a DAG that reads them at parse time is not failed for their absence.
Unlike it, it leaves ``os.getenv`` alone (give it a default), undoes its patches after
parsing and needs no metadata database, and it parses this project's ``dags/``, found from
this file's own place, not ``$AIRFLOW_HOME/dags``: the same folder in the Astro Runtime
image (the project is AIRFLOW_HOME, /usr/local/airflow), and still this project's when run
locally, ``python -m pytest .astro/test_dag_integrity_default.py``, where the project's
conftest.py gives Airflow a temporary home (nothing is written to ~/airflow).

The stricter rules of this datakit (owners, tags, lineage) are in tests/dags/.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

PROJECT = Path(__file__).resolve().parents[1]
DAGS_FOLDER = PROJECT / "dags"
EXCEPTIONS_FILE = PROJECT / ".astro" / "dag_integrity_exceptions.txt"


def _placeholder_connection(conn_id: str, *args, **kwargs):
    from airflow.sdk import Connection

    return Connection(conn_id=conn_id, conn_type="generic")


def _placeholder_variable(key: str, *args, deserialize_json: bool = False, **kwargs):
    # A default given by the DAG (airflow.sdk: `default`, airflow.models: `default_var`) wins.
    defaults = [*args[:1], *(kwargs[name] for name in ("default", "default_var") if name in kwargs)]
    if defaults:
        return defaults[0]
    return {} if deserialize_json else f"PLACEHOLDER_{key.upper()}"


@contextmanager
def _lookups_answered():
    """Connections and Variables read while parsing get placeholders (the real ones may not exist here)."""
    from airflow.models.variable import Variable as ModelVariable
    from airflow.sdk import BaseHook, Variable

    with (
        mock.patch.object(BaseHook, "get_connection", side_effect=_placeholder_connection),
        mock.patch.object(Variable, "get", side_effect=_placeholder_variable),
        mock.patch.object(ModelVariable, "get", side_effect=_placeholder_variable),
    ):
        yield


def _dagbag_class():
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow >= 3.1
    except ImportError:  # Airflow 3.0
        from airflow.models.dagbag import DagBag
    return DagBag


def parse_results() -> list[tuple[str, str]]:
    """(file relative to the project, its import error or "") for each DAG file in dags/."""
    with _lookups_answered():
        bag = _dagbag_class()(dag_folder=str(DAGS_FOLDER))

    def relative(path: str) -> str:
        return os.path.relpath(path, PROJECT)

    results = {relative(path): str(error).strip() for path, error in bag.import_errors.items()}
    for dag in bag.dags.values():
        results.setdefault(relative(dag.fileloc), "")
    return sorted(results.items())


def exempted() -> set[str]:
    """Files listed in .astro/dag_integrity_exceptions.txt."""
    if not EXCEPTIONS_FILE.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in EXCEPTIONS_FILE.read_text().splitlines())
    return {line for line in lines if line}


RESULTS = parse_results()


@pytest.mark.parametrize(("rel_path", "error"), RESULTS, ids=[path for path, _ in RESULTS])
def test_file_imports(rel_path: str, error: str):
    """The DAG file imports without error, or is listed in dag_integrity_exceptions.txt."""
    if error and rel_path not in exempted():
        pytest.fail(f"{rel_path} failed to import:\n{error}", pytrace=False)
