#!/usr/bin/python3
"""Writes the TorchScript fixture used by opg-core's tests.

Run with Debian's python3-torch (1.13):
    apt-get install -y python3-torch
    /usr/bin/python3 opg-core/scripts/make_torchscript_fixture.py opg-core/src/test/resources/torchscript/tiny_convnet.pt

The model is small (a 1-D convolution, a ReLU, a linear layer) with weights from a fixed seed, so
the file is the same whenever the same torch version writes it. The test only needs a TorchScript
archive that DJL's PyTorch engine loads; the weights carry no meaning.
"""
import sys

import torch


class TinyConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(1, 4, kernel_size=3, padding=1)
        self.fc = torch.nn.Linear(4 * 16, 3)

    def forward(self, x):
        # x: [batch, 16]
        h = torch.relu(self.conv(x.unsqueeze(1)))
        return self.fc(h.flatten(1))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tiny_convnet.pt"
    torch.manual_seed(20240601)
    model = TinyConvNet().eval()
    scripted = torch.jit.script(model)
    scripted.save(out)
    x = torch.arange(16, dtype=torch.float32).reshape(1, 16) / 16.0
    print(out, scripted(x).tolist())


if __name__ == "__main__":
    main()
