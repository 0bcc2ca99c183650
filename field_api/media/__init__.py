"""Uploaded media: image validation by decoding (images.py) and content-addressed atomic storage (storage.py)."""
