"""The package's one compiled part, optional: the C framing of SIP message dumps.

Everything else is in pyproject.toml. `optional=True` lets `pip install .` finish on a
machine without a C compiler (or without Python's headers): the extension is then left
out, and the exporter frames in Python, says so in its start-up log and in
`sip_exporter_build_info{native="false"}`.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "exporter.formats._native",
            ["exporter/formats/_native.c"],
            extra_compile_args=["-std=c99", "-O2", "-Wall", "-Wextra"],
            optional=True,
        )
    ]
)
