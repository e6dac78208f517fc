"""TextFSM templates for h3c CLI output (a package so that setuptools ships the files)."""
