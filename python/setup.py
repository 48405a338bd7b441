"""pip install --no-build-isolation ./python  (Debian's python3-setuptools)

Environment: PKTMAP_INCLUDE (headers; default ../include of this tree, else
/usr/local/include), PKTMAP_LIBRARY (the libpktmap.so the module loads when
it is not preloaded; default the soname, libpktmap.so.0).
"""
import os

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
tree_include = os.path.join(here, "..", "include")
include = os.environ.get("PKTMAP_INCLUDE") or (
    tree_include if os.path.isdir(tree_include) else "/usr/local/include")
library = os.environ.get("PKTMAP_LIBRARY", "libpktmap.so.0")

setup(
    name="pktmap",
    version="0.1.0",
    description="netmap ports from Python 3, through libpktmap",
    packages=["pktmap"],
    py_modules=["netmap"],
    scripts=["pktmap-python"],
    ext_modules=[Extension(
        "pktmap._pktmap", ["pktmap/_pktmap.c"],
        include_dirs=[include],
        define_macros=[("PKTMAP_LIBRARY", '"%s"' % library),
                       ("_GNU_SOURCE", None)],
        extra_compile_args=["-std=gnu11", "-Wall", "-Wextra"],
        libraries=["dl"],
        py_limited_api=True)],
    options={"bdist_wheel": {"py_limited_api": "cp311"}},
    python_requires=">=3.11",
)
