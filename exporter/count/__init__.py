"""Events to counts: transaction matching, label sets, peers and GB28181 device types, and
the tally with its cardinality guard.

Pure: no files, threads, clocks or prometheus-client; the caller passes times in.
"""
