"""SNMP access for the collectors.

``client.py`` is the one entry point (``SnmpClient.get`` / ``bulk_walk``). SNMPv2c goes through
a small codec of our own (``codec.py``, ``v2c.py``) because pysnmp's pyasn1 objects cost ~10x
snmp_exporter's CPU per varbind (figures in benchmarks/README.md); SNMPv3 (USM, crypto) goes
through pysnmp 7 (``pysnmp_engine.py``), which is also the reference the codec is tested against.
"""
