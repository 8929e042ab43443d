"""Operators of the provider; the governance operators are exported here lazily (importing this
package must not import Airflow's SDK for the other modules' sake)."""

GOVERNANCE = ("OpenMetadataGovernanceOperator", "OpenMetadataContractValidationOperator")


def __getattr__(name: str):
    if name in GOVERNANCE:
        from openmetadata_platform.operators import governance

        return getattr(governance, name)
    raise AttributeError(name)


__all__ = list(GOVERNANCE)
