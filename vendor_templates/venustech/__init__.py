"""TextFSM templates for venustech CLI output (a package so that setuptools ships the files)."""
