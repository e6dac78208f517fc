"""The lab's vendor CLIs: data per vendor (``<vendor>.toml``), generic session code.

- ``spec.py``: reads a vendor file and merges family and model data into a ``CliSpec``;
- ``render.py``: fills output templates from a ``SimulatedDevice`` (CPU, fans, faults ...);
- ``session.py``: the interactive session (prompts, modes, pager, errors, logout).

Outputs of the four security vendors (Topsec, Leadsec, Venustech, NSFOCUS) are designs, not
captures: no public source shows them. Each is marked ``unverified`` in its file; replace it
with captured output from a real box when one is at hand, without touching any code.
"""

from agent.lab.cli.spec import CliDataError, CliSpec, load_cli_spec

__all__ = ["CliDataError", "CliSpec", "load_cli_spec"]
