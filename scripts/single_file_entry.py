"""The entry point of the single-file build (scripts/build_single_file.sh): the same
`main` as the installed `sip-log-exporter` command."""

from exporter.cli import main

raise SystemExit(main())
