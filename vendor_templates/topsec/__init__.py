"""TextFSM templates for topsec CLI output (a package so that setuptools ships the files)."""
