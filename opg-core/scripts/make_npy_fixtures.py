#!/usr/bin/env python3
"""Writes the tiny .npy/.npz fixtures that opg-core's NumPy codec (dev.opg.core.io) is tested against.

Run from the repository root with Debian's python3-numpy:
    python3 opg-core/scripts/make_npy_fixtures.py
The files are committed; the test reads them and also checks expected values listed in
expected.txt (written here), so a reader can see what each file must decode to.
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "npy")
os.makedirs(OUT, exist_ok=True)

arrays = {
    "f4_2x3": np.arange(6, dtype="<f4").reshape(2, 3) / 4,
    "f8_vec": np.array([1.5, -0.0, 1e300], dtype="<f8"),
    "i4_3": np.array([1, -2, 2147483647], dtype="<i4"),
    "i8_2x2": np.array([[1, -1], [2**40, -(2**62)]], dtype="<i8"),
    "i1_4": np.array([-128, -1, 0, 127], dtype="i1"),
    "u1_2x2": np.array([[0, 255], [7, 8]], dtype="u1"),
    "b1_3": np.array([True, False, True]),
    "f4_scalar": np.array(3.25, dtype="<f4"),
    "f4_empty": np.zeros((0, 3), dtype="<f4"),
}
for name, a in arrays.items():
    np.save(os.path.join(OUT, name + ".npy"), a)

# Version 2.0 header (numpy writes it only when forced or for huge headers).
with open(os.path.join(OUT, "f4_v2.npy"), "wb") as f:
    np.lib.format.write_array(f, arrays["f4_2x3"], version=(2, 0))

# Rejected inputs.
np.save(os.path.join(OUT, "bad_fortran.npy"), np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
np.save(os.path.join(OUT, "bad_bigendian.npy"), np.arange(3, dtype=">f4"))
np.save(os.path.join(OUT, "bad_object.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
np.save(os.path.join(OUT, "bad_complex.npy"), np.array([1 + 2j], dtype="<c8"))

# Archives: named, positional, and compressed.
np.savez(os.path.join(OUT, "named.npz"), x=arrays["f4_2x3"], mask=arrays["b1_3"], ids=arrays["i8_2x2"])
np.savez(os.path.join(OUT, "positional.npz"), arrays["f4_2x3"], arrays["i4_3"])
np.savez_compressed(os.path.join(OUT, "compressed.npz"), x=arrays["f8_vec"], y=arrays["u1_2x2"])

with open(os.path.join(OUT, "expected.txt"), "w") as f:
    f.write("# name dtype shape little-endian-data-hex, written by make_npy_fixtures.py\n")
    for name, a in arrays.items():
        b = np.ascontiguousarray(a)
        dt = b.dtype.newbyteorder("<") if b.dtype.byteorder == ">" else b.dtype
        f.write("%s %s %s %s\n" % (name, dt.name, ",".join(str(d) for d in a.shape) or "-", b.astype(dt).tobytes().hex() or "-"))
