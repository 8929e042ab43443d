"""What the managed APIs' guard (``managed_apis_guard.py``) uses: redaction, request checks,
the trigger. A package beside the plugin, listed in ``.airflowignore``: Airflow's plugin
loader would otherwise import each file a second time as a module of its own."""
