"""SNMP access for the collectors.

``client.py`` is the one entry point (``SnmpClient.get`` / ``bulk_walk``). Requests go through
a small engine of our own because pysnmp's pyasn1 objects cost ~10x snmp_exporter's CPU per
varbind (figures in benchmarks/README.md): ``codec.py`` (BER, PDUs, the v2c message), ``usm.py``
and ``v3.py`` (the SNMPv3 message, keys, authentication, privacy, engine discovery) and
``transport.py`` (one UDP socket). pysnmp 7 (``pysnmp_engine.py``) takes the SNMPv3 protocol
pairs whose keys need extending, and is the reference the own engine is tested against.
"""
