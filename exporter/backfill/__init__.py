"""Old logs to OpenMetrics history: reading in time order, counting per step, progress,
and the `backfill` subcommand.
"""
