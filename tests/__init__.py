"""The test suites, the OpenMetadata stand-in and benchmarks.

Tests use product code that is not an installed package: ``platform_bootstrap`` lives in
``platform-bootstrap/`` (the throwaway PostgreSQL and the pagila loader among it), so that
directory goes on ``sys.path`` for every ``tests.*`` module, under pytest or ``python -m``.
"""

import sys
from pathlib import Path

_BOOTSTRAP = str(Path(__file__).resolve().parents[1] / "platform-bootstrap")
if _BOOTSTRAP not in sys.path:
    sys.path.insert(0, _BOOTSTRAP)
