"""The README's first steps on a bare Debian 12, not on this machine: in a container from the
debootstrapped ``debian:bookworm`` base, with only what the README asks for (make, python3),
``make install`` installs what it needs (Debian's packages, then the venv, gssapi built from
source) and ``make demo`` without a server ends with its clear error, status 2.

The host's CA bundle goes in as it would on a corporate machine (that is how pip reaches PyPI
here); a ``/usr/sbin/policy-rc.d`` that was there before is left as it was.
"""

from __future__ import annotations

import subprocess

from tests.engine import images
from tests.engine.docker_engine import REPO_ROOT
from tests.engine.stack import HOST_CA_BUNDLE, copy_checkout

OWN_POLICY = "#!/bin/sh\n# the site's own policy: no service starts in this container\nexit 101"
SCRIPT = f"""
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
cat > /usr/sbin/policy-rc.d <<'POLICY'
{OWN_POLICY}
POLICY
chmod 755 /usr/sbin/policy-rc.d
apt-get update -qq && apt-get install -y -qq --no-install-recommends make python3 >/dev/null
cd /work/repo
make install
echo "=== demo"
set +e
make demo; echo "demo exit status: $?"
echo "=== policy"
cat /usr/sbin/policy-rc.d
"""


def test_make_install_and_the_demos_no_server_path_on_a_bare_debian_12(engine, tmp_path):
    images.build_debian_base(engine)
    repo = copy_checkout(tmp_path / "repo")
    for link in (".venv", ".tools"):  # the container makes its own
        (repo / link).unlink(missing_ok=True)
    shared = REPO_ROOT.parent / "shared"
    result = engine.docker(
        "run",
        "--rm",
        "--volume",
        f"{repo}:/work/repo",
        "--volume",
        f"{shared}:/work/shared:ro",
        "--volume",
        f"{HOST_CA_BUNDLE}:/etc/ssl/certs/ca-certificates.crt:ro",
        "--env",
        "PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
        images.DEBIAN_BASE,
        "bash",
        "-c",
        SCRIPT,
        check=False,
        timeout=1800,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        capture_output=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-6000:]
    install, _, rest = out.partition("=== demo")
    demo, _, policy = rest.partition("=== policy")
    assert "No broken requirements found." in install, install[-3000:]
    assert "demo exit status: 2" in demo, demo[-3000:]
    assert "OPENMETADATA_HOST_PORT" in demo and "Docker engine" in demo, demo[-3000:]  # both fixes named
    assert "Traceback" not in demo, demo[-3000:]
    assert policy.strip() == OWN_POLICY.strip()
