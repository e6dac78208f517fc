"""TextFSM templates for huawei CLI output (a package so that setuptools ships the files)."""
