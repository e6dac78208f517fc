"""SNMP access for the collectors: a lean pysnmp 7 client (see client.py)."""
