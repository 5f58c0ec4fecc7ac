"""The model zoo: classic architectures with torchvision's parameter names."""
