"""Shared kernel: owned by the template and kept up to date by `copier update`."""
