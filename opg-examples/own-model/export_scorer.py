"""Exports a small PyTorch model with two named inputs to ONNX, and one input for it as .npz,
the way to bring your own model to opg (README, "Your own model"):

    /usr/bin/python3 opg-examples/own-model/export_scorer.py /tmp    # writes /tmp/scorer.onnx, /tmp/applicant.npz

Needs Debian's python3-torch and python3-numpy. Fixed seed: the same files on every run.
"""
import os, sys
import numpy as np, torch

class Scorer(torch.nn.Module):          # your model: two named inputs, one output
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Linear(8, 16)
        self.head = torch.nn.Linear(16 + 2, 1)
    def forward(self, features, context):
        h = torch.relu(self.features(features))
        return torch.sigmoid(self.head(torch.cat([h, context], dim=1)))

out = sys.argv[1] if len(sys.argv) > 1 else "."
torch.manual_seed(0)
m = Scorer().eval()
x = {"features": torch.randn(1, 8), "context": torch.randn(1, 2)}
torch.onnx.export(m, (x["features"], x["context"]), os.path.join(out, "scorer.onnx"), opset_version=13,
                  input_names=["features", "context"], output_names=["score"])
np.savez(os.path.join(out, "applicant.npz"), **{k: v.numpy() for k, v in x.items()})   # names = the model's input names
print("wrote", os.path.join(out, "scorer.onnx"), "and", os.path.join(out, "applicant.npz"))
