"""sip-log-exporter: SIP and GB/T 28181 platform logs in, labeled Prometheus counters out."""

__version__ = "0.1.0"
