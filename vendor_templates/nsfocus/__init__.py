"""TextFSM templates for nsfocus CLI output (a package so that setuptools ships the files)."""
