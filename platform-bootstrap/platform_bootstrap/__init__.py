"""Helpers behind ``platform-bootstrap/platform``: setup wizard, OpenMetadata API bootstrap, health."""
