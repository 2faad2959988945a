#!/usr/bin/env python3
"""Writes opg-examples/data/convnet-input.npy: the input of the TorchScript fixture
(opg-core/src/test/resources/torchscript/tiny_convnet.pt), float32 [1, 16], the same values
opg-core/scripts/make_torchscript_fixture.py feeds it. Run with python3-numpy from the repository root."""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "data", "convnet-input.npy")
np.save(out, (np.arange(16, dtype="<f4").reshape(1, 16) / 16.0).astype("<f4"))
print(out)
