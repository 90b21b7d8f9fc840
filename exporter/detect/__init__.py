"""`detect`: which format or recipe reads a log best, tried on a sample of it; the report
and the config it writes; its subcommand.
"""
