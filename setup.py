"""The optional C tokenizer loop (edi_engine/x12/_speedups.c); everything else is in pyproject.toml.

`optional=True`: without a compiler, or if the build fails, setuptools warns and installs the
package without it, and edi_engine/x12/tokenizer.py runs its pure-Python loop instead.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("edi_engine.x12._speedups", ["edi_engine/x12/_speedups.c"], optional=True)])
