"""Files to bytes: globs, file identity, rotation and truncation, waking the reader, the
checkpoint, and reading whole files (plain or gzip) once.

The one stage that touches files. Everything below it (`formats`, `count`) is given bytes.
"""
