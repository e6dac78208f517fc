"""TextFSM templates for leadsec CLI output (a package so that setuptools ships the files)."""
